"""Properties of the dedup index codecs: one entry (:func:`encode_entry`) and one
index-topic message of many (:func:`encode_entries`).

Round trip for any entry the hub can hold; a truncated entry is refused with
:class:`StateError` rather than read as a shorter, wrong entry.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import StateError
from hub.publish.dedup import DIGEST_BYTES, IndexEntry, decode_entry, encode_entry
from hub.publish.index import decode_entries, encode_entries

# Source names are short registry names, but the codec must carry any text.
names = st.text(max_size=40)
entries = st.builds(
    IndexEntry,
    event_id=st.uuids(),
    source=names,
    record_ref=st.integers(0, 2**64 - 1),
    version=st.integers(0, 2**32 - 1),
    digest=st.binary(min_size=DIGEST_BYTES, max_size=DIGEST_BYTES),
    first_source=names,
)
keyed = st.lists(st.tuples(st.binary(min_size=16, max_size=16), entries), max_size=8)


@given(entries)
def test_entry_round_trip(entry: IndexEntry) -> None:
    assert decode_entry(encode_entry(entry)) == entry


@given(entries, st.data())
def test_truncated_entry_is_refused(entry: IndexEntry, data: st.DataObject) -> None:
    encoded = encode_entry(entry)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(StateError, match=r"^corrupt dedup index entry \(\d+ bytes\)$"):
        decode_entry(encoded[:cut])


@given(entries, st.binary(min_size=1, max_size=8))
def test_trailing_bytes_are_refused(entry: IndexEntry, extra: bytes) -> None:
    with pytest.raises(StateError):
        decode_entry(encode_entry(entry) + extra)


@given(keyed)
def test_message_round_trip(items: list[tuple[bytes, IndexEntry]]) -> None:
    assert list(decode_entries(encode_entries(items))) == items


@given(keyed.filter(bool), st.data())
def test_truncated_message_is_refused(
    items: list[tuple[bytes, IndexEntry]], data: st.DataObject
) -> None:
    """A cut inside an entry is refused; a cut between entries is a shorter valid
    message (the format has no count: Kafka's CRC, not the codec, guards whole
    messages), so what decodes is always a prefix of the entries, never a wrong one."""
    encoded = encode_entries(items)
    cut = data.draw(st.integers(1, len(encoded) - 1))
    try:
        got = list(decode_entries(encoded[:cut]))
    except StateError:
        return
    assert got == items[:len(got)] and len(got) < len(items)
    assert encode_entries(got) == encoded[:cut]


@given(st.binary(max_size=200))
def test_random_bytes_decode_or_refuse(blob: bytes) -> None:
    """Arbitrary bytes never escape as anything but StateError."""
    try:
        out = list(decode_entries(blob))
    except StateError:
        return
    assert encode_entries(out) == blob


def test_digest_is_cut_or_padded_to_its_width() -> None:
    eid = uuid.UUID(int=1)
    long = IndexEntry(eid, "a", 1, 1, b"0123456789", "a")
    short = IndexEntry(eid, "a", 1, 1, b"01", "a")
    assert long.digest == b"01234567" and short.digest == b"01\0\0\0\0\0\0"


def test_names_up_to_the_unsigned_16_bit_length_round_trip() -> None:
    """Name lengths are unsigned 16-bit: 40 000 bytes is representable (signed is not)."""
    entry = IndexEntry(uuid.UUID(int=7), "s" * 40_000, 1, 1, b"01234567", "f" * 65_535)
    assert decode_entry(encode_entry(entry)) == entry

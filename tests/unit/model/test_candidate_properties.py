"""The intake codec over random candidates: batches decode to exactly the
candidates, in order, and no message is over the limit unless it carries a
single candidate that is over the limit on its own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.model.candidate import Candidate, decode_batch, encode_batch, encode_batches

text = st.text(max_size=30)
person = st.fixed_dictionaries(
    {}, optional={"birth_date": text, "sex": st.sampled_from("MF"),
                  "citizenship": st.lists(text, max_size=2)})
candidates = st.builds(
    Candidate,
    source=text, record_id=text, version=st.integers(0, 2**31), record_type=text,
    family=text, fact=text, event_key=text, event_id=text, partition_key=text,
    person_id=text, occurred_at=text, updated_at=text, raw_digest=text,
    content_digest=text, record_xml=st.text(max_size=300), schema_version=st.integers(1, 3),
    person=person, verified_by=text,
)


@given(st.lists(candidates, max_size=6))
def test_batch_round_trip(cands: list[Candidate]) -> None:
    assert decode_batch(encode_batch(cands)) == cands


@given(st.lists(candidates, max_size=12), st.integers(2, 1500))
def test_batches_keep_order_and_the_size_limit(cands: list[Candidate], limit: int) -> None:
    out = list(encode_batches(cands, limit))
    decoded = [decode_batch(value) for _, value in out]
    assert [c for batch in decoded for c in batch] == cands
    assert [n for n, _ in out] == [len(batch) for batch in decoded]
    for (n, value), batch in zip(out, decoded, strict=True):
        assert n >= 1
        assert len(value) <= limit or n == 1
        if n == 1 and len(value) > limit:  # only a candidate too big to travel with others
            assert len(encode_batch(batch)) > limit
    # Greedy packing: a message and the next one's first candidate would not fit together.
    for (_, value), nxt in zip(out, decoded[1:], strict=False):
        assert len(value) + len(encode_batch(nxt[:1])) - 1 > limit


def test_no_candidates_no_messages() -> None:
    assert list(encode_batches([], 100)) == []


def test_a_message_of_exactly_the_limit_is_one_message() -> None:
    one = Candidate(**{f: "x" for f in (
        "source", "record_id", "record_type", "family", "fact", "event_key", "event_id",
        "partition_key", "person_id", "occurred_at", "updated_at", "raw_digest",
        "content_digest", "record_xml")}, version=1)
    exact = len(encode_batch([one, one]))
    assert [n for n, _ in encode_batches([one, one], exact)] == [2]
    assert [n for n, _ in encode_batches([one, one], exact - 1)] == [1, 1]

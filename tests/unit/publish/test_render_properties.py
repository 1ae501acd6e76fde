"""The renderer writes exclusive C14N directly: for random text in every field it
fills (XML 1.0 characters, markup and whitespace included), the rendered bytes
equal lxml's exclusive C14N of their own parse, and the text reads back unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from hub.model.candidate import Candidate
from hub.publish.render import render_event

EV = "{urn:kz:mhub:event:1}"
# XML 1.0 Char production (no other control characters, no surrogates, no FFFE/FFFF),
# weighted towards the characters C14N escapes.
xml_chars = st.one_of(
    st.sampled_from('&<>"\'\t\n\r]]>'),
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                  exclude_characters="\ufffe\uffff"),
)
text = st.text(xml_chars, max_size=20)
names = st.fixed_dictionaries(
    {"form": text, "script": text, "surname": text, "given_names": text},
    optional={"patronymic": text})
idents = st.fixed_dictionaries(
    {"scheme": text, "value": text}, optional={"issuing_state": text, "document_type": text})
people = st.fixed_dictionaries({}, optional={
    "identifiers": st.lists(idents, max_size=2), "names": st.lists(names, max_size=2),
    "birth_date": text, "sex": text, "citizenship": st.lists(text, max_size=2)})
RECORD = '<R xmlns="urn:example:record" a="1"><V>x &amp; y</V></R>'


def c14n(data: bytes) -> bytes:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)


@given(text, text, text, text, text, text, text, people, st.integers(0, 10**6))
def test_rendered_bytes_are_lxml_exclusive_c14n(
    event_id: str, fact: str, occurred: str, source: str, record_id: str, raw: str,
    person_id: str, person: dict[str, object], version: int,
) -> None:
    cand = Candidate(
        source=source, record_id=record_id, version=version, record_type="R", family="f",
        fact=fact, event_key="k", event_id=event_id, partition_key="p", person_id=person_id,
        occurred_at=occurred, updated_at="2026-01-01T00:00:00Z", raw_digest=raw,
        content_digest="c", record_xml=RECORD, person=person,
    )
    rendered = render_event(cand, recorded_at="2026-12-02T06:00:00Z")
    assert c14n(rendered) == rendered
    root = etree.fromstring(rendered)
    assert root.findtext(f"{EV}EventId") == event_id
    assert root.findtext(f"{EV}EventType") == fact
    assert root.findtext(f"{EV}Provenance/{EV}Source") == source
    assert root.findtext(f"{EV}Provenance/{EV}RawDigest") == raw
    assert (root.find(f"{EV}Person") is not None) == bool(person_id)
    if person_id:
        idents = root.findall(f"{EV}Person/{EV}Identifier")
        assert [i.text or "" for i in idents] == [
            i["value"] for i in person.get("identifiers", [])]
        assert [i.get("issuingState") or "" for i in idents] == [
            i.get("issuing_state", "") for i in person.get("identifiers", [])]

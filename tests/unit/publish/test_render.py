"""The rendered event is its own exclusive C14N, so its Merkle leaf needs no parse."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lxml import etree

from connectors.base import RawRecord
from hub.contract import SCHEMAS_DIR
from hub.intake.identity.registry import PersonRegistry
from hub.intake.normalise import Normaliser
from hub.intake.page import process_page
from hub.model.candidate import Candidate, decode_batch, encode_batch
from hub.publish.render import event_leaf, render_event
from security.batch import canonical, event_digest
from security.safe_xml import parse_untrusted

VALID = sorted((SCHEMAS_DIR / "examples" / "valid").glob("*.xml"))
SOURCE_EXAMPLES = [p for p in VALID if not p.name.startswith("event")]


def _candidates(tmp_path: Path, paths: list[Path]) -> list[Candidate]:
    raws = [RawRecord("interior", p.stem, p.read_bytes()) for p in paths]
    normaliser = Normaliser(PersonRegistry.open(str(tmp_path / "registry.sqlite")))
    try:
        outcome = process_page(raws, normaliser)
    finally:
        normaliser.close()
    assert not outcome.quarantined, [q.findings for q in outcome.quarantined]
    return outcome.candidates


@pytest.mark.parametrize("path", SOURCE_EXAMPLES, ids=lambda p: p.stem)
def test_rendered_bytes_are_their_own_c14n(tmp_path: Path, path: Path) -> None:
    (cand,) = _candidates(tmp_path, [path])
    rendered = render_event(cand, recorded_at="2026-12-02T06:00:00Z")
    parsed = parse_untrusted(rendered)
    assert canonical(parsed) == rendered
    assert event_leaf(rendered) == event_digest(parsed) == hashlib.sha256(rendered).digest()


def test_agency_text_is_escaped_not_interpreted(tmp_path: Path) -> None:
    (cand,) = _candidates(tmp_path, [SOURCE_EXAMPLES[0]])
    hostile = 'A & B <c> "d"\r\t\n'
    person = {
        "identifiers": [{"scheme": "DOCUMENT", "value": hostile, "issuing_state": hostile}],
        "names": [{"form": "GIVEN", "script": "Cyrl", "surname": hostile, "given_names": "Ә"}],
        "citizenship": ["KAZ"],
    }
    cand = Candidate(**{**cand.to_dict(), "person": person, "source": hostile})
    rendered = render_event(cand, recorded_at="2026-12-02T06:00:00Z")
    parsed = parse_untrusted(rendered)
    assert canonical(parsed) == rendered
    ev = "{urn:kz:mhub:event:1}"
    assert parsed.findtext(f"{ev}Provenance/{ev}Source") == hostile.replace("\r", "\r")
    ident = parsed.find(f"{ev}Person/{ev}Identifier")
    assert ident.get("issuingState") == hostile
    assert len(parsed) == 8  # no element smuggled in through a value


def test_intake_batch_round_trip(tmp_path: Path) -> None:
    cands = _candidates(tmp_path, SOURCE_EXAMPLES[:5])
    assert decode_batch(encode_batch(cands)) == cands
    # The record travels in exclusive C14N without its partner signature.
    for c in cands:
        el = etree.fromstring(c.record_xml.encode())
        assert canonical(el).decode() == c.record_xml
        assert el.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is None

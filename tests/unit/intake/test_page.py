"""A page is checked once and may be normalised again (after an identity race) with the
same result: normalising leaves the checked page as it found it."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import RawRecord
from hub.intake.identity.registry import PersonRegistry
from hub.intake.normalise import Normaliser
from hub.intake.page import PartnerTrust, check_page, normalise_page, process_page
from infra.agencies.generator import Generator, GeneratorConfig
from infra.agencies.signing import partner_signer
from security.pki import DevPki
from security.trust import TrustStore


@pytest.fixture(scope="module")
def partner_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[RawRecord], PartnerTrust]:
    pki = DevPki.create(tmp_path_factory.mktemp("pki"), partners=["UZB"])
    sign = partner_signer(pki)
    gen = Generator(GeneratorConfig(seed=3, population=40))
    raws = [RawRecord("partner-uzb", f"uzb-{i}", sign("UZB", gen.record("partner:UZB", i)))
            for i in range(30)]
    return raws, PartnerTrust("UZB", TrustStore.load(pki.trust_dir))


def _normaliser(path: Path) -> Normaliser:
    return Normaliser(PersonRegistry.open(str(path)))


def test_a_checked_page_normalises_the_same_twice(tmp_path: Path, partner_page) -> None:
    raws, partner = partner_page
    checked = check_page(raws, partner)
    assert checked.valid, [q.findings for q in checked.quarantined]
    valid_before, quarantined_before = list(checked.valid), list(checked.quarantined)
    outcomes = []
    for n in range(2):  # each against an empty registry, as after the race's abort
        normaliser = _normaliser(tmp_path / f"registry-{n}.sqlite")
        try:
            outcomes.append(normalise_page(checked, normaliser))
        finally:
            normaliser.close()
    first, second = outcomes
    assert [c.to_dict() for c in first.candidates] == [c.to_dict() for c in second.candidates]
    assert first.quarantined == second.quarantined == quarantined_before
    assert checked.valid == valid_before and checked.quarantined == quarantined_before


def test_checking_then_normalising_is_the_whole_page(tmp_path: Path, partner_page) -> None:
    raws, partner = partner_page
    split = _normaliser(tmp_path / "split.sqlite")
    whole = _normaliser(tmp_path / "whole.sqlite")
    try:
        a = normalise_page(check_page(raws, partner), split)
        b = process_page(raws, whole, partner)
    finally:
        split.close()
        whole.close()
    assert [c.to_dict() for c in a.candidates] == [c.to_dict() for c in b.candidates]
    assert len(a.candidates) + len(a.quarantined) == len(raws)
    assert all(c.verified_by for c in a.candidates)

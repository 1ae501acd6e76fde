"""No two different facts share an event id.

Why three ids each merged two facts in a 30,000-record run: the keys of three
facts were a day wide. ``deportation`` was keyed by the person and the day it was
carried out, ``entry-ban`` by the person and the day the ban starts,
``partner-registration`` by the person, state and first day: one person's two
deportations, or two partners' bans starting the same day, became one event (one
of them lost to every consumer). And ``labour-quota`` had no decision date, so a
later decision for the same region, sector, category and year overwrote the first.
Now deportations are keyed to the UTC minute (as crossings), bans and
registrations by their whole validity, quotas by their decision date.
"""

from __future__ import annotations

import collections

from lxml import etree

from hub.intake.identity.event_key import FACT_KEYS, EventKeyError, event_key
from infra.agencies.generator import Generator, GeneratorConfig
from tests.support.reliability import record_outcome

PERSON = "P-1"
# A mix like the 30,000-record run's, scaled down to stay a unit test (about 2 s).
FEEDS = {"interior": 4000, "labour": 1500, "partner:UZB": 800, "partner:KGZ": 800,
         "partner:TJK": 800, "partner:RUS": 800}
_SOURCES = {s for spec in FACT_KEYS.values() for k in spec for s in k.sources}


class TestDayWideKeysAreGone:
    def test_two_deportations_of_one_person_on_one_day(self) -> None:
        morning = event_key("Deportation", PERSON, {"ExecutedAt": "2026-02-22T04:45:00+05:00"})
        evening = event_key("Deportation", PERSON, {"ExecutedAt": "2026-02-22T19:10:00+05:00"})
        assert morning != evening

    def test_two_bans_starting_the_same_day(self) -> None:
        one = event_key("PartnerEntryBanNotice", PERSON,
                        {"ValidFrom": "2026-02-22", "ValidTo": "2027-02-22"})
        other = event_key("PartnerEntryBanNotice", PERSON,
                          {"ValidFrom": "2026-02-22", "ValidTo": "2031-02-22"})
        assert one != other

    def test_two_registrations_from_the_same_day(self) -> None:
        one = event_key("PartnerCitizenRegistration", PERSON,
                        {"PartnerState": "TJK", "From": "2026-01-01", "To": "2026-03-01"})
        other = event_key("PartnerCitizenRegistration", PERSON,
                          {"PartnerState": "TJK", "From": "2026-01-01", "To": "2026-12-01"})
        assert one != other

    def test_quota_revision_is_its_own_fact(self) -> None:
        base = {"Kato": "750000000", "Sector": "F", "Category": "CAT1", "Year": "2026"}
        first = event_key("LabourQuota", "", {**base, "DecisionDate": "2026-01-05"})
        revised = event_key("LabourQuota", "", {**base, "DecisionDate": "2026-06-01"})
        assert first != revised

    def test_kandas_quota_revision_is_its_own_fact_and_regions_differ(self) -> None:
        base = {"Kato": "390000000", "QuotaYear": "2026", "DecisionNumber": "ПП-1"}
        first = event_key("KandasQuota", "", {**base, "DecisionDate": "2025-12-20"})
        revised = event_key("KandasQuota", "", {**base, "DecisionDate": "2026-06-01"})
        other = event_key(
            "KandasQuota", "", {**base, "Kato": "750000000", "DecisionDate": "2025-12-20"}
        )
        next_year = event_key(
            "KandasQuota", "", {**base, "QuotaYear": "2027", "DecisionDate": "2025-12-20"}
        )
        assert len({first, revised, other, next_year}) == 4


def _key_fields(body: bytes) -> tuple[str, dict[str, str]] | None:
    try:
        root = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return None
    fields: dict[str, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            name = etree.QName(el).localname
            if name in _SOURCES and name not in fields and el.text:
                fields[name] = el.text
    return etree.QName(root).localname, fields


def test_generated_facts_never_share_an_event_key() -> None:
    """Against the generator's ground truth (true person ids, so only the keys are judged)."""
    gen = Generator(GeneratorConfig(seed=1))
    facts: dict[str, set[str]] = collections.defaultdict(set)
    records = 0
    for feed, count in FEEDS.items():
        for truth, body in gen.records(feed, 0, count):
            parsed = _key_fields(body) if truth.rule is None else None
            if parsed is None:
                continue
            try:
                key = event_key(parsed[0], str(truth.person_id or ""), parsed[1])
            except EventKeyError:
                continue
            facts[key].add(truth.fact_id)
            records += 1
    shared = {k: v for k, v in facts.items() if len(v) > 1}
    # The generator draws quotas independently, so it can make two different quota
    # decisions for one region (sector, category) and year on one day: a quota
    # authority issues one, so these are the generator's, not the key's.
    assert all(k.startswith(("labour-quota/", "kandas-quota/")) for k in shared), shared
    assert records > 8_000
    record_outcome("identity", f"{records:,} generated reports checked against ground truth",
                   "0 event ids shared by two different person facts (deportation to the "
                   "minute, bans and registrations by validity, quotas by decision date)")

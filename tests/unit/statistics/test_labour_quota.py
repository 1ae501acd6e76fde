"""Work permits against the labour quota: a revised quota replaces the decision it revises
(it was once added to it, counting the region's quota twice)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from hub.statistics import definitions as d
from hub.statistics.periods import parse_period
from hub.statistics.programmes import quota_use
from hub.statistics.store import FactStore

LAB = "urn:kz:mhub:labour:1"


def quota(kato: str, sector: str, category: str, allotted: int, used: int,
          decided: str) -> etree._Element:
    return etree.fromstring(
        f'<LabourQuota xmlns="{LAB}"><Kato>{kato}</Kato><Sector>{sector}</Sector>'
        f"<Category>{category}</Category><Year>2006</Year><Allotted>{allotted}</Allotted>"
        f"<Used>{used}</Used><DecisionDate>{decided}</DecisionDate></LabourQuota>"
    )


def _store(tmp_path: Path) -> FactStore:
    s = FactStore(tmp_path / "facts.sqlite")
    for event_id, body in [
        ("k1", quota("390000000", "F", "SKILLED", 100, 10, "2005-12-20")),
        ("k1r", quota("390000000", "F", "SKILLED", 140, 30, "2006-06-01")),  # the revision
        ("k2", quota("390000000", "F", "SEASONAL", 40, 5, "2005-12-20")),  # another category
    ]:
        s.apply(event_id, 1, "labour", d.fact_of(body))
    return s


class TestQuotaUse:
    def test_a_quota_is_dated_by_its_decision(self) -> None:
        f = d.fact_of(quota("390000000", "F", "SKILLED", 100, 10, "2005-12-20"))
        assert (f.kind, f.day, f.quota_year, f.value, f.used) == (d.QUOTA, "2005-12-20",
                                                                    "2006", 100, 10)

    def test_the_revision_replaces_what_it_revises(self, tmp_path: Path) -> None:
        with _store(tmp_path) as store:
            rows = quota_use(store, parse_period("2006")).rows
        # 140 (revised SKILLED) + 40 (SEASONAL), not 100 + 140 + 40
        assert [r[:4] for r in rows] == [["Kostanay Region", "F", 180, 35]]

    def test_a_quarter_uses_the_quota_in_force_at_its_end(self, tmp_path: Path) -> None:
        with _store(tmp_path) as store:
            rows = quota_use(store, parse_period("2006-Q1")).rows
        assert [r[:4] for r in rows] == [["Kostanay Region", "F", 140, 15]]

"""The generated year's kandas quota and admissions add up to the targets exactly.

Without a broker: every planned labour record is rendered by the year's simulator,
validated as the hub does, counted by the statistics definitions into a fact
store, and the figures' totals compared with the targets (the integration test
``tests/integration/ops/test_statistics_year.py`` runs the same through the hub).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hub.intake.validate import validate_record
from hub.statistics import definitions as d
from hub.statistics.figures import compute
from hub.statistics.periods import parse_period
from hub.statistics.store import FactStore
from infra.agencies.year import KANDAS_REVISED_BY, Targets, YearPlan
from infra.agencies.year_serve import YearGenerator

TARGETS = {
    "year": 2006,
    "arrivals": 12,
    "departures": 4,
    "kandas_quota": 260,
    "kandas_admissions": 140,
}


def _labour_figures(plan: YearPlan, store: FactStore) -> dict[str, object]:
    gen = YearGenerator(plan)
    for i in range(len(plan.feeds["labour"])):
        body = gen.record("labour", i)
        result = validate_record(body, source="labour")
        assert result.ok, [str(f) for f in result.findings]
        store.apply(f"labour:{i}", 1, "labour", d.fact_of(etree.fromstring(body)))
    return compute(store, parse_period("2006")).targets_shape()


class TestKandasTargets:
    def test_quota_and_admissions_are_reproduced_exactly(self, tmp_path: Path) -> None:
        plan = YearPlan.build(Targets.from_mapping(TARGETS))
        with FactStore(tmp_path / "facts.sqlite") as store:
            got = _labour_figures(plan, store)
            rows = compute(store, parse_period("2006")).tables["kandas_quota_use"].rows
        assert (got["kandas_quota"], got["kandas_admissions"]) == (260, 140)
        # Admissions spread within the regions' quotas while they last: no region over 100 %.
        assert all(pct != "" and pct <= 100 for *_, pct in rows)
        quotas = [e for e in plan.feeds["labour"] if e.record_type == "KandasQuota"]
        this_year = [e for e in quotas if e.fields["quota_year"] == "2006"]
        # one region decided twice: the first decision, KANDAS_REVISED_BY higher, is
        # superseded by its June revision and counted nowhere (the totals above are exact)
        regions = [e.fields["region"] for e in this_year]
        twice = [e for e in this_year if regions.count(e.fields["region"]) == 2]
        assert [e.day.isoformat() for e in twice] == ["2005-12-20", "2006-06-01"]
        assert (
            int(twice[0].fields["persons"]) == int(twice[1].fields["persons"]) + KANDAS_REVISED_BY
        )
        assert any(e.fields["quota_year"] == "2007" for e in quotas)  # next year's, not counted

    def test_noise_admissions_use_none_of_the_quota(self) -> None:
        plan = YearPlan.build(Targets.from_mapping(TARGETS))
        admissions = [e for e in plan.feeds["labour"] if e.record_type == "KandasAdmission"]
        counted = [
            e
            for e in admissions
            if e.fields["Status"] == "ADMITTED" and e.fields["quota_year"] == "2006"
        ]
        assert len(counted) == 140 and len(admissions) > 140

    def test_without_kandas_targets_there_is_no_quota_and_nothing_admitted(
        self, tmp_path: Path
    ) -> None:
        plan = YearPlan.build(Targets.from_mapping({"year": 2006, "arrivals": 6}))
        assert plan.targets.kandas_quota is None
        with FactStore(tmp_path / "facts.sqlite") as store:
            got = _labour_figures(plan, store)
        assert (got["kandas_quota"], got["kandas_admissions"]) == (0, 0)

    def test_a_negative_target_names_its_key(self) -> None:
        with pytest.raises(ValueError, match="kandas_quota: -1 is negative"):
            Targets.from_mapping({"year": 2006, "kandas_quota": -1})

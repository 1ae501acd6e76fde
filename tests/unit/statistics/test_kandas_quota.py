"""Kandas admissions against the year's quota: definitions, the latest decision, the table,
its CSV and chart, and the totals ``python -m infra.year --json`` prints."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from lxml import etree

from hub.statistics import definitions as d
from hub.statistics.figures import compute
from hub.statistics.periods import parse_period
from hub.statistics.programmes import kandas_quota_use
from hub.statistics.store import FactStore

LAB = "urn:kz:mhub:labour:1"


def quota(kato: str, year: str, persons: int, decided: str) -> etree._Element:
    return etree.fromstring(
        f'<KandasQuota xmlns="{LAB}"><QuotaYear>{year}</QuotaYear><Kato>{kato}</Kato>'
        f"<Persons>{persons}</Persons><DecisionNumber>ПП-1</DecisionNumber>"
        f"<DecisionDate>{decided}</DecisionDate></KandasQuota>"
    )


def admission(kato: str, year: str, status: str, decided: str) -> etree._Element:
    return etree.fromstring(
        f'<KandasAdmission xmlns="{LAB}"><DecisionNumber>KA-1</DecisionNumber>'
        f"<QuotaYear>{year}</QuotaYear><Status>{status}</Status>"
        f"<DecisionDate>{decided}</DecisionDate><CountryOfOrigin>MNG</CountryOfOrigin>"
        f"<Kato>{kato}</Kato></KandasAdmission>"
    )


class TestDefinition:
    def test_a_quota_is_dated_by_its_decision_and_keeps_its_year(self) -> None:
        f = d.fact_of(quota("391010000", "2006", 120, "2005-12-20"))
        assert (f.kind, f.day, f.region, f.quota_year, f.value) == (
            d.KANDAS_QUOTA,
            "2005-12-20",
            "39",
            "2006",
            120,
        )

    def test_quotas_do_not_make_a_year_the_latest(self, tmp_path: Path) -> None:
        with FactStore(tmp_path / "f.sqlite") as store:
            store.apply("q", 1, "labour", d.fact_of(quota("390000000", "2008", 5, "2007-12-01")))
            store.apply(
                "a", 1, "labour", d.fact_of(admission("39", "2006", "ADMITTED", "2006-05-01"))
            )
            assert store.latest_year() == "2006"


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Kostanay (39): 100 decided in 2005, revised to 120 in June 2006, a correction of the
    revision to 130 (same event, version 2); Astana (71): 50; Almaty (75): no quota."""
    s = FactStore(tmp_path / "facts.sqlite")
    events = [
        ("q39", 1, quota("390000000", "2006", 100, "2005-12-20")),
        ("q39r", 1, quota("390000000", "2006", 120, "2006-06-01")),
        ("q39r", 2, quota("390000000", "2006", 130, "2006-06-01")),
        ("q71", 1, quota("710000000", "2006", 50, "2005-12-20")),
        ("q71-2007", 1, quota("710000000", "2007", 999, "2006-12-01")),  # next year's
        ("a1", 1, admission("391010000", "2006", "ADMITTED", "2006-02-01")),
        ("a2", 1, admission("391010000", "2006", "ADMITTED", "2006-08-01")),
        ("a3", 1, admission("391010000", "2006", "REFUSED", "2006-02-02")),
        ("a4", 1, admission("391010000", "2005", "ADMITTED", "2006-02-03")),  # last year's quota
        ("a5", 1, admission("711010000", "2006", "WAITLISTED", "2006-03-01")),
        ("a5", 2, admission("711010000", "2006", "ADMITTED", "2006-03-01")),  # corrected
        ("a6", 1, admission("751010000", "2006", "ADMITTED", "2006-04-01")),
    ]
    for event_id, version, body in events:
        s.apply(event_id, version, "labour", d.fact_of(body))
    yield s
    s.close()


class TestTable:
    def test_the_year_against_the_latest_decision_by_region(self, store: FactStore) -> None:
        t = kandas_quota_use(store, parse_period("2006"))
        assert t.title == "Kandas admissions against the 2006 quota, by region"
        assert (t.name, t.unit) == ("kandas_quota_use", "persons")
        assert t.columns == ["region", "kato", "quota", "admitted", "use %"]
        assert t.rows == [
            ["Kostanay Region", "39", 130, 2, 1.5],
            ["Astana", "71", 50, 1, 2.0],
            ["Almaty", "75", 0, 1, ""],
        ]

    def test_a_quarter_against_the_quota_decided_by_its_end(self, store: FactStore) -> None:
        t = kandas_quota_use(store, parse_period("2006-Q1"))
        assert t.title == "Kandas admissions against the 2006 quota, by region"
        assert t.rows == [["Kostanay Region", "39", 100, 1, 1.0], ["Astana", "71", 50, 1, 2.0]]

    def test_targets_shape_carries_the_totals(self, store: FactStore) -> None:
        shape = compute(store, parse_period("2006")).targets_shape()
        assert (shape["kandas_quota"], shape["kandas_admissions"]) == (180, 4)

    def test_no_quota_and_no_admissions_is_an_empty_table(self, tmp_path: Path) -> None:
        with FactStore(tmp_path / "empty.sqlite") as empty:
            figs = compute(empty, parse_period("2006"))
        assert figs.tables["kandas_quota_use"].rows == []
        assert (
            figs.targets_shape()["kandas_quota"],
            figs.targets_shape()["kandas_admissions"],
        ) == (0, 0)


class TestReport:
    def test_csv_and_png_name_the_period_and_regions(
        self, store: FactStore, tmp_path: Path
    ) -> None:
        from hub.reports.statistics import _table_html, chart_kandas_quota, write_csv

        t = kandas_quota_use(store, parse_period("2006"))
        png = chart_kandas_quota(t, "2006", tmp_path / "kandas_quota_use.png")
        assert png is not None and png.read_bytes()[:4] == b"\x89PNG"
        with write_csv(t, tmp_path).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows[0] == {
            "region": "Kostanay Region",
            "kato": "39",
            "quota": "130",
            "admitted": "2",
            "use %": "1.5",
        }
        assert "Kandas admissions against the 2006 quota, by region, 2006-Q1 (persons)" in (
            _table_html(t, "2006-Q1")
        )

    def test_no_rows_no_chart(self, tmp_path: Path) -> None:
        from hub.reports.statistics import chart_kandas_quota
        from hub.statistics.figures import Table

        empty = Table(
            "kandas_quota_use", "t", "persons", ["region", "kato", "quota", "admitted", "use %"]
        )
        assert chart_kandas_quota(empty, "2006", tmp_path / "x.png") is None

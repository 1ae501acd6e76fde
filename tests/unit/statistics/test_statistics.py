"""Statistics definitions, corrections replacing what they correct, periods."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from hub.statistics import definitions as d
from hub.statistics.definitions import Fact
from hub.statistics.figures import compute
from hub.statistics.periods import parse_period
from hub.statistics.reconcile import Evidence, gather_evidence, likely_cause, reconcile
from hub.statistics.store import FactStore

NS = "urn:kz:mhub:interior:1"


def permit(
    kind: str, status: str, kato: str = "710000000", day: str = "2006-02-03"
) -> etree._Element:
    return etree.fromstring(
        f'<ResidencePermit xmlns="{NS}"><PermitNumber>X</PermitNumber><Kind>{kind}</Kind>'
        f"<Status>{status}</Status><DecisionDate>{day}</DecisionDate><Kato>{kato}</Kato>"
        "</ResidencePermit>"
    )


class TestDefinitions:
    def test_permanent_issued_is_arrival_revoked_departure_temporary_nothing(self) -> None:
        assert d.fact_of(permit("PERMANENT", "ISSUED"), ("UZB",)).kind == d.ARRIVAL
        assert d.fact_of(permit("PERMANENT", "REVOKED"), ("UZB",)).kind == d.DEPARTURE
        assert d.fact_of(permit("TEMPORARY", "ISSUED"), ("UZB",)).kind == d.NOT_COUNTED
        f = d.fact_of(permit("PERMANENT", "ISSUED"), ("CHN",))
        assert (f.region, f.country, f.day) == ("71", "CHN", "2006-02-03")


class TestStore:
    def test_redelivery_counts_once_and_correction_replaces(self, tmp_path: Path) -> None:
        with FactStore(tmp_path / "f.sqlite") as store:
            first = d.fact_of(permit("PERMANENT", "ISSUED"), ("UZB",))
            assert store.apply("e1", 1, "interior", first)
            assert not store.apply("e1", 1, "interior", first)  # re-delivered
            corrected = d.fact_of(permit("TEMPORARY", "ISSUED"), ("UZB",))
            assert store.apply("e1", 2, "interior", corrected)
            assert not store.apply("e1", 1, "interior", first)  # an older version arriving late
            store.apply("e2", 1, "interior", d.fact_of(permit("PERMANENT", "REVOKED"), ("CHN",)))
            figs = compute(store, parse_period("2006-Q1"))
        assert (figs.arrivals, figs.departures) == (0, 1)
        assert figs.targets_shape()["balance_by_group"] == {"CIS": 0, "non_CIS": -1}


class TestPeriods:
    @pytest.mark.parametrize(
        ("text", "first", "last"),
        [
            ("2006", "2006-01-01", "2006-12-31"),
            ("2006-Q1", "2006-01-01", "2006-03-31"),
            ("2008-02", "2008-02-01", "2008-02-29"),
        ],
    )
    def test_forms(self, text: str, first: str, last: str) -> None:
        p = parse_period(text)
        assert (p.first_day, p.last_day) == (first, last)

    def test_bad_period_names_the_forms(self) -> None:
        with pytest.raises(ValueError, match="YYYY-Qn"):
            parse_period("2006-Q5")


class TestLikelyCause:
    def test_quarantine_first_then_the_rest_is_missing(self) -> None:
        ev = Evidence(("interior",), Counter({(d.ARRIVAL, "71", "interior"): 2}))
        held = "records still in quarantine (2 from interior)"
        assert likely_cause(2, ev, d.ARRIVAL, "71") == held
        assert likely_cause(5, ev, d.ARRIVAL, "71") == (
            "records still in quarantine (2 from interior); "
            "missing records of interior (3 fewer than the bureau counted)"
        )
        assert likely_cause(5, ev, d.ARRIVAL, "75").startswith("missing records of interior (5")
        assert likely_cause(0, ev, d.ARRIVAL, "71") == ""

    def test_corrections_after_publication_are_late(self, tmp_path: Path) -> None:
        obs = Fact(d.BUREAU_ARRIVAL, "2006-02-01", "71", group="CIS", value=3)
        with FactStore(tmp_path / "f.sqlite") as store:
            store.apply("b1", 1, "statistics", obs, updated_at="2007-02-15T04:00:00Z")
            arrival = d.fact_of(permit("PERMANENT", "ISSUED"), ("UZB",))
            store.apply("e1", 1, "interior", arrival, updated_at="2007-01-02T00:00:00Z")
            store.apply("e2", 2, "interior", arrival, updated_at="2007-03-01T00:00:00Z")
            store.apply("e3", 2, "interior", arrival, updated_at="2007-01-05T00:00:00Z")
            per = parse_period("2006")
            ev = gather_evidence(store, per)
            rows = reconcile(store, per, ev).rows
        assert ev.published == "2007-02-15T04:00:00Z"
        assert ev.late == Counter({(d.ARRIVAL, "71"): 1})  # e3 was corrected in time
        assert [r[1:6] for r in rows] == [["arrivals", 3, 3, 0, 0.0]]  # no gap, no cause
        assert rows[0][6] == ""

    def test_late_corrections_named_when_no_quarantine(self) -> None:
        ev = Evidence(("interior",), late=Counter({(d.ARRIVAL, "71"): 2}), published="2007-02-15")
        assert likely_cause(-2, ev, d.ARRIVAL, "71") == (
            "late corrections (2 of interior after the bureau published (2007-02-15))"
        )


class TestStoreMigration:
    def test_a_store_without_the_evidence_columns_gains_them(self, tmp_path: Path) -> None:
        import sqlite3

        path = tmp_path / "old.sqlite"
        db = sqlite3.connect(path)
        db.execute(
            "CREATE TABLE facts (event_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
            "source TEXT NOT NULL, "
            + ", ".join(f'"{c}" TEXT NOT NULL' for c in Fact.__dataclass_fields__)
            + ")"
        )
        db.commit()
        db.close()
        with FactStore(path) as store:
            assert store.apply("e1", 1, "interior", Fact(d.ARRIVAL, "2006-01-02"), record_id="R1")
            assert store.record_ids("interior") == {"R1"}

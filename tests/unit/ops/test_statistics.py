"""Statistics definitions, corrections replacing what they correct, periods."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hub.ops.statistics import definitions as d
from hub.ops.statistics.figures import compute
from hub.ops.statistics.periods import parse_period
from hub.ops.statistics.store import FactStore

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

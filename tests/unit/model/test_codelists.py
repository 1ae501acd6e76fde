"""The dated code lists (schemas/data): what holds on the day before and the day of each change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.model import codelists
from hub.model.codelists import CIS, EAEU, is_cis, is_eaeu, status_on

DAY = timedelta(days=1)


class TestCountriesAndRegions:
    def test_iso3166(self) -> None:
        countries = codelists.iso_countries()
        assert len(countries) == 249
        assert countries["KAZ"] == "Kazakhstan" and "SUN" not in countries

    def test_kato_regions(self) -> None:
        regions = codelists.kato_regions()
        assert len(regions) == 20  # 17 regions + Astana, Almaty, Shymkent
        assert regions["75"].name_en == "Almaty" and regions["75"].kind == "city"
        assert codelists.kato_region("751110000") is regions["75"]
        assert all(r.code == r.prefix + "0000000" and len(r.code) == 9 for r in regions.values())


class TestMemberships:
    def test_every_row_names_a_known_state_and_a_source(self) -> None:
        rows = codelists.memberships()
        assert {m.organisation for m in rows} == {CIS, EAEU}
        assert {m.alpha3 for m in rows} <= set(codelists.iso_countries())
        for m in rows:
            assert m.source, m
            assert m.valid_to is None or m.valid_from <= m.valid_to, m
            assert m.certain or m.note, f"an uncertain row says why: {m}"

    def test_no_state_has_two_rows_in_force_on_one_day(self) -> None:
        rows = codelists.memberships()
        for a in rows:
            for b in rows:
                if a is b or (a.organisation, a.alpha3) != (b.organisation, b.alpha3):
                    continue
                assert not a.in_force(b.valid_from), (a, b)

    def test_cis_today(self) -> None:
        today = date(2026, 12, 8)
        assert codelists.members_on(CIS, today) == {
            "ARM", "AZE", "BLR", "KAZ", "KGZ", "MDA", "RUS", "TJK", "UZB", "TKM"}
        assert status_on(CIS, "TKM", today) == "associate"
        assert not is_cis("UKR", today) and not is_cis("GEO", today)

    @pytest.mark.parametrize(("alpha3", "last_day", "before", "after"), [
        ("GEO", date(2009, 8, 17), "member", None),          # withdrawal in force 2009-08-18
        ("TKM", date(2005, 8, 25), "member", "associate"),   # associate since 2005-08-26
        ("UKR", date(2018, 5, 19), "participant", None),     # participation ended 2014-2018
    ])
    def test_cis_changes_at_their_boundaries(
        self, alpha3: str, last_day: date, before: str, after: str | None
    ) -> None:
        assert status_on(CIS, alpha3, last_day) == before
        assert status_on(CIS, alpha3, last_day + DAY) == after

    def test_georgia_joined_in_1993(self) -> None:
        assert not is_cis("GEO", date(1993, 12, 2)) and is_cis("GEO", date(1993, 12, 3))
        assert is_cis("GEO", date(2006, 6, 1))  # a report of 2006 counts Georgia as CIS

    @pytest.mark.parametrize(("alpha3", "first_day"), [
        ("KAZ", date(2015, 1, 1)), ("RUS", date(2015, 1, 1)), ("BLR", date(2015, 1, 1)),
        ("ARM", date(2015, 1, 2)), ("KGZ", date(2015, 8, 6)),
    ])
    def test_eaeu_at_its_start(self, alpha3: str, first_day: date) -> None:
        assert not is_eaeu(alpha3, first_day - DAY)
        assert is_eaeu(alpha3, first_day)

    def test_uzbekistan_is_cis_but_not_eaeu(self) -> None:
        assert is_cis("UZB", date(2020, 1, 1)) and not is_eaeu("UZB", date(2020, 1, 1))

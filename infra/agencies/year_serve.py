"""The year plan served by the ordinary agency simulators (``infra.agencies.year``).

``YearGenerator`` renders each planned entry as an agency record (all valid,
except entries the plan marks for quarantine); ``YearStatistics`` is the
bureau's SDMX dataflow of the same truth.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.agencies import reference as ref
from infra.agencies.generator import INVALID, VALID, Generator, GeneratorConfig, Rates, Truth
from infra.agencies.statistics import Obs as SdmxObs
from infra.agencies.statistics import SeriesKey, matches
from infra.agencies.year import CODES, POPULATION, QUARANTINE, Entry, YearPlan

# The validation rule a planned quarantined record breaks: a wrong IIN check digit
# (every planned person can carry an IIN; the hub quarantines it at validation).
QUARANTINE_KIND = "iin-check-digit"


class YearGenerator(Generator):
    """The plan's records, served by the ordinary simulator: all valid, one per entry."""

    def __init__(self, plan: YearPlan) -> None:
        rates = Rates(duplicate=0.0, correction=0.0, invalid=0.0, hostile=0.0)
        # The year's records were entered by its close: updatedAt in the next January.
        epoch = datetime(plan.targets.year + 1, 1, 2, tzinfo=UTC)
        super().__init__(
            GeneratorConfig(seed=plan.seed, population=POPULATION, rates=rates, epoch=epoch)
        )
        self.plan = plan

    def entry(self, feed: str, index: int) -> Entry:
        return self.plan.feeds[self.family(feed)][index]

    def kind(self, feed: str, index: int) -> tuple[str, str | None]:
        if self.entry(feed, index).fields.get(QUARANTINE):
            return INVALID, QUARANTINE_KIND
        return VALID, None

    def _record_type(self, feed: str, index: int) -> tuple[str, str]:
        root = self.entry(feed, index).record_type
        return root, CODES[root]

    def _person_for_fact(self, fact_id: str) -> int:
        feed, index = fact_id.rsplit(":", 1)
        pid = self.entry(feed, int(index)).pid
        return 0 if pid is None else pid

    def _fact_time(self, t: Truth, fr: random.Random) -> datetime:
        day = self.entry(t.feed, t.index).day
        return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)

    def _render(self, t: Truth) -> str:
        custom = _CUSTOM.get(t.record_type)
        if custom is None:
            return super()._render(t)
        family = self.family(t.feed)
        from infra.agencies.generator import NS

        rr = self._entry_rng(t.feed, t.index, "render")
        e = self.entry(t.feed, t.index)
        person = (
            "" if t.person_id is None else self._person_xml(t, self.person(t.person_id), family, rr)
        )
        return (
            f'<{t.record_type} xmlns="{NS[family]}" xmlns:c="{NS["common"]}" '
            f'recordId="{t.record_id}" version="{t.version}" updatedAt="{t.updated_at}">'
            f"{person}{custom(e, t.index, self.plan.targets.year)}</{t.record_type}>"
        )


def _permit_body(e: Entry, index: int, year: int) -> str:
    start = e.day + timedelta(days=1)
    return (
        f"<PermitNumber>ВНЖ-{year}-{index:06d}</PermitNumber><Kind>{e.fields['Kind']}</Kind>"
        f"<Status>{e.fields['Status']}</Status><DecisionDate>{e.day}</DecisionDate>"
        f"<ValidFrom>{start}</ValidFrom><ValidTo>{start + timedelta(days=3 * 365)}</ValidTo>"
        f"<Kato>{ref.kato_code(e.fields['region'])}</Kato>"
    )


def _resettlement_body(e: Entry, index: int, year: int) -> str:
    return (
        f"<CertificateNumber>KC-{year}-{index:06d}</CertificateNumber>"
        f"<ProgrammeYear>{year}</ProgrammeYear>"
        f"<FromKato>{ref.kato_code(e.fields['from'])}</FromKato>"
        f"<ToKato>{ref.kato_code(e.fields['to'])}</ToKato>"
        f"<ArrivedOn>{e.day}</ArrivedOn><FamilyMembers>0</FamilyMembers>"
    )


def _quota_body(e: Entry, index: int, year: int) -> str:
    r = random.Random(index)
    allotted = r.randrange(10, 500)
    return (
        f"<Kato>{ref.kato_code(e.fields['region'])}</Kato><Sector>{r.choice(ref.SECTORS)}</Sector>"
        f"<Category>{r.choice(ref.WORKER_CATEGORIES)}</Category><Year>{year}</Year>"
        f"<Allotted>{allotted}</Allotted><Used>{r.randrange(allotted + 1)}</Used>"
        f"<DecisionDate>{e.day}</DecisionDate>"
    )


def _kandas_quota_body(e: Entry, index: int, year: int) -> str:
    return (
        f"<QuotaYear>{e.fields['quota_year']}</QuotaYear>"
        f"<Kato>{ref.kato_code(e.fields['region'])}</Kato><Persons>{e.fields['persons']}</Persons>"
        f"<DecisionNumber>ПП-{e.day.year}/{index:04d}</DecisionNumber>"
        f"<DecisionDate>{e.day}</DecisionDate>"
    )


def _kandas_admission_body(e: Entry, index: int, year: int) -> str:
    """Status and quota year as planned: only ADMITTED of the year's quota count."""
    return (
        f"<DecisionNumber>КН-{year}-{index:06d}</DecisionNumber>"
        f"<QuotaYear>{e.fields['quota_year']}</QuotaYear><Status>{e.fields['Status']}</Status>"
        f"<DecisionDate>{e.day}</DecisionDate>"
        f"<CountryOfOrigin>{e.fields['country']}</CountryOfOrigin>"
        f"<Kato>{ref.kato_code(e.fields['region'], 10)}</Kato><FamilyMembers>0</FamilyMembers>"
    )


_CUSTOM = {
    "ResidencePermit": _permit_body,
    "KandasResettlement": _resettlement_body,
    "LabourQuota": _quota_body,
    "KandasQuota": _kandas_quota_body,
    "KandasAdmission": _kandas_admission_body,
}


class YearStatistics:
    """The bureau's SDMX dataflow for the plan's year (same interface as MigrationStatistics)."""

    def __init__(self, plan: YearPlan) -> None:
        self.plan = plan
        self.published_at = datetime(plan.targets.year + 1, 2, 15, 4, tzinfo=UTC)

    def prepared(self) -> datetime:
        return self.published_at

    def _series(self) -> dict[SeriesKey, list[SdmxObs]]:
        out: dict[SeriesKey, list[SdmxObs]] = {}
        b = self.plan.bureau
        cells = sorted({(r, m, g) for r, m, _ind, g in b})
        for region, month, group in cells:
            arr, dep = b[(region, month, "ARR", group)], b[(region, month, "DEP", group)]
            for ind, value in (("ARR", arr), ("DEP", dep), ("NET", arr - dep)):
                key = SeriesKey("M", region, ind, group)
                out.setdefault(key, []).append(SdmxObs(month, value, "A", self.published_at))
        return out

    def query(
        self,
        key: str = "all",
        *,
        start_period: str | None = None,
        end_period: str | None = None,
        updated_after: datetime | None = None,
    ) -> Any:
        for sk, obs in self._series().items():
            if not matches(sk, key):
                continue
            keep = [
                o
                for o in obs
                if (not start_period or o.period >= start_period[:7])
                and (not end_period or o.period[: len(end_period)] <= end_period)
                and (updated_after is None or o.updated > updated_after)
            ]
            if keep:
                yield sk, keep

"""A generated year with known totals through the whole hub; the report reproduces them.

Real simulators (interior, labour, the bureau's SDMX), both stages through their
public functions, the real broker; the statistics consumer and the bureau's
pseudonymised feed; the report's figures compared with the targets exactly.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import jsonschema

from hub.config import Settings
from hub.deliver.bureau_feed import FEED_FAMILIES, feed_schema
from infra.agencies.year import Targets
from infra.year import run_year
from tests.support.exchange import isolated_settings
from tests.support.statistics import EV, events, read_feed

TARGETS = """
year = 2006
arrivals = 90
departures = 40
kandas_quota = 75
kandas_admissions = 50
[balance_by_group]
CIS = 38
non_CIS = 12
[internal_balance_by_region]
"Astana" = 18
"Zhambyl Region" = -7
"""


def _event_records(settings: Settings) -> dict[str, str]:
    """event id -> the agency record id it was published from (Provenance), every family."""
    out: dict[str, str] = {}
    for root in events(settings, FEED_FAMILIES):
        record_id = root.findtext(f"{EV}Provenance/{EV}SourceRecordId")
        if record_id:
            out[root.findtext(f"{EV}EventId")] = record_id
    return out


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


class TestGeneratedYear:
    def test_report_reproduces_every_total_and_feed_is_pseudonymous(
        self, tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        targets_file = tmp_path / "targets.toml"
        targets_file.write_text(TARGETS)
        targets = Targets.load(targets_file)
        result = run_year(targets, settings, out_dir=tmp_path / "report")

        got = result.figures.targets_shape()
        assert got["period"] == "2006"
        assert got["arrivals"] == 90
        assert got["departures"] == 40
        assert got["balance_by_group"] == {"CIS": 38, "non_CIS": 12}
        internal = got["internal_balance_by_region"]
        assert internal["Astana"] == 18
        assert internal["Zhambyl Region"] == -7
        assert sum(internal.values()) == 0
        from hub.statistics.reference import region_names

        want = {region_names()[p]: b for p, b in targets.internal_balance_by_region.items()}
        assert internal == want
        # Kandas: the year's quota (one region revised in June) and the admissions against it.
        assert (got["kandas_quota"], got["kandas_admissions"]) == (75, 50)
        self._check_kandas_by_region(result.plan, tmp_path / "report")
        # The bureau's figures (same truth) agree with the hub's: no gap anywhere.
        recon = (tmp_path / "report" / "reconciliation.csv").read_text().splitlines()
        assert len(recon) > 1
        assert all(line.split(",")[4] == "0" for line in recon[1:])
        for name in ("index.html", "saldo_by_region.png", "saldo_by_region.csv"):
            assert (tmp_path / "report" / name).exists()

        self._check_feed(settings, result)

    @staticmethod
    def _check_kandas_by_region(plan, out: Path) -> None:  # type: ignore[no-untyped-def]
        """The kandas table, by region name, equals the plan: latest decision, ADMITTED only."""
        from hub.statistics.reference import region_names

        names = region_names()
        quota: dict[str, int] = {}
        admitted: dict[str, int] = defaultdict(int)
        for e in sorted(plan.feeds["labour"], key=lambda e: e.day):
            if e.record_type == "KandasQuota" and e.fields["quota_year"] == "2006":
                quota[names[e.fields["region"]]] = int(e.fields["persons"])  # later replaces
            if e.record_type == "KandasAdmission" and e.fields["quota_year"] == "2006":
                admitted[names[e.fields["region"]]] += e.fields["Status"] == "ADMITTED"
        with (out / "kandas_quota_use.csv").open(encoding="utf-8") as fh:
            rows = {r["region"]: r for r in csv.DictReader(fh)}
        assert {k: int(r["quota"]) for k, r in rows.items()} == {k: quota.get(k, 0) for k in rows}
        assert {k: int(r["admitted"]) for k, r in rows.items()} == {
            k: admitted.get(k, 0) for k in rows
        }
        assert set(rows) == set(quota) | {k for k, n in admitted.items() if n}
        assert (out / "kandas_quota_use.png").read_bytes()[:4] == b"\x89PNG"
        page = (out / "index.html").read_text(encoding="utf-8")
        assert "Kandas admissions against the 2006 quota, by region, 2006 (persons)" in page

    def _check_feed(self, settings: Settings, result) -> None:  # type: ignore[no-untyped-def]
        facts = read_feed(settings)
        assert facts, "the bureau's feed is empty"
        assert len({(f["event_id"], f["version"]) for f in facts}) == len(facts)
        validator = jsonschema.Draft202012Validator(feed_schema())
        for f in facts:
            validator.validate(f)  # every message against docs/statistics-feed.md's schema
        self._check_true_persons(settings, facts, result)
        gen_people = set()
        plan = result.plan
        from infra.agencies.year_serve import YearGenerator

        gen = YearGenerator(plan)
        secrets: set[str] = set()
        for entries in plan.feeds.values():
            for e in entries:
                if e.pid is None:
                    continue
                p = gen.person(e.pid)
                gen_people.add(e.pid)
                secrets |= {p.passport, p.surname, p.given, p.birth.isoformat()}
                secrets |= {p.iin} if p.iin else set()
                secrets |= {p.surname.upper(), p.given.upper()}
        text = json.dumps(facts, ensure_ascii=False)
        values = set(_strings(facts))
        tokens = values | {w for v in values for w in v.replace(",", " ").split()}
        # Names are compared as whole values / words ("LI" is in "LIVESTOCK"); numbers and
        # dates (IIN, passport number, birth date) anywhere in the text.
        leaked = sorted(s for s in secrets if s and (s in tokens or (len(s) >= 8 and s in text)))
        assert not leaked, f"identities in the bureau's feed: {leaked[:5]}"
        # One person, one pseudonym across agencies: labour and interior records of the
        # same generated person carry the same pseudonym.
        by_pseudonym: dict[str, set[str]] = defaultdict(set)
        for f in facts:
            by_pseudonym[f["pseudonym"]].add(f["family"])
        assert any(len(fams) > 1 for fams in by_pseudonym.values())

    def _check_true_persons(self, settings: Settings, facts: list[dict], result) -> None:  # type: ignore[no-untyped-def]
        """Against the generator's ground truth: one true person, one pseudonym, and back."""
        from infra.agencies.year_serve import YearGenerator

        gen = YearGenerator(result.plan)
        true_person: dict[str, int] = {}  # agency record id -> generated person id
        for feed, entries in result.plan.feeds.items():
            for i in range(len(entries)):
                t = gen.ground_truth(feed, i)
                if t.person_id is not None and entries[i].pid is not None:
                    true_person[t.record_id] = t.person_id
        records = _event_records(settings)
        pseudonyms: dict[int, set[str]] = defaultdict(set)
        persons: dict[str, set[int]] = defaultdict(set)
        families: dict[int, set[str]] = defaultdict(set)
        for f in facts:
            pid = true_person[records[f["event_id"]]]
            pseudonyms[pid].add(f["pseudonym"])
            persons[f["pseudonym"]].add(pid)
            families[pid].add(f["family"])
        assert len(pseudonyms) == len(
            {p for e in result.plan.feeds.values() for p in (x.pid for x in e) if p is not None}
        )
        split = {p: s for p, s in pseudonyms.items() if len(s) > 1}
        shared = {s: p for s, p in persons.items() if len(p) > 1}
        assert not split, f"a true person under several pseudonyms: {list(split.items())[:3]}"
        assert not shared, f"true persons sharing a pseudonym: {list(shared.items())[:3]}"
        across = [p for p, fams in families.items() if len(fams) > 1]
        assert across, "no person seen by two agencies: the cross-agency check proved nothing"


class TestReconciliation:
    def test_agency_dropping_records_is_named_with_the_gap(
        self, tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        targets = Targets.from_mapping({"year": 2006, "arrivals": 30, "departures": 10})
        result = run_year(targets, settings, drop_arrivals=4, out_dir=tmp_path / "report")
        assert result.figures.arrivals == 26  # the interior ministry never sent 4
        rows = [
            line.split(",")
            for line in (tmp_path / "report" / "reconciliation.csv").read_text().splitlines()[1:]
        ]
        gaps = [r for r in rows if r[4] != "0"]
        assert sum(int(r[4]) for r in gaps) == 4
        assert all(r[1] == "arrivals" and "missing records of interior" in r[6] for r in gaps)
        html = (tmp_path / "report" / "index.html").read_text()
        assert "missing records of interior" in html

    def test_records_in_quarantine_are_named_with_their_count_and_agency(
        self, tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        """The interior ministry sends 5 arrivals with a broken IIN: the hub quarantines
        them, the bureau counted them; the report says where they are, not "missing"."""
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        targets = Targets.from_mapping({"year": 2006, "arrivals": 30, "departures": 10})
        out = tmp_path / "report"
        result = run_year(targets, settings, quarantine_arrivals=5, out_dir=out)
        assert result.plan.quarantined == 5
        assert result.figures.arrivals == 25
        with (out / "reconciliation.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        gaps = [r for r in rows if r["gap"] != "0"]
        assert sum(int(r["gap"]) for r in gaps) == 5
        for r in gaps:
            assert r["flow"] == "arrivals"
            # every record of the gap is in quarantine: no "missing records" left over
            assert r["likely cause"] == f"records still in quarantine ({r['gap']} from interior)"
        assert "records still in quarantine" in (out / "index.html").read_text()

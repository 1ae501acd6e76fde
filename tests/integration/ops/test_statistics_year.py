"""A generated year with known totals through the whole hub; the report reproduces them.

Real simulators (interior, labour, the bureau's SDMX), both stages through their
public functions, the real broker; the statistics consumer and the bureau's
pseudonymised feed; the report's figures compared with the targets exactly.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition

from hub.config import Settings
from hub.deliver.bureau_feed import feed_topic
from hub.kafka.clients import consumer
from hub.ops.statistics.year import run_year
from infra.agencies.year import Targets
from tests.support.exchange import isolated_settings
from tests.support.topic_reader import read_to_end

TARGETS = """
year = 2006
arrivals = 90
departures = 40
[balance_by_group]
CIS = 38
non_CIS = 12
[internal_balance_by_region]
"Astana" = 18
"Zhambyl Region" = -7
"""


def _feed(settings: Settings) -> list[dict]:
    """An independent reader of the bureau's feed (plain consumer, read_committed)."""
    topic = feed_topic(settings)
    cons = consumer(settings=settings)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic) or [])]
        return [json.loads(m.value) for m in read_to_end(cons, tps)]
    finally:
        cons.close()


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
        from hub.ops.statistics.reference import region_names

        want = {region_names()[p]: b for p, b in targets.internal_balance_by_region.items()}
        assert internal == want
        # The bureau's figures (same truth) agree with the hub's: no gap anywhere.
        recon = (tmp_path / "report" / "reconciliation.csv").read_text().splitlines()
        assert len(recon) > 1
        assert all(line.split(",")[4] == "0" for line in recon[1:])
        for name in ("index.html", "saldo_by_region.png", "saldo_by_region.csv"):
            assert (tmp_path / "report" / name).exists()

        self._check_feed(settings, result)

    def _check_feed(self, settings: Settings, result) -> None:  # type: ignore[no-untyped-def]
        facts = _feed(settings)
        assert facts, "the bureau's feed is empty"
        assert len({(f["event_id"], f["version"]) for f in facts}) == len(facts)
        gen_people = set()
        plan = result.plan
        from infra.agencies.year import YearGenerator

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

"""``python -m infra.year --targets … --json`` and ``mhub report --period …`` from the shell.

Each in a subprocess, on the real broker, with a hub of its own (var dir, topic prefix):
the JSON equals the targets file; the report of a quarter (the installed console script)
shows that quarter and its figures equal the generated truth.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from hub.config import PROJECT_ROOT, Settings
from infra.agencies.year import Targets, YearPlan
from tests.support.exchange import isolated_settings
from tests.support.statistics import hub_env

MHUB = str(Path(sys.executable).parent / "mhub")
# The whole year through the hub takes about a minute here; this only bounds a hang.
YEAR_TIMEOUT_S = 600
TARGETS = """
year = 2006
arrivals = 60
departures = 25
kandas_quota = 40
kandas_admissions = 33
[balance_by_group]
CIS = 30
non_CIS = 5
[internal_balance_by_region]
"Astana" = 12
"Zhambyl Region" = -5
"""


def _mhub(settings: Settings, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return _run(settings, MHUB, *args, **kw)


def _year(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The checkout's year tool, run from the checkout as README says."""
    return _run(settings, sys.executable, "-m", "infra.year", *args, cwd=PROJECT_ROOT)


def _run(settings: Settings, *argv: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        env=hub_env(settings),
        capture_output=True,
        text=True,
        timeout=YEAR_TIMEOUT_S,
        **kw,  # type: ignore[call-overload]
    )


class TestYearAndReportCommands:
    def test_year_json_equals_targets_and_report_of_a_quarter(
        self, tmp_path: Path, kafka_settings: Settings, unique_name: Callable[[str], str]
    ) -> None:
        settings = isolated_settings(tmp_path, kafka_settings, unique_name)
        targets_file = tmp_path / "targets.toml"
        targets_file.write_text(TARGETS, encoding="utf-8")
        done = _year(settings, "--targets", str(targets_file), "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        got = json.loads(done.stdout)
        assert got["period"] == "2006"
        assert (got["arrivals"], got["departures"]) == (60, 25)
        assert got["balance_by_group"] == {"CIS": 30, "non_CIS": 5}
        internal = got["internal_balance_by_region"]
        assert (internal["Astana"], internal["Zhambyl Region"]) == (12, -5)
        assert sum(internal.values()) == 0
        assert (got["kandas_quota"], got["kandas_admissions"]) == (40, 33)

        out = tmp_path / "q1"
        done = _mhub(settings, "report", "--period", "2006-Q1", "--out", str(out))
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"index: {out / 'index.html'}" in done.stdout
        page = (out / "index.html").read_text(encoding="utf-8")
        assert "Migration statistics, 2006-Q1" in page and "2006-01-01 to 2006-03-31" in page
        with (out / "saldo_by_region.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        plan = YearPlan.build(Targets.load(targets_file))  # the same seed: the same truth
        q1 = [
            e
            for e in plan.feeds["interior"]
            if e.record_type == "ResidencePermit"
            and e.fields.get("Kind") == "PERMANENT"
            and e.day.month <= 3
        ]
        want_arr = sum(1 for e in q1 if e.fields["Status"] == "ISSUED")
        want_dep = sum(1 for e in q1 if e.fields["Status"] == "REVOKED")
        assert 0 < want_arr < 60
        assert sum(int(r["arrivals"]) for r in rows) == want_arr
        assert sum(int(r["departures"]) for r in rows) == want_dep
        for png in ("saldo_by_region.png", "migration_by_month.png", "reconciliation.png"):
            assert (out / png).read_bytes()[:4] == b"\x89PNG"

"""The reports DAG run for real (``dag.test()``) over a generated year: its outputs checked.

A year with known totals is published through both stages into this session's
hub; the DAG's one task then consumes the statistics and writes the report of
the period given as the run's ``period`` param: HTML naming the period, a PNG
per chart, a CSV per table, and the operator page linking it.
"""

from __future__ import annotations

import csv

from infra.agencies.year import Targets
from infra.year import publish_year

PERIOD = "2006"
# Every chart of the flows and the reconciliation is drawn and tabled (quota use only
# when quotas were decided in the period).
CHARTS = TABLES = (
    "saldo_by_region",
    "migration_by_month",
    "saldo_by_group",
    "migration_by_country",
    "internal_by_region",
    "reconciliation",
)


class TestReportsDag:
    def test_period_report_with_charts_and_tables(self, dagbag, airflow_db, hub_settings) -> None:
        targets = Targets.from_mapping({"year": 2006, "arrivals": 40, "departures": 15})
        publish_year(targets, hub_settings)
        dr = dagbag.dags["hub_reports"].test(run_conf={"period": PERIOD})
        assert getattr(dr.state, "value", dr.state) == "success"

        out = hub_settings.var_dir / "reports" / "statistics" / PERIOD
        page = (out / "index.html").read_text(encoding="utf-8")
        assert f"Migration statistics, {PERIOD}" in page and "2006-01-01 to 2006-12-31" in page
        for chart in CHARTS:
            assert (out / f"{chart}.png").read_bytes()[:4] == b"\x89PNG", chart
            assert f"src='{chart}.png'" in page
        for table in TABLES:
            assert f"href='{table}.csv'" in page
            with (out / f"{table}.csv").open(encoding="utf-8") as fh:
                assert list(csv.reader(fh))[1:], f"{table}.csv has no rows"
        with (out / "saldo_by_region.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert sum(int(r["arrivals"]) for r in rows) == 40
        assert sum(int(r["departures"]) for r in rows) == 15
        operator = (hub_settings.var_dir / "reports" / "index.html").read_text(encoding="utf-8")
        assert f"statistics/{PERIOD}/index.html" in operator

"""Hub metrics: counts from several processes, scraped over real HTTP in Prometheus format."""

from __future__ import annotations

import multiprocessing
import urllib.request
from pathlib import Path

from hub.config import Settings
from hub.runs import metrics


def _stage_process(var_dir: str) -> None:
    settings = Settings(var_dir=Path(var_dir))
    metrics.records_pulled("interior_border", 500, settings)
    metrics.records_quarantined("interior_border", "iin.checksum", 3, settings)


def test_scrape_the_endpoint(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    # Two real processes add to the same counter, as two task processes would.
    procs = [multiprocessing.Process(target=_stage_process, args=(str(tmp_path),))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    metrics.records_valid("interior_border", 997, settings)
    metrics.events_published("border", 990, settings)
    metrics.backlog("intake", "0", 12, settings)
    metrics.backlog("intake", "0", 0, settings)  # a gauge: the latest value
    metrics.transaction_seconds("publish", 0.04, settings)
    metrics.transaction_seconds("publish", 3.0, settings)

    server = metrics.serve_in_thread(settings)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = reply.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    lines = set(text.splitlines())
    assert 'mhub_records_pulled_total{source="interior_border"} 1000' in lines
    assert 'mhub_records_quarantined_total{rule="iin.checksum",source="interior_border"} 6' in lines
    assert 'mhub_records_valid_total{source="interior_border"} 997' in lines
    assert 'mhub_events_published_total{family="border"} 990' in lines
    assert 'mhub_backlog{key="0",kind="intake"} 0' in lines
    assert "# TYPE mhub_transaction_seconds histogram" in lines
    assert 'mhub_transaction_seconds_bucket{le="0.05",stage="publish"} 1' in lines
    assert 'mhub_transaction_seconds_bucket{le="+Inf",stage="publish"} 2' in lines
    assert 'mhub_transaction_seconds_count{stage="publish"} 2' in lines
    assert 'mhub_transaction_seconds_sum{stage="publish"} 3.04' in lines
    buckets = [ln for ln in text.splitlines() if ln.startswith("mhub_transaction_seconds_bucket")]
    assert buckets[-1].startswith('mhub_transaction_seconds_bucket{le="+Inf"')


def test_unknown_metric_is_refused(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(ValueError, match="unknown metric"):
        metrics.add("records_pulld_total", 1, Settings(var_dir=tmp_path))

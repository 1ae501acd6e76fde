"""The simulator server: stable paging, admin calls, SOAP queue, and the simulator command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from infra.agencies.server import decode_token, encode_token, message_id, message_index

ROOT = Path(__file__).resolve().parents[3]


def test_page_tokens_are_stable_and_opaque(make_simulator) -> None:
    sim = make_simulator(counts={"interior": 100})
    with httpx.Client(base_url=sim.url) as c:
        a = c.get("/interior/records", params={"limit": 30})
        tok = a.headers["X-Next-Page-Token"]
        b1 = c.get("/interior/records", params={"limit": 30, "page_token": tok})
        b2 = c.get("/interior/records", params={"limit": 30, "page_token": tok})
        assert b1.content == b2.content and b1.status_code == 200
        assert c.get("/interior/records", params={"page_token": "garbage"}).status_code == 400
        assert (
            c.get("/interior/records", params={"updated_since": "2025-06-01T00:00:00"}).status_code
            == 400
        )
    assert decode_token("interior", encode_token("interior", 77)) == 77


def test_message_ids_are_time_based_uuids_carrying_the_index(make_simulator) -> None:
    import uuid

    sim = make_simulator()
    mid = message_id(sim.generator, "partner:UZB", 12345)
    assert uuid.UUID(mid).version == 1 and message_index(mid) == 12345


def test_admin_grow_faults_stats(make_simulator) -> None:
    sim = make_simulator(counts={"interior": 1})
    with httpx.Client(base_url=sim.url) as c:
        assert c.post("/admin/grow", json={"feed": "interior", "count": 4}).json() == {"count": 5}
        assert (
            c.post("/admin/faults", json={"rates": {"500": 1.0}, "max_per_request": 1}).status_code
            == 200
        )
        assert c.get("/interior/records").status_code == 500
        assert c.get("/interior/records").status_code == 200  # same request, second attempt
        assert c.post("/admin/faults", json={"rates": {"nonsense": 1.0}}).status_code == 400
        stats = c.get("/admin/stats").json()
        assert stats["counts"]["interior"] == 5 and stats["faults"] == {"500": 1}


def test_sdmx_key_filter_and_errors(make_simulator) -> None:
    sim = make_simulator(statistics_periods=2)
    with httpx.Client(base_url=sim.url) as c:
        r = c.get(
            "/statistics/data/DF_MIGRATION/M.75+71.NET.",
            headers={"Accept": "application/vnd.sdmx.genericdata+xml;version=2.1"},
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/vnd.sdmx.genericdata"
        )
        assert r.content.count(b"<generic:Series>") == 4  # 2 regions x NET x 2 groups
        assert c.get("/statistics/data/DF_MIGRATION/M.75").status_code == 400
        assert c.get("/statistics/data/OTHER/all").status_code == 404


def test_mhub_agencies_serve_and_truth_commands(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.agencies.cli",
            "serve",
            "--port",
            "0",
            "--seed",
            "3",
            "--interior",
            "25",
            "--partner",
            "5",
            "--drop-dir",
            str(tmp_path),
            "--drop-files",
            "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        with httpx.Client(base_url=info["url"]) as c:
            assert c.get("/health").status_code == 200
            assert c.get("/interior/records").content.count(b"recordId=") == 25
        assert list(tmp_path.glob("MTSZN_BATCH_*.xml"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    out = subprocess.run(
        [sys.executable, "-m", "infra.agencies.cli", "truth", "--seed", "3", "interior", "0", "7"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["index"] for r in rows] == [0, 7] and rows[0]["record_id"].startswith("MVD-")

"""``mhub status``: every source's last run, state, freshness and backlog in one table.

Freshness is the time since the source's last *successful* pull (it grows only
when the hub stops pulling, not when an agency is quiet); backlog is what the hub
has not yet taken: pages (or periods) left at the source when a run stopped, and
intake records stage 2 has not yet published.

Reads the run summaries the stages save under ``var/runs`` (so it works without
Airflow), adds the DAGs' last run states from Airflow's REST API when an
api-server answers, and the partner gateway's queues when the gateway publishes
its statistics file (``var/gateway/stats.json``, see :func:`gateway_queues`).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.config import Settings, load_settings
from hub.errors import ConfigError
from hub.reports.operations import load_summaries
from hub.runs.summary import format_backlog, format_duration, freshness_s
from hub.sources import load_sources

# The partner gateway writes this file (atomically) whenever its queues change:
#   {"updated_at": <unix s>, "partners": {"UZB": {"queued": 3, "unacked": 1,
#    "oldest_age_s": 12.5, "delivered": 120}, ...}}
GATEWAY_STATS_FILE = Path("gateway") / "stats.json"


def latest_by_key(summaries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest summary per source (``source:<name>``) and partition (``p<n>``)."""
    latest: dict[str, dict[str, Any]] = {}
    for s in summaries:  # oldest first, so later ones win
        key = f"source:{s['source']}" if s.get("kind") == "source" else f"p{s.get('partition')}"
        latest[key] = s
    return latest


def gateway_queues(settings: Settings) -> dict[str, dict[str, Any]]:
    """Per-partner queue figures of the gateway, or {} when no gateway has reported."""
    path = settings.var_dir / GATEWAY_STATS_FILE
    try:
        return dict(json.loads(path.read_text()).get("partners", {}))
    except (OSError, json.JSONDecodeError, AttributeError):
        return {}


def airflow_states(base_url: str) -> dict[str, str]:
    """dag_id -> state of its last run, from the REST API; {} when Airflow is not up."""
    from hub.airflow.api import AirflowApi, AirflowApiError

    api = AirflowApi(base_url, timeout=3.0)
    out: dict[str, str] = {}
    try:
        for dag in api.dags(tag="mhub"):
            runs = api.runs(dag["dag_id"], limit=1)
            paused = " (paused)" if dag.get("is_paused") else ""
            out[dag["dag_id"]] = (runs[0]["state"] if runs else "no runs") + paused
    except AirflowApiError:
        return {}
    return out


def _when(ts: float | None) -> str:
    if not ts:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


# The stage-1 task's old name; goes when hub/airflow/tasks.py intake stops using it.


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def collect(settings: Settings, airflow_url: str | None = None) -> dict[str, Any]:
    """Everything ``mhub status`` shows, as data (also ``--json``)."""
    summaries = load_summaries(settings.var_dir / "runs")
    latest = latest_by_key(summaries)
    now = time.time()
    try:
        sources = load_sources()
    except ConfigError:
        sources = []
    states = airflow_states(airflow_url) if airflow_url else {}
    rows = []
    names = [s.name for s in sources]
    names += sorted({k.split(":", 1)[1] for k in latest if k.startswith("source:")} - set(names))
    family = {s.name: s.family for s in sources}
    for name in names:
        s = latest.get(f"source:{name}", {})
        q = s.get("quarantined") or {}
        rows.append(
            {
                "source": name,
                "family": family.get(name, s.get("family", "")),
                "last_run": s.get("finished_at") or s.get("started_at"),
                "state": s.get("state", "never run"),
                "airflow": states.get(f"source__{name}", ""),
                "pulled": s.get("pulled", 0),
                "valid": s.get("valid", 0),
                "quarantined": sum(q.values()) if isinstance(q, dict) else int(q or 0),
                "intake": s.get("intake", 0),
                "freshness_s": freshness_s(
                    [x for x in summaries if x.get("source") == name and x.get("kind") == "source"],
                    now,
                ),
                "backlog": s.get("backlog"),
                "backlog_unit": s.get("backlog_unit", "pages"),
                "error": s.get("error", ""),
            }
        )
    partitions = [
        {
            "partition": s.get("partition"),
            "last_run": s.get("finished_at") or s.get("started_at"),
            "state": s.get("state", ""),
            "consumed": s.get("consumed", 0),
            "published": sum((s.get("published") or {}).values()),
            "replays": s.get("replays", 0),
            "corroborations": s.get("corroborations", 0),
            "backlog_records": s.get("backlog_records", 0),
        }
        for k, s in sorted(latest.items())
        if k.startswith("p")
    ]
    return {
        "sources": rows,
        "partitions": partitions,
        "publish_dag": states.get("hub_publish", ""),
        "gateway": gateway_queues(settings),
    }


def render(status: dict[str, Any]) -> str:
    with_airflow = any(r["airflow"] for r in status["sources"])
    header = ["source", "family", "last run (UTC)", "state"]
    header += ["airflow"] if with_airflow else []
    header += ["pulled", "valid", "quarantined", "intake", "freshness", "backlog"]
    rows = []
    for r in status["sources"]:
        row = [r["source"], r["family"], _when(r["last_run"]), r["state"]]
        row += [r["airflow"] or "-"] if with_airflow else []
        row += [str(r["pulled"]), str(r["valid"]), str(r["quarantined"]), str(r["intake"])]
        backlog = "-" if r["state"] == "never run" else format_backlog(
            r["backlog"], r["backlog_unit"]
        )
        rows.append([*row, format_duration(r["freshness_s"]), backlog])
    parts = [_table(header, rows)]
    failed = [r for r in status["sources"] if r["state"] == "failed" and r["error"]]
    for r in failed:
        parts.append(f"  ! {r['source']}: {r['error'][:200]}")
    if status["partitions"]:
        header = [
            "partition",
            "last run (UTC)",
            "state",
            "consumed",
            "published",
            "replays",
            "corroborations",
            "backlog (records)",
        ]
        rows = [
            [
                str(p["partition"]),
                _when(p["last_run"]),
                p["state"],
                str(p["consumed"]),
                str(p["published"]),
                str(p["replays"]),
                str(p["corroborations"]),
                str(p["backlog_records"]),
            ]
            for p in status["partitions"]
        ]
        title = "\nstage 2 (publish)" + (
            f" — airflow: {status['publish_dag']}" if status["publish_dag"] else ""
        )
        parts += [title, _table(header, rows)]
    if status["gateway"]:
        header = ["partner", "queued", "unacked", "oldest (s)", "delivered"]
        rows = [
            [
                p,
                str(q.get("queued", "-")),
                str(q.get("unacked", "-")),
                str(q.get("oldest_age_s", "-")),
                str(q.get("delivered", "-")),
            ]
            for p, q in sorted(status["gateway"].items())
        ]
        parts += ["\npartner gateway queues", _table(header, rows)]
    return "\n".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.add_argument(
        "--airflow",
        metavar="URL",
        default=None,
        help="Airflow api-server to ask for DAG run states "
        "(default: AIRFLOW__API__BASE_URL, or the local one when it answers)",
    )
    parser.add_argument("--no-airflow", action="store_true", help="do not ask Airflow")


def run(args: argparse.Namespace) -> int:
    from hub.airflow.environment import api_base_url

    settings = load_settings()
    url = None if args.no_airflow else (
        args.airflow or settings.airflow_api_url or api_base_url()
    )
    status = collect(settings, url)
    if args.json:
        print(json.dumps(status, indent=2, default=str))
    else:
        print(render(status))
    return 0

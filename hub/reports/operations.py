"""Reports for operators: PNG charts and one HTML page.

Operator charts come from the run summaries under ``var/runs`` (records pulled /
valid / quarantined per source over runs, quarantine reasons, published per
family, freshness). The migration statistics have their own report
(``hub.reports.statistics``, ``mhub report``) under ``reports/statistics/<period>``;
this page links every one written so far.

    mhub-style use:  python -m hub.reports.operations [--out DIR]
"""

from __future__ import annotations

import argparse
import html
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.config import Settings, load_settings
from hub.runs.summary import format_backlog

# Runs per source drawn in the "over runs" chart; older runs stay in var/runs.
MAX_RUNS_PER_SOURCE = 50
DPI = 110


def load_summaries(runs_dir: Path) -> list[dict[str, Any]]:
    """Every saved run summary, oldest first."""
    out = []
    for path in sorted(runs_dir.glob("*/*.json")):
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue  # a summary being written right now; the next report has it
    out.sort(key=lambda s: s.get("started_at") or 0)
    return out


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": DPI,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _when(s: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(s.get("finished_at") or s.get("started_at") or 0, UTC)


def chart_records(sources: list[dict[str, Any]], path: Path) -> Path:
    plt = _plt()
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sources:
        by_source[s["source"]].append(s)
    names = sorted(by_source)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 4.8), width_ratios=[1, 1.3])
    width = 0.27
    xs = range(len(names))
    for i, (key, label, color) in enumerate(
        (
            ("pulled", "pulled", "#4c72b0"),
            ("valid", "valid", "#55a868"),
            ("quarantined", "quarantined", "#c44e52"),
        )
    ):
        values = [sum(_count(r.get(key)) for r in by_source[n]) for n in names]
        ax1.bar([x + (i - 1) * width for x in xs], values, width, label=label, color=color)
    ax1.set_xticks(list(xs), [n.replace("_", "\n", 1) for n in names], fontsize=8)
    ax1.set_title("Records per source (all runs)")
    ax1.set_ylabel("records")
    ax1.legend(fontsize=8)
    for n in names:
        runs = by_source[n][-MAX_RUNS_PER_SOURCE:]
        ax2.plot(
            [_when(r) for r in runs],
            [_count(r.get("pulled")) for r in runs],
            marker="o",
            markersize=3,
            label=n,
        )
    ax2.set_title(f"Records pulled per run (last {MAX_RUNS_PER_SOURCE} runs)")
    ax2.set_ylabel("records pulled")
    ax2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _count(v: Any) -> int:
    if isinstance(v, dict):
        return sum(int(x) for x in v.values())
    return int(v or 0)


def chart_quarantine(sources: list[dict[str, Any]], path: Path) -> Path | None:
    reasons: Counter[str] = Counter()
    for s in sources:
        reasons.update({k: int(v) for k, v in (s.get("quarantined") or {}).items()})
    if not reasons:
        return None
    plt = _plt()
    top = reasons.most_common(15)[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(top) + 1.4))
    ax.barh([r for r, _ in top], [n for _, n in top], color="#c44e52")
    ax.set_title("Quarantined records by rule (all runs)")
    ax.set_xlabel("records")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def chart_published(publish: list[dict[str, Any]], path: Path) -> Path | None:
    families: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for s in publish:
        families.update({k: int(v) for k, v in (s.get("published") or {}).items()})
        for k in ("new", "corrections", "replays", "stale", "corroborations"):
            outcomes[k] += int(s.get(k) or 0)
    if not families and not outcomes:
        return None
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    names = sorted(families)
    ax1.bar(names, [families[n] for n in names], color="#4c72b0")
    ax1.set_title("Events published per family")
    ax1.set_ylabel("events")
    keys = ["new", "corrections", "corroborations", "replays", "stale"]
    ax2.bar(
        keys,
        [outcomes[k] for k in keys],
        color=["#55a868", "#8172b2", "#ccb974", "#937860", "#8c8c8c"],
    )
    ax2.set_title("Stage-2 outcomes (dedup)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def chart_freshness(sources: list[dict[str, Any]], path: Path) -> Path | None:
    """Time since each source's last successful pull: what an operator watches."""
    done: dict[str, float] = {}
    for s in sources:
        if s.get("state") == "success" and s.get("finished_at"):
            done[s["source"]] = max(done.get(s["source"], 0.0), float(s["finished_at"]))
    if not done:
        return None
    plt = _plt()
    names = sorted(done)
    now = time.time()
    minutes = [(now - done[n]) / 60 for n in names]
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(names) + 1.4))
    ax.barh(names, minutes, color="#dd8452")
    ax.set_title("Freshness: time since each source's last successful pull")
    ax.set_xlabel("minutes")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def statistics_links(out: Path) -> str:
    """Links to the statistics reports written under ``out/statistics``, newest period first."""
    pages = sorted((out / "statistics").glob("*/index.html"), reverse=True)
    if not pages:
        return "<p>No statistics report yet: run <code>mhub report --period YYYY</code>.</p>"
    items = "".join(
        f"<li><a href='statistics/{html.escape(p.parent.name)}/index.html'>"
        f"Migration statistics, {html.escape(p.parent.name)}</a></li>"
        for p in pages
    )
    return f"<ul>{items}</ul>"


def _html(
    charts: dict[str, Path], sources: list[dict[str, Any]], generated: str, links: str = ""
) -> str:
    titles = {
        "records": "Records per source",
        "quarantine": "Quarantine reasons",
        "published": "Published events",
        "freshness": "Freshness of each source",
    }
    latest: dict[str, dict[str, Any]] = {}
    for s in sources:
        latest[s["source"]] = s
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(c))}</td>"
            for c in (
                n,
                s.get("state", ""),
                _when(s).strftime("%Y-%m-%d %H:%M UTC"),
                _count(s.get("pulled")),
                _count(s.get("valid")),
                _count(s.get("quarantined")),
                format_backlog(s.get("backlog"), s.get("backlog_unit", "pages")),
            )
        )
        + "</tr>"
        for n, s in sorted(latest.items())
    )
    imgs = "".join(
        f"<h2>{titles[k]}</h2><img src='{html.escape(p.name)}' alt='{titles[k]}'>"
        for k, p in charts.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migration Exchange Hub — reports</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1300px}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}
td:first-child,td:nth-child(2){{text-align:left}}</style></head><body>
<h1>Migration Exchange Hub — reports</h1><p>Generated {html.escape(generated)}.</p>
<h2>Migration statistics</h2>{links}
<h2>Last run of each source</h2>
<table><tr><th>source</th><th>state</th><th>finished</th><th>pulled</th><th>valid</th>
<th>quarantined</th><th>backlog</th></tr>{rows}</table>
{imgs}
</body></html>
"""


def build_reports(settings: Settings | None = None, out_dir: Path | None = None) -> dict[str, Path]:
    """Render every chart that has data, and ``index.html``; return name -> path."""
    settings = settings or load_settings()
    out = out_dir or settings.var_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    summaries = load_summaries(settings.var_dir / "runs")
    sources = [s for s in summaries if s.get("kind") == "source"]
    publish = [s for s in summaries if s.get("kind") == "publish"]
    charts: dict[str, Path] = {}
    made: Iterator[tuple[str, Path | None]] = iter(
        [
            ("records", chart_records(sources, out / "records.png") if sources else None),
            ("quarantine", chart_quarantine(sources, out / "quarantine.png")),
            ("published", chart_published(publish, out / "published.png")),
            ("freshness", chart_freshness(sources, out / "freshness.png")),
        ]
    )
    for name, path in made:
        if path is not None:
            charts[name] = path
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    index = out / "index.html"
    index.write_text(_html(charts, sources, generated, statistics_links(out)), encoding="utf-8")
    return {**charts, "index": index}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="render the hub's reports")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    for name, path in build_reports(out_dir=args.out).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

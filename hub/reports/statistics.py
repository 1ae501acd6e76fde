"""The migration statistics report: HTML with charts, a PNG per chart, a CSV per table.

Every chart names its period in the title, its unit on the value axis and
regions by name (``schemas/data/kato_regions.csv``). The saldo has its own
axis, so a balance of a few thousand is not flattened by flows of tens of
thousands. The definitions (what counts as an arrival, a departure, an
internal move) are printed on the page from ``hub.statistics.definitions``.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.config import Settings
from hub.statistics import definitions
from hub.statistics.consumer import store_path
from hub.statistics.evidence import quarantined_facts
from hub.statistics.figures import Figures, Table, compute
from hub.statistics.periods import parse_period
from hub.statistics.reconcile import gather_evidence, reconcile
from hub.statistics.store import FactStore

DPI = 110
ARR, DEP, NET = "#55a868", "#c44e52", "#222222"


@dataclass
class StatisticsReport:
    figures: Figures
    paths: dict[str, Path]


def _plt() -> Any:
    from hub.reports.operations import _plt as operator_plt

    return operator_plt()


def _bars(ax: Any, labels: list[str], arr: list[int], dep: list[int], unit: str) -> None:
    xs = list(range(len(labels)))
    ax.bar([x - 0.2 for x in xs], arr, 0.4, label="arrivals", color=ARR)
    ax.bar([x + 0.2 for x in xs], dep, 0.4, label="departures", color=DEP)
    ax.set_xticks(xs, labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(f"arrivals, departures ({unit})")
    ax.legend(loc="upper left", fontsize=8)


def _saldo(ax: Any, labels: list[str], saldo: list[int], unit: str) -> None:
    """The saldo on its own axis (right), centred on zero."""
    twin = ax.twinx()
    twin.plot(range(len(labels)), saldo, "D", color=NET, label="saldo")
    top = max([abs(s) for s in saldo] + [1]) * 1.15
    twin.set_ylim(-top, top)
    twin.axhline(0, color=NET, linewidth=0.6)
    twin.set_ylabel(f"saldo ({unit})")
    twin.legend(loc="upper right", fontsize=8)


def chart_flows(t: Table, label_col: str, period: str, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(12, 5))
    labels = [str(x) for x in t.column(label_col)]
    _bars(ax, labels, t.column("arrivals"), t.column("departures"), t.unit)
    _saldo(ax, labels, t.column("saldo"), t.unit)
    ax.set_title(f"{t.title}, {period}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def chart_internal(t: Table, period: str, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(12, 5))
    labels, bal = t.column("region"), t.column("balance")
    ax.bar(labels, bal, color=[ARR if b >= 0 else DEP for b in bal])
    ax.axhline(0, color=NET, linewidth=0.6)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(f"internal balance, in - out ({t.unit})")
    ax.set_title(f"{t.title}: balance by region, {period}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _paired_bars(
    path: Path,
    labels: list[str],
    pairs: tuple[list[int], list[int]],
    legends: tuple[str, str],
    *,
    ylabel: str,
    title: str,
    notes: list[str] | None = None,
) -> Path:
    """A quota and what was taken of it, side by side per region; ``notes`` over each pair."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(12, 5))
    xs = list(range(len(labels)))
    left, right = pairs
    ax.bar([x - 0.2 for x in xs], left, 0.4, label=legends[0], color="#8172b2")
    ax.bar([x + 0.2 for x in xs], right, 0.4, label=legends[1], color="#4c72b0")
    for x, a, b, note in zip(xs, left, right, notes or [""] * len(xs), strict=True):
        if note:
            ax.annotate(note, (x, max(a, b)), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(xs, labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def chart_quota(t: Table, period: str, path: Path) -> Path | None:
    if not t.rows:
        return None
    by: dict[str, list[int]] = {}
    for region, _sector, quota, _used, issued, _pct in t.rows:
        cell = by.setdefault(region, [0, 0])
        cell[0] += quota
        cell[1] += issued
    labels = list(by)
    return _paired_bars(
        path,
        labels,
        ([by[r][0] for r in labels], [by[r][1] for r in labels]),
        ("quota", "permits issued"),
        ylabel=f"work permits ({t.unit})",
        title=f"Work permits against the quota by region, {period}",
    )


def chart_kandas_quota(t: Table, period: str, path: Path) -> Path | None:
    """Quota and admitted side by side per region; the use % written over each pair."""
    if not t.rows:
        return None
    return _paired_bars(
        path,
        t.column("region"),
        (t.column("quota"), t.column("admitted")),
        ("quota", "kandas admitted"),
        ylabel=f"kandas ({t.unit})",
        title=f"{t.title}, {period}",
        notes=[f"{pct}%" if pct != "" else "" for pct in t.column("use %")],
    )


def chart_gap(t: Table, period: str, path: Path) -> Path | None:
    if not t.rows:
        return None
    plt = _plt()
    labels = [f"{r[0]} ({r[1]})" for r in t.rows]
    gaps = t.column("gap")
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(labels) + 1.6))
    ax.barh(labels, gaps, color=[DEP if g > 0 else ARR for g in gaps])
    ax.axvline(0, color=NET, linewidth=0.6)
    ax.set_xlabel(f"gap: bureau minus hub ({t.unit})")
    ax.set_title(f"Reconciliation with the bureau's SDMX figures, {period}")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def write_csv(t: Table, out: Path) -> Path:
    path = out / f"{t.name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(t.columns)
        w.writerows(t.rows)
    return path


def _charts(figs: Figures, recon: Table, out: Path) -> dict[str, Path | None]:
    p, t = figs.period.label, figs.tables
    return {
        "saldo_by_region": chart_flows(
            t["saldo_by_region"], "region", p, out / "saldo_by_region.png"
        ),
        "migration_by_month": chart_flows(
            t["migration_by_month"], "month", p, out / "migration_by_month.png"
        ),
        "saldo_by_group": chart_flows(t["saldo_by_group"], "group", p, out / "saldo_by_group.png"),
        "migration_by_country": chart_flows(
            t["migration_by_country"], "country", p, out / "migration_by_country.png"
        ),
        "internal_by_region": chart_internal(
            t["internal_by_region"], p, out / "internal_by_region.png"
        ),
        "quota_use": chart_quota(t["quota_use"], p, out / "quota_use.png"),
        "kandas_quota_use": chart_kandas_quota(
            t["kandas_quota_use"], p, out / "kandas_quota_use.png"
        ),
        "reconciliation": chart_gap(recon, p, out / "reconciliation.png"),
    }


def build_statistics_report(
    settings: Settings, period: str, *, out_dir: Path | None = None, read_quarantine: bool = True
) -> StatisticsReport:
    """Figures of ``period`` from the fact store, drawn and written under ``out_dir``.

    With ``read_quarantine`` the DLQ is read for the reconciliation's evidence
    (needs the broker); without it, quarantine is never named as a cause.
    """
    per = parse_period(period)
    out = out_dir or settings.var_dir / "reports" / "statistics" / per.label
    out.mkdir(parents=True, exist_ok=True)
    with FactStore(store_path(settings)) as store:
        figs = compute(store, per)
        held = quarantined_facts(settings, per, store) if read_quarantine else None
        recon = reconcile(store, per, gather_evidence(store, per, held))
    charts = {k: v for k, v in _charts(figs, recon, out).items() if v is not None}
    tables = [*figs.tables.values(), recon]
    csvs = {f"{t.name}.csv": write_csv(t, out) for t in tables}
    index = out / "index.html"
    index.write_text(render_html(figs, tables, charts), encoding="utf-8")
    return StatisticsReport(figs, {**charts, **csvs, "index": index})


def _table_html(t: Table, period: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in t.rows
    )
    return (
        f"<h3>{html.escape(t.title)}, {html.escape(period)} ({html.escape(t.unit)})</h3>"
        f"<p><a href='{t.name}.csv'>{t.name}.csv</a></p>"
        f"<table><tr>{head}</tr>{body or '<tr><td>no records</td></tr>'}</table>"
    )


def render_html(figs: Figures, tables: list[Table], charts: dict[str, Path]) -> str:
    period = figs.period.label
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    imgs = "".join(
        f"<figure><img src='{p.name}' alt='{html.escape(k)}, {period}'></figure>"
        for k, p in charts.items()
    )
    doc = html.escape((definitions.__doc__ or "").strip())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Migration statistics, {period}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1300px}}img{{max-width:100%}}
table{{border-collapse:collapse;margin-bottom:1em}}td,th{{border:1px solid #ccc;padding:.2em .5em}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:1em}}</style></head><body>
<h1>Migration statistics, {period}</h1>
<p>Period {figs.period.first_day} to {figs.period.last_day}. Arrivals {figs.arrivals},
departures {figs.departures}, saldo {figs.arrivals - figs.departures} (persons).
Computed by the hub from its own events; generated {when}.</p>
{imgs}
{"".join(_table_html(t, period) for t in tables)}
<h2>Definitions</h2><pre>{doc}</pre>
</body></html>
"""

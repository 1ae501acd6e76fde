"""Queue statistics per partner, for ``mhub status``, the run summaries and ``QueueStatistics``.

Read-only: it opens the gateway database without writing, and counts a message
whose retention has lapsed as expired even before the server has marked it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hub.config import load_settings

# A delivered message whose visibility lapsed is waiting again: it counts as pending.
_QUERY = """
SELECT partner,
  sum((state = 'pending' OR (state = 'delivered' AND visible_at <= :now))
      AND expires_at > :now),
  sum(state = 'delivered' AND visible_at > :now AND expires_at > :now),
  sum(state = 'acknowledged'),
  sum(state = 'expired' OR (state IN ('pending', 'delivered') AND expires_at <= :now)),
  min(CASE WHEN state IN ('pending', 'delivered') AND expires_at > :now THEN enqueued_at END)
FROM message {where} GROUP BY partner ORDER BY partner
"""


@dataclass(frozen=True, slots=True)
class PartnerQueueStats:
    partner: str
    #: waiting to be fetched (never fetched, or fetched and not acknowledged in time)
    pending: int
    #: fetched, not acknowledged yet, still within the visibility timeout
    delivered: int
    acknowledged: int
    expired: int
    #: seconds since the oldest message not yet acknowledged was queued (None: none waiting)
    oldest_pending_age_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_db_path() -> Path:
    return load_settings().var_dir / "gateway" / "queue.sqlite"


def stats_from(
    db: sqlite3.Connection, now: float, partner: str | None = None
) -> list[PartnerQueueStats]:
    where = "WHERE partner = :partner" if partner else ""
    rows = db.execute(_QUERY.format(where=where), {"now": now, "partner": partner}).fetchall()
    out = []
    for code, pending, delivered, acked, expired, oldest in rows:
        out.append(
            PartnerQueueStats(
                partner=code,
                pending=int(pending or 0),
                delivered=int(delivered or 0),
                acknowledged=int(acked or 0),
                expired=int(expired or 0),
                oldest_pending_age_s=None if oldest is None else max(0.0, now - oldest),
            )
        )
    return out


def queue_stats(
    db_path: Path | None = None, *, now: float | None = None
) -> list[PartnerQueueStats]:
    """Per-partner counts from the gateway database (empty when there is none yet)."""
    path = Path(db_path) if db_path is not None else default_db_path()
    if not path.is_file():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return stats_from(db, time.time() if now is None else now)
    except sqlite3.OperationalError:  # created but not initialised yet
        return []
    finally:
        db.close()


def write_run_summary(runs_dir: Path, summary: dict[str, Any], db_path: Path) -> Path:
    """The gateway's run summary (feed counts + queue stats) as JSON under ``runs_dir``.

    One file per run, rewritten as the run goes on (atomically), so operators and
    ``mhub status`` always see the latest figures of a long-running ``serve``.
    """
    import json

    runs_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "kind": "gateway",
        **summary,
        "written_at": time.time(),
        "queues": [s.to_dict() for s in queue_stats(db_path)],
    }
    path = runs_dir / f"{int(summary['started_at'] * 1000)}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True))
    tmp.replace(path)
    return path


def write_stats_file(path: Path, db_path: Path) -> Path:
    """``var/gateway/stats.json``, the figures ``mhub status`` shows without opening the DB.

    Shape agreed with ``hub.reports.status``: ``{"updated_at", "partners": {code: {"queued",
    "unacked", "oldest_age_s", "delivered", ...}}}`` where ``queued`` is waiting to be
    fetched, ``unacked`` fetched and not yet acknowledged, ``delivered`` acknowledged
    by the partner; ``expired`` and the raw counts are there too.
    """
    import json

    partners = {
        s.partner: {
            "queued": s.pending,
            "unacked": s.delivered,
            "oldest_age_s": None
            if s.oldest_pending_age_s is None
            else round(s.oldest_pending_age_s, 1),
            "delivered": s.acknowledged,
            "expired": s.expired,
        }
        for s in queue_stats(db_path)
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"updated_at": time.time(), "partners": partners}, indent=2))
    tmp.replace(path)
    return path

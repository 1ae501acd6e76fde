"""Task defaults of the hub's own DAGs (publish, bureau feed, reports), kept in one place.

Their tasks resume from Kafka's committed offsets, so a retry is always safe; the
backoff keeps a long broker outage from turning into a storm of retries. The source
DAGs take theirs from each source's configuration instead (``dags/hub_sources.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

OWNER = "mhub operations"
RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(minutes=15)
BACKOFF = 2.0


def operations_defaults(timeout: timedelta, *, retries: int = 3) -> dict[str, Any]:
    """``default_args`` for a hub DAG whose tasks may run up to ``timeout`` each."""
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": BACKOFF,
        "max_retry_delay": MAX_RETRY_DELAY,
        "execution_timeout": timeout,
    }

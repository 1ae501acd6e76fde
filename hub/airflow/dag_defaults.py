"""Task defaults of the hub's own DAGs (publish, bureau feed, reports), kept in one place.

Their tasks resume from Kafka's committed offsets, so a retry is always safe; the
backoff keeps a long broker outage from turning into a storm of retries. The source
DAGs take theirs from each source's configuration instead (``dags/hub_sources.py``).

Every task names its Celery queue: the Kafka user it must run as. The production
cluster grants each stage only what it needs (``infra/production/kafka/acls.sh``), so
under the CeleryExecutor one worker serves each queue with that user's ``KAFKA_SASL_*``
settings (``infra/production/airflow/docker-compose.yaml``). The LocalExecutor of the
embedded default ignores queues.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

OWNER = "mhub operations"
RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(minutes=15)
BACKOFF = 2.0
# Queue = Kafka user (acls.sh): source DAGs, hub_publish, hub_reports, hub_bureau_feed.
STAGE1_QUEUE = "mhub-stage1"
STAGE2_QUEUE = "mhub-stage2"
REPORTS_QUEUE = "mhub-reports"
FEED_QUEUE = "mhub-feed"


def operations_defaults(timeout: timedelta, *, queue: str, retries: int = 3) -> dict[str, Any]:
    """``default_args`` for a hub DAG whose tasks may run up to ``timeout`` each, as the
    Kafka user ``queue``."""
    return {
        "owner": OWNER,
        "queue": queue,
        "retries": retries,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": BACKOFF,
        "max_retry_delay": MAX_RETRY_DELAY,
        "execution_timeout": timeout,
    }

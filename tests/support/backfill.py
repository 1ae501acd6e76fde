"""The backfill test's source: an interior feed whose records fall on two days of
March 2026 (one every 10 minutes from 2026-03-01 00:00), inside the DAGs' start date.
Shared by ``tests/integration/dags/conftest.py`` (which serves it) and the test."""

BACKFILL_SOURCE = "interior_backfill"
BACKFILL_EPOCH = "2026-03-01T00:00:00Z"
BACKFILL_STEP_S = 600
BACKFILL_RECORDS = 300

#!/usr/bin/env bash
# The test command: set up, run the unit tier (no broker, seconds), then start the local
# Kafka broker (unless KAFKA_BOOTSTRAP_SERVERS names a cluster) and run the integration
# tier against it; the broker is stopped again even when tests fail.
set -uo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh || exit 1
.venv/bin/ruff check . || exit 1
# pytest exits 5 when it collected nothing: that is a failure of the suite, not a pass.
.venv/bin/python -m pytest tests/unit "$@" || exit $?
. infra/local_broker.sh
# Two workers (MHUB_TEST_WORKERS, a switch of the tests, tests/support/environment.py; 0 runs
# in this process): most integration tests wait on the broker, Airflow or a killed process,
# so two share the two cores well (about 9 min instead of 16). A test file stays on one worker (its module fixtures start servers).
# The slowest tests are listed at the end: the suite should stay well under CI's limit.
.venv/bin/python -m pytest tests/integration -n "${MHUB_TEST_WORKERS:-2}" --dist loadfile \
  --durations=15 "$@"

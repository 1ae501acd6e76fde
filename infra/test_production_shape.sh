#!/usr/bin/env bash
# make test-production-shape: set up the production shape (infra/setup_production.sh), start
# the local broker for the embedded run unless one answers (or KAFKA_BOOTSTRAP_SERVERS names
# a cluster), and run tests/production: the exchange on PostgreSQL, Celery on Redis and the
# three-broker cluster of infra/production against the embedded default. Not in make test.
set -uo pipefail
cd "$(dirname "$0")/.."
bash infra/setup_production.sh || exit 1
. infra/local_broker.sh
.venv/bin/python -m pytest tests/production -s -p no:randomly "$@"

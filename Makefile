# The commands of README.md: setup, run and test set everything up first (idempotent).
.PHONY: setup run airflow-stop test test-under-load test-production-shape kafka-start kafka-stop mutation

setup:
	bash infra/setup.sh

# Drives a real Airflow (standalone, var/airflow) and leaves it running for its UI.
run: setup
	.venv/bin/python -m infra.demo

# Stops the Airflow `make run` left running (its runs and logs stay in var/airflow).
airflow-stop:
	.venv/bin/python -m infra.demo --stop

test:
	bash infra/test.sh

# The whole suite twice, both cores kept busy by stress-ng, each run in a random order
# (about 2-3 x `make test`; not in CI). Times and seeds in var/load-runs.tsv.
test-under-load:
	bash infra/test_under_load.sh 2

# The exchange on the production shape (infra/production: Airflow on PostgreSQL with the
# CeleryExecutor on Redis, PostgreSQL registry, three TLS/SASL brokers) against the embedded
# default, events compared (tests/production; not in `make test`).
test-production-shape:
	bash infra/test_production_shape.sh

# The local development broker (infra/kafka, not in the installed package; `mhub kafka
# start|stop` points here when run outside a checkout).
kafka-start: setup
	.venv/bin/python -m infra.kafka.broker start

kafka-stop:
	.venv/bin/python -m infra.kafka.broker stop

# Mutation score per pure-core module (mutmut; about 35-40 min on 2 busy cores; not in `make test`).
mutation:
	.venv/bin/python bench/mutation.py

#!/usr/bin/env bash
# Airflow standalone on the hub's local environment (hub/airflow/environment.py):
# SQLite under var/airflow, the project's dags/, UI and REST API on
# http://127.0.0.1:18780 (PORT=... to change). Local development only.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" -m hub.cli airflow-ui --port "${PORT:-18780}"

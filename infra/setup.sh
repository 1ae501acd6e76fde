#!/usr/bin/env bash
# Idempotent set-up of everything the hub needs on a fresh Debian machine:
# Debian packages, the Python virtual environment, the Apache Kafka jars.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the hub and its tests use for real:
#   xmlsec1       - interop check of the hub's XML signatures with the reference tool
#   softhsm2 opensc - a PKCS#11 token for hub signing keys in tests
#   postgresql    - the production registry backend, tested against a real server
#   chromium      - headless screenshot of the Airflow UI
DEB_PACKAGES=(xmlsec1 softhsm2 opensc postgresql chromium)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v java >/dev/null || { echo "setup: Java 17 is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
command -v mvn >/dev/null || { echo "setup: Maven is required (apt-get install maven)"; exit 1; }

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing Python dependencies (pinned, constraints.txt)"
  .venv/bin/pip install -q -c constraints.txt -e '.[dev]'
  touch "$stamp"
fi

.venv/bin/python -c "from infra.kafka.broker import ensure_jars; ensure_jars()"
echo "setup: ready"

#!/usr/bin/env bash
# Set-up of the production shape on this machine (make test-production-shape, the bench's
# bench/production_shape.py): everything infra/setup.sh sets up, then Redis from Debian's
# packages (the Celery broker; the test starts its own server on a free loopback port) and
# the [production] extra (Airflow's Celery executor), pinned by constraints.txt.
# Idempotent, like infra/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh

if ! dpkg -s redis-server >/dev/null 2>&1; then
  echo "setup: installing Debian package: redis-server"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    redis-server >/dev/null
fi

stamp=.venv/.installed-production
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing the production extra (Celery executor; pinned, constraints.txt)"
  .venv/bin/pip install -q -c constraints.txt -e '.[dev,production]'
  touch "$stamp"
fi
echo "setup: production shape ready"

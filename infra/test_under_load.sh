#!/usr/bin/env bash
# The whole suite (the README's test command) run RUNS times in a row while stress-ng keeps
# both cores busy, each run in its own random order (pytest-randomly, seed printed), so a
# test that leans on timing or on another test's leftovers fails here before it fails in CI.
# Not part of `make test`: it takes two to three times as long. Usage:
#   bash infra/test_under_load.sh [RUNS]      (default 2; times in var/load-runs.tsv)
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-2}
# Two CPU hogs = the machine's two cores: every test competes for CPU the whole time.
STRESS_WORKERS=2

if ! command -v stress-ng >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends stress-ng >/dev/null
fi

stress-ng --cpu "$STRESS_WORKERS" --quiet &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null; wait "$stress_pid" 2>/dev/null' EXIT

mkdir -p var
log=var/load-runs.tsv
[ -f "$log" ] || printf 'started\tseed\tseconds\texit\n' > "$log"
status=0
for run in $(seq 1 "$RUNS"); do
  seed=$(( (RANDOM << 15) | RANDOM ))
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  echo "load run $run/$RUNS: stress-ng --cpu $STRESS_WORKERS, --randomly-seed=$seed"
  t0=$(date +%s)
  PYTEST_ADDOPTS="-p randomly --randomly-seed=$seed" make test
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  printf '%s\t%s\t%s\t%s\n' "$started" "$seed" "$secs" "$rc" >> "$log"
  echo "load run $run/$RUNS: exit $rc in ${secs}s (seed $seed)"
  [ "$rc" = 0 ] || status=$rc
done
exit "$status"

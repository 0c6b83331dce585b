#!/usr/bin/env bash
# `make test` after its set-up: two lanes on the machine at once.
#   - beside: lint, sanity, galaxy, unit, then the module tests against real servers on loopback, logged to
#     .cache/logs/checks.log and printed in full if they fail;
#   - in front: the Molecule scenarios without a timing check (Makefile's UNTIMED_SCENARIOS); then, once the
#     lane beside is done, on a quiet machine, those that measure write stalls and elections (TIMED_SCENARIOS).
# The run fails if either lane fails. The stage table (scripts/stage_time.py) ends the output.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/logs
start=$(date +%s)
( make --no-print-directory lint sanity galaxy unit integration >.cache/logs/checks.log 2>&1
  echo $? >.cache/logs/checks.rc ) &
beside=$!
make --no-print-directory scenarios-untimed
front=$?
wait "$beside"
[ "$front" = 0 ] && { make --no-print-directory scenarios-timed; front=$?; }
checks=$(cat .cache/logs/checks.rc 2>/dev/null || echo 1)
echo "=== lint, sanity, galaxy, unit and the module tests ran beside the scenarios (log: .cache/logs/checks.log): $([ "$checks" = 0 ] && echo passed || echo FAILED)"
[ "$checks" = 0 ] || cat .cache/logs/checks.log
printf 'wall\t%s\t0\n' "$(( $(date +%s) - start ))" >>"${ZKOPS_STAGE_TIMES:-.cache/stage-times.tsv}"
python3 scripts/stage_time.py report
[ "$front" = 0 ] && [ "$checks" = 0 ]

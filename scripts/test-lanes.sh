#!/usr/bin/env bash
# `make test` after its set-up: two lanes on the machine at once.
#   - beside: lint, sanity, galaxy, unit (static and CPU-only: no timing-sensitive check), logged to
#     .cache/logs/checks.log and printed in full if they fail;
#   - in front: the module tests against real servers, then the Molecule scenarios.
# The run fails if either lane fails. The stage table (scripts/stage_time.py) ends the output.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/logs
start=$(date +%s)
( make --no-print-directory lint sanity galaxy unit >.cache/logs/checks.log 2>&1; echo $? >.cache/logs/checks.rc ) &
beside=$!
make --no-print-directory integration scenarios
front=$?
wait "$beside"
checks=$(cat .cache/logs/checks.rc 2>/dev/null || echo 1)
echo "=== lint, sanity, galaxy, unit ran beside the tests (log: .cache/logs/checks.log): $([ "$checks" = 0 ] && echo passed || echo FAILED)"
[ "$checks" = 0 ] || cat .cache/logs/checks.log
printf 'wall\t%s\t0\n' "$(( $(date +%s) - start ))" >>"${ZKOPS_STAGE_TIMES:-.cache/stage-times.tsv}"
python3 scripts/stage_time.py report
[ "$front" = 0 ] && [ "$checks" = 0 ]

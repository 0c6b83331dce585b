#!/usr/bin/env bash
# `make test` after its set-up: three lanes on the machine at once.
#   - checks: lint, sanity, galaxy, unit (static and CPU-only: no timing-sensitive check);
#   - front: the module tests against real servers, then the Molecule scenarios not in lane b;
#   - b: the Molecule scenarios in $LANE_B, with their own apt cache volumes (ZKOPS_APT_LANE=b),
#     so no two scenarios ever share an apt lock.
# The front lane prints as it goes; the checks and lane b log to .cache/logs/ and print their log in
# full if they fail. The run fails if any lane fails. The stage table (scripts/stage_time.py) ends
# the output.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/logs
SCENARIOS=${SCENARIOS:-default standalone tarball upgrade offline pseudo_cluster membership backup secure}
LANE_B=${LANE_B:-secure backup upgrade tarball pseudo_cluster}
front_list=() b_list=()
for s in $SCENARIOS; do
  if [[ " $LANE_B " == *" $s "* ]]; then b_list+=("$s"); else front_list+=("$s"); fi
done
start=$(date +%s)
( make --no-print-directory lint sanity galaxy unit >.cache/logs/checks.log 2>&1; echo $? >.cache/logs/checks.rc ) &
checks_pid=$!
echo 1 >.cache/logs/lane-b.rc
( ZKOPS_APT_LANE=b make --no-print-directory scenarios SCENARIOS="${b_list[*]}" >.cache/logs/lane-b.log 2>&1
  echo $? >.cache/logs/lane-b.rc ) &
b_pid=$!
echo "=== lane b (log: .cache/logs/lane-b.log): ${b_list[*]:-nothing}"
make --no-print-directory integration scenarios SCENARIOS="${front_list[*]}"
front=$?
wait "$checks_pid" "$b_pid"
report() {  # report NAME LOG RC
  local rc
  rc=$(cat "$3" 2>/dev/null || echo 1)
  echo "=== $1 (log: $2): $([ "$rc" = 0 ] && echo passed || echo FAILED)"
  [ "$rc" = 0 ] || cat "$2"
  [ "$rc" = 0 ]
}
report "lint, sanity, galaxy, unit" .cache/logs/checks.log .cache/logs/checks.rc; checks=$?
report "lane b: ${b_list[*]:-nothing}" .cache/logs/lane-b.log .cache/logs/lane-b.rc; lane_b=$?
printf 'wall\t%s\t0\n' "$(( $(date +%s) - start ))" >>"${ZKOPS_STAGE_TIMES:-.cache/stage-times.tsv}"
python3 scripts/stage_time.py report
[ "$front" = 0 ] && [ "$checks" = 0 ] && [ "$lane_b" = 0 ]

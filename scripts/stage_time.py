#!/usr/bin/env python
"""Time the stages of `make test` and print them as a table at the end.

    stage_time.py run LABEL -- COMMAND...   run COMMAND, stream its output, record its time
    stage_time.py report                     print the table of what was recorded (a "wall" record,
                                             written by scripts/test_lanes.py, is the whole run's clock)
    stage_time.py reset                      forget earlier records

COMMAND's output passes through unchanged. When it is Molecule, each action
("<scenario> ➜ converge: Executing" ... "Executed") is recorded as well, as
LABEL/<action>, so the table shows where a scenario's time goes. Records are
lines of a TSV file (.cache/stage-times.tsv, or $ZKOPS_STAGE_TIMES): label,
seconds, exit status. The exit status of `run` is COMMAND's.
"""
import os
import re
import subprocess
import sys
import time

RECORDS = os.environ.get("ZKOPS_STAGE_TIMES", ".cache/stage-times.tsv")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MOLECULE_ACTION = re.compile(r"➜ (\w+): (Executing|Executed)")


def record(label, seconds, status):
    os.makedirs(os.path.dirname(RECORDS) or ".", exist_ok=True)
    with open(RECORDS, "a", encoding="utf-8") as out:
        out.write(f"{label}\t{seconds:.1f}\t{status}\n")


def run(label, command):
    start = time.monotonic()
    action, action_start = None, None
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for raw in proc.stdout:
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        match = MOLECULE_ACTION.search(ANSI.sub("", raw.decode("utf-8", "replace")))
        if not match:
            continue
        now = time.monotonic()
        if match.group(2) == "Executing":
            action, action_start = match.group(1), now
        elif action == match.group(1):
            record(f"{label}/{action}", now - action_start, 0)
            action = None
    status = proc.wait()
    record(label, time.monotonic() - start, status)
    return status


def clock(seconds):
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes:>5}m{secs:02d}s"


def report():
    if not os.path.exists(RECORDS):
        print("no stage times recorded")
        return 0
    rows = []
    with open(RECORDS, encoding="utf-8") as src:
        for line in src:
            label, seconds, status = line.rstrip("\n").split("\t")
            rows.append((label, float(seconds), int(status)))
    wall = [row[1] for row in rows if row[0] == "wall"]
    rows = [row for row in rows if row[0] != "wall"]
    top = [row for row in rows if "/" not in row[0]]
    width = max([len(row[0]) for row in rows] + [24])
    print(f"\n{'stage':<{width}}  {'time':>8}  result")
    for label, seconds, status in top:
        print(f"{label:<{width}}  {clock(seconds)}  {'ok' if status == 0 else f'failed ({status})'}")
        for sub in rows:
            if sub[0].startswith(label + "/"):
                print(f"{'  ' + sub[0].split('/', 1)[1]:<{width}}  {clock(sub[1])}")
    print(f"{'sum of the stages':<{width}}  {clock(sum(row[1] for row in top))}")
    if wall:
        print(f"{'wall clock (lanes overlap)':<{width}}  {clock(wall[-1])}")
    return 0


def main(argv):
    if argv[:1] == ["report"]:
        return report()
    if argv[:1] == ["reset"]:
        if os.path.exists(RECORDS):
            os.remove(RECORDS)
        return 0
    if len(argv) >= 4 and argv[0] == "run" and argv[2] == "--":
        return run(argv[1], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

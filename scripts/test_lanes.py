#!/usr/bin/env python
"""`make test` after its set-up: its jobs on a few lanes at once.

    test_lanes.py [--lanes N] JOB...

A JOB is ``checks`` (lint, sanity, galaxy, unit and the module tests against real servers on
loopback) or the name of a Molecule scenario. Jobs start in the order given, each on the first
free lane; give the longest first. Each job's output goes to .cache/logs/<job>.log and is printed
in full if the job fails. After a failure no new job starts; those running finish. The stage
table (scripts/stage_time.py) ends the output, with the whole run's wall clock.

A lane's number is passed to its jobs as ZKOPS_LANE: molecule/shared/create.yml gives each lane
its own apt cache volumes, so that two scenarios never install from the same cache at once.
This machine is CPU-bound during the scenarios (measured: two scenarios at once keep both cores
about 95% busy), so more than two lanes is not expected to make the run shorter here.
"""
import argparse
import os
import subprocess
import sys
import time

from stage_time import clock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHECKS = ['make', '--no-print-directory', 'lint', 'sanity', 'galaxy', 'unit', 'integration']


def command(job):
    """The command line of a job: the checks, or one Molecule scenario (timed by the Makefile)."""
    if job == 'checks':
        return CHECKS
    return ['make', '--no-print-directory', 'scenarios', 'SCENARIOS=' + job]


def run(jobs, lanes, log_dir):
    """Run the jobs on `lanes` lanes; return the names of those that failed."""
    os.makedirs(log_dir, exist_ok=True)
    queue = list(jobs)
    running = {}
    failed = []
    while queue or running:
        for lane in range(1, lanes + 1):
            if lane in running or not queue or failed:
                continue
            job = queue.pop(0)
            log_path = os.path.join(log_dir, job + '.log')
            log = open(log_path, 'wb')  # pylint: disable=consider-using-with
            proc = subprocess.Popen(command(job), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,  # pylint: disable=consider-using-with
                                    env=dict(os.environ, ZKOPS_LANE=str(lane)))
            running[lane] = (job, proc, time.monotonic(), log, log_path)
            print('=== lane %d: %s started (log: %s)' % (lane, job, os.path.relpath(log_path, ROOT)), flush=True)
        time.sleep(1)
        for lane, (job, proc, start, log, log_path) in list(running.items()):
            status = proc.poll()
            if status is None:
                continue
            log.close()
            del running[lane]
            took = clock(time.monotonic() - start).strip()
            if status == 0:
                print('=== lane %d: %s passed in %s' % (lane, job, took), flush=True)
                continue
            failed.append(job)
            print('=== lane %d: %s FAILED (exit %d) after %s; its output:' % (lane, job, status, took), flush=True)
            with open(log_path, 'rb') as src:
                sys.stdout.buffer.write(src.read())
            sys.stdout.flush()
            if queue:
                print('=== not started after the failure: %s' % ' '.join(queue), flush=True)
                queue.clear()
    return failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--lanes', type=int, default=2)
    parser.add_argument('--log-dir', default=os.path.join(ROOT, '.cache', 'logs'))
    parser.add_argument('jobs', nargs='+')
    args = parser.parse_args(argv)
    start = time.monotonic()
    failed = run(args.jobs, max(1, args.lanes), args.log_dir)
    with open(os.environ.get('ZKOPS_STAGE_TIMES', os.path.join(ROOT, '.cache', 'stage-times.tsv')), 'a',
              encoding='utf-8') as out:
        out.write('wall\t%d\t0\n' % round(time.monotonic() - start))
    subprocess.call([sys.executable, os.path.join(HERE, 'stage_time.py'), 'report'], cwd=ROOT)
    if failed:
        print('=== failed: %s' % ' '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

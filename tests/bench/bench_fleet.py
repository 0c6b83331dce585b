"""Benchmark: a no-op rerun of the role over 1, 2 and 4 ensembles of 3 members in one play.

The ensembles are pseudo-clusters (three instances on one container each; molecule/bench_fleet): twelve member
containers would not fit this 2-core machine beside their JVMs. Creates and converges them (molecule create and
converge -s bench_fleet) when they are not running, then times one play over the first 1, 2 and 4 ensembles with
nothing to change (each must report changed=0), the fastest of --runs kept, and prints the ratio of 4 ensembles to 1
(issue 36 goal: within 2x). This is a measurement, not a test.

Usage: python tests/bench/bench_fleet.py [--runs 3] [--keep]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def molecule(step, env):
    subprocess.run(['molecule', step, '-s', 'bench_fleet'], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def inventory():
    """The scenario's inventory, reached with the docker connection."""
    conf = yaml.safe_load(open(os.path.join(ROOT, 'molecule', 'bench_fleet', 'molecule.yml')))
    group_vars = conf['provisioner']['inventory']['group_vars']
    children = dict((g, {'hosts': {}, 'vars': group_vars.get(g, {})}) for p in conf['platforms'] for g in p['groups'])
    for p in conf['platforms']:
        for g in p['groups']:
            children[g]['hosts'][p['name']] = {'ansible_connection': 'community.docker.docker'}
    return {'all': {'children': children}}


def timed(groups, inventory, env):
    play = [{'name': 'bench', 'hosts': ':'.join(groups), 'gather_facts': True,
             'roles': [{'role': 'zkops.zookeeper.zookeeper'}]}]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False, dir=ROOT) as f:
        json.dump(play, f)
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory, f.name],
                          env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if proc.returncode:
        sys.exit('playbook failed:\n%s' % proc.stdout[-3000:])
    return elapsed, sum(int(c) for c in re.findall(r'changed=(\d+)', proc.stdout))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--keep', action='store_true', help='leave the containers running')
    args = parser.parse_args()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_PIPELINING='True',
               ANSIBLE_FORKS='10', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    up = subprocess.run(['docker', 'inspect', '-f', '{{.State.Running}}', 'fleet4'], capture_output=True, text=True,
                        check=False)
    if up.stdout.strip() != 'true':
        molecule('create', env)
        molecule('converge', env)
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(inventory(), f)
        inventory_file = f.name
    sizes = (1, 2, 4)
    best = {}
    try:
        timed(['fleet_%d' % i for i in range(1, 5)], inventory_file, env)  # settle: pay anything owed
        for _run in range(args.runs):
            for n in sizes:
                t, changed = timed(['fleet_%d' % i for i in range(1, n + 1)], inventory_file, env)
                if changed:
                    sys.exit('the rerun over %d ensembles changed %d things: not a no-op' % (n, changed))
                best[n] = min(best.get(n, t), t)
    finally:
        os.unlink(inventory_file)
        if not args.keep:
            molecule('destroy', env)
    print('ensembles of 3 (pseudo-cluster instances, one container each), one play, nothing to change; '
          'fastest of %d runs' % args.runs)
    for n in sizes:
        print('%d ensemble%s: %6.1f s' % (n, '' if n == 1 else 's', best[n]))
    ratio = best[4] / best[1]
    print('fleet ratio, 4 ensembles / 1: %.2fx (goal <= 2x): %s' % (ratio, 'met' if ratio <= 2 else 'NOT met'))


if __name__ == '__main__':
    main()

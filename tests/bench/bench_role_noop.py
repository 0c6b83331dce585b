"""Benchmark: a no-op rerun of the role on the demo ensemble (3 participants + 1 observer in containers)
against a trivial play on the same hosts over the same connection.

Brings the demo up (molecule create/converge -s demo, as `make demo` does) when it is not running, then times:
  1. a play that gathers facts and runs one task on the 4 members;
  2. the role with nothing to change (it must report changed=0), three times, the fastest kept.
Prints both and their ratio (issue 21 goal: within 3x). This is a measurement, not a test.

Usage: python tests/bench/bench_role_noop.py [--runs 3]
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
SCENARIO = os.path.join(ROOT, 'molecule', 'demo', 'molecule.yml')


def inventory():
    """The demo scenario's inventory, reached with the docker connection."""
    text = re.sub(r'\$\{ZKOPS_DEBIAN:-(\d+)\}', lambda m: os.environ.get('ZKOPS_DEBIAN', m.group(1)), open(SCENARIO).read())
    conf = yaml.safe_load(text)
    inv = conf['provisioner']['inventory']
    hosts = dict((p['name'], dict(inv.get('host_vars', {}).get(p['name'], {}),
                                  ansible_connection='community.docker.docker')) for p in conf['platforms'])
    return {'all': {'children': {'zookeeper': {'hosts': hosts, 'vars': inv['group_vars']['zookeeper']}}}}


def play(tasks_or_roles):
    return [dict({'name': 'bench', 'hosts': 'zookeeper', 'gather_facts': True}, **tasks_or_roles)]


def timed(playbook, inv_path, env):
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False, dir=ROOT) as f:
        json.dump(playbook, f)
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inv_path, f.name],
                          env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if proc.returncode:
        sys.exit('playbook failed:\n%s' % proc.stdout[-3000:])
    changed = [int(c) for c in re.findall(r'changed=(\d+)', proc.stdout)]
    return elapsed, sum(changed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3)
    runs = parser.parse_args().runs
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_PIPELINING='True',
               ANSIBLE_FORKS='10', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    up = subprocess.run(['docker', 'inspect', '-f', '{{.State.Running}}', 'demo-zk1'], capture_output=True, text=True,
                        check=False)
    if up.stdout.strip() != 'true':
        for step in ('create', 'converge'):
            subprocess.run(['molecule', step, '-s', 'demo'], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(inventory(), f)
        inv_path = f.name
    trivial = role = None
    try:
        timed(play({'roles': [{'role': 'zkops.zookeeper.zookeeper'}]}), inv_path, env)  # settle: pay anything owed
        for _i in range(runs):
            t, _c = timed(play({'tasks': [{'name': 'one task', 'ansible.builtin.ping': {}}]}), inv_path, env)
            trivial = t if trivial is None else min(trivial, t)
            t, changed = timed(play({'roles': [{'role': 'zkops.zookeeper.zookeeper'}]}), inv_path, env)
            if changed:
                sys.exit('the rerun changed %d things: not a no-op' % changed)
            role = t if role is None else min(role, t)
    finally:
        os.unlink(inv_path)
    print('hosts: 4 (3 participants + 1 observer), fastest of %d runs' % runs)
    print('trivial play (facts + one task):  %6.1f s' % trivial)
    print('role, nothing to change:          %6.1f s' % role)
    print('ratio:                            %6.1fx (goal <= 3x): %s' % (role / trivial, 'met' if role / trivial <= 3 else 'NOT met'))


if __name__ == '__main__':
    main()

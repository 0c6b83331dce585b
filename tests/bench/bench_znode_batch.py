"""Benchmark: one zk_znode batch task versus a loop of community.general.znode.

Starts a real standalone ZooKeeper server on loopback (Debian's jars), then
ensures the same N znodes (default 1000):
  1. with one zkops.zookeeper.zk_znode task (znodes: batch, one connection),
  2. the same batch again (nothing to change),
  3. after deleting the tree, with a loop of community.general.znode.
Prints the wall time of each playbook run and the ratio. Target: the batch is
at least 50x faster than the loop. This is a measurement, not a test.

Usage: python tests/bench/bench_znode_batch.py [--count N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))

from ansible_runner import ansible_env  # noqa: E402
from zkharness import Ensemble  # noqa: E402


def playbook(tasks):
    return [{'name': 'bench', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'tasks': tasks}]


def run(play, label):
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(play, f)
        path = f.name
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    env = ansible_env()
    env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.minimal'
    env['ANSIBLE_DISPLAY_OK_HOSTS'] = '0'
    start = time.monotonic()
    proc = subprocess.run([ansible_playbook, '-i', 'localhost,', path], env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    os.unlink(path)
    if proc.returncode != 0:
        sys.exit('%s failed:\n%s\n%s' % (label, proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=1000)
    args = parser.parse_args()
    ens = Ensemble(participants=1, standalone=True).start()
    try:
        hosts = ens.hosts
        items = [{'path': '/bench/n%04d' % i, 'value': 'value-%d' % i} for i in range(args.count)]
        batch = playbook([{'name': 'batch', 'zkops.zookeeper.zk_znode': {'hosts': hosts, 'znodes': items}}])
        cleanup = playbook([{'name': 'cleanup', 'zkops.zookeeper.zk_znode': {
            'hosts': hosts, 'path': '/bench', 'state': 'absent', 'recursive': True}}])
        loop = playbook([
            {'name': 'parent', 'community.general.znode': {'hosts': hosts, 'name': '/bench', 'value': '', 'state': 'present'}},
            {'name': 'loop', 'community.general.znode': {'hosts': hosts, 'name': '{{ item.path }}', 'value': '{{ item.value }}', 'state': 'present'},
             'loop': items, 'loop_control': {'label': '{{ item.path }}'}},
        ])
        t_batch = run(batch, 'zk_znode batch')
        t_batch_again = run(batch, 'zk_znode batch (no change)')
        run(cleanup, 'cleanup')
        t_loop = run(loop, 'community.general.znode loop')
    finally:
        ens.destroy()
    print('znodes: %d' % args.count)
    print('zk_znode batch (create):         %8.2f s' % t_batch)
    print('zk_znode batch (no change):      %8.2f s' % t_batch_again)
    print('community.general.znode loop:    %8.2f s' % t_loop)
    print('ratio loop / batch (create):     %8.1fx' % (t_loop / t_batch))
    print('ratio loop / batch (no change):  %8.1fx' % (t_loop / t_batch_again))
    print('target: >= 50x  %s' % ('met' if t_loop / t_batch >= 50 else 'NOT met'))


if __name__ == '__main__':
    main()

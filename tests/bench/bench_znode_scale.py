"""Benchmark: zk_znode batches of 1 000 and 10 000 znodes, create and no-op, through the transactional path.

Starts a real standalone ZooKeeper server on loopback (Debian's jars). For each
size it runs the module as its own process (as Ansible does on a host) to
create the znodes, then again with nothing to change, and prints the wall time
and the peak memory (max RSS) of the module process; then the same create as a
one-task playbook through ansible-playbook. The marginal cost per znode is the
difference between the sizes divided by the difference in count.
Goals: <= 1 ms per znode marginal cost to create; 10 000 znodes in one task in under 20 s.
This is a measurement, not a test.

Usage: python tests/bench/bench_znode_scale.py [--sizes 1000,10000]
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

from ansible_runner import COLLECTIONS, ansible_env  # noqa: E402
from zkharness import Ensemble  # noqa: E402

WRAPPER = r'''
import resource, subprocess, sys, time
start = time.monotonic()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.monotonic() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print('%.4f %d %d' % (elapsed, peak, proc.returncode))
sys.stderr.write(proc.stdout[-2000:] if proc.returncode else '')
'''


def module_process(args):
    """(seconds, peak KiB) of one zk_znode process; fails loudly when the module fails."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, f)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    out = subprocess.run([sys.executable, '-c', WRAPPER, sys.executable, '-m',
                          'ansible_collections.zkops.zookeeper.plugins.modules.zk_znode', f.name],
                         env=env, capture_output=True, text=True, check=True)
    os.unlink(f.name)
    elapsed, peak, rc = out.stdout.split()
    if rc != '0':
        sys.exit('zk_znode failed:\n%s' % out.stderr)
    return float(elapsed), int(peak)


def playbook_task(args):
    play = [{'name': 'bench', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
             'tasks': [{'name': 'batch', 'zkops.zookeeper.zk_znode': args}]}]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(play, f)
    env = ansible_env()
    env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.minimal'
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                           f.name], env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if proc.returncode:
        sys.exit('playbook failed:\n%s' % proc.stdout[-2000:])
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='1000,10000')
    sizes = [int(s) for s in parser.parse_args().sizes.split(',')]
    ens = Ensemble(participants=1, standalone=True).start()
    rows = []
    try:
        for n in sizes:
            items = [{'path': '/bench%d/g%02d/n%05d' % (n, i % 50, i), 'value': 'value-%d' % i} for i in range(n)]
            args = dict(hosts=ens.hosts, znodes=items)
            create = module_process(args)
            noop = module_process(args)
            module_process(dict(hosts=ens.hosts, path='/bench%d' % n, state='absent', recursive=True))
            task = playbook_task(args)
            rows.append((n, create, noop, task))
    finally:
        ens.destroy()
    print('%-8s %-14s %-14s %-16s %-14s' % ('znodes', 'create (s)', 'no-op (s)', 'peak RSS (MiB)', 'playbook (s)'))
    for n, create, noop, task in rows:
        print('%-8d %-14.2f %-14.2f %-16.1f %-14.2f' % (n, create[0], noop[0], max(create[1], noop[1]) / 1024.0, task))
    if len(rows) > 1:
        n1, c1 = rows[0][0], rows[0][1]
        n2, c2, t2 = rows[-1][0], rows[-1][1], rows[-1][3]
        marginal = (c2[0] - c1[0]) / (n2 - n1) * 1000
        print('marginal cost to create: %.3f ms per znode (goal <= 1 ms): %s' % (marginal, 'met' if marginal <= 1 else 'NOT met'))
        print('%d znodes in one playbook task: %.1f s (goal < 20 s): %s' % (n2, t2, 'met' if t2 < 20 else 'NOT met'))


if __name__ == '__main__':
    main()

"""Benchmark: the first converge of 3 fresh members (Debian 12 containers, firewalld), per install method.

For each method, new containers are made (molecule destroy/create/prepare -s bench) and the role's
converge is timed: everything from facts to a serving ensemble, Java and the helpers included.
  - package: Debian's Java and ZooKeeper packages;
  - tarball: the Apache tarball from a mirror container on the same network, Java from packages.
The .deb files come from the apt cache volumes the containers share with earlier runs (as a site's
local package mirror would serve them); nothing is downloaded from the internet once they are there.
This is a measurement, not a test.

Usage: python tests/bench/bench_first_converge.py [--methods package,tarball]
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def molecule(*args, quiet=True):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ZKOPS_DEBIAN='12')
    return subprocess.run(['molecule', *args], cwd=ROOT, env=env, check=False, capture_output=quiet, text=True)


def first_converge(method):
    for step in ('destroy', 'create', 'prepare'):
        proc = molecule(step, '-s', 'bench')
        if proc.returncode:
            sys.exit('molecule %s failed:\n%s' % (step, proc.stdout[-3000:]))
    start = time.monotonic()
    proc = molecule('converge', '-s', 'bench', '--', '-e', 'zookeeper_install_method=%s' % method)
    elapsed = time.monotonic() - start
    if proc.returncode:
        sys.exit('converge (%s) failed:\n%s' % (method, proc.stdout[-3000:]))
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', default='package,tarball')
    methods = parser.parse_args().methods.split(',')
    try:
        molecule('create', '-s', 'bench')
        first_converge(methods[0])  # warm the apt cache volumes, so each measured run installs from local .debs
        results = [(method, first_converge(method)) for method in methods]
    finally:
        molecule('destroy', '-s', 'bench')
    print('first converge of 3 fresh members (Debian 12, firewalld, .debs from the local cache):')
    for method, elapsed in results:
        print('  %-8s %6.1f s' % (method, elapsed))


if __name__ == '__main__':
    main()

"""Benchmark: backup and restore of 100 000 znodes (about 50 MB of data) on loopback.

Starts a real standalone ZooKeeper (Debian's jars), writes N znodes of 500 bytes through kazoo, and then:
  backup   zk_backup as its own process, with its verification restore into a throwaway ZooKeeper;
  restore  zk_restore into an empty dataDir, then a new server started on it until it serves (one leader),
           and its node count checked against the manifest.
Prints seconds, MB/s (of znode data, random bytes) and the peak memory of the largest process of each step (for
the backup, the throwaway JVM that verifies it; for the restore, zk_restore itself). This is a measurement, not a test.
Targets: backup of 100k znodes under 20 s; restore plus one leader under 60 s.

Usage: python tests/bench/bench_backup.py [--nodes 100000] [--size 500]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))

from ansible_runner import COLLECTIONS  # noqa: E402
from zkharness import LOG_JAR, ZK_JAR, Ensemble, Server, free_ports  # noqa: E402

WRAPPER = r'''
import json, os, resource, subprocess, sys, time
start = time.monotonic()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
out = proc.communicate()[0]
elapsed = time.monotonic() - start
print(json.dumps(dict(seconds=elapsed, largest_kib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, out=out)))
'''


def module(name, args):
    """Run a module as its own process (as Ansible does on a host): (seconds, largest process KiB, result)."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, f)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    proc = subprocess.run([sys.executable, '-c', WRAPPER, sys.executable, '-m',
                           'ansible_collections.zkops.zookeeper.plugins.modules.%s' % name, f.name],
                          env=env, capture_output=True, text=True, check=True)
    os.unlink(f.name)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    result = json.loads([line for line in report['out'].splitlines() if line.startswith('{')][-1])
    if result.get('failed'):
        raise SystemExit('%s failed: %s' % (name, result['msg']))
    return report['seconds'], report['largest_kib'], result


def populate(hosts, count, size):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts, timeout=30)
    zk.start(60)
    payload = os.urandom(size * count)   # random data: it does not compress, as real data may not
    for parent in range(100):
        zk.ensure_path('/bench/%03d' % parent)
    pending = []
    for i in range(count):
        pending.append(zk.create_async('/bench/%03d/n%06d' % (i % 100, i), payload[i * size:(i + 1) * size]))
        if len(pending) >= 2000:
            for p in pending:
                p.get()
            pending = []
    for p in pending:
        p.get()
    zk.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--nodes', type=int, default=100000)
    parser.add_argument('--size', type=int, default=500)
    opts = parser.parse_args()
    mb = opts.nodes * opts.size / 1e6
    ens = Ensemble(participants=1, standalone=True)
    ens.servers[0].jvm_flags = ['-Xmx1g']
    ens.start()
    dest = tempfile.mkdtemp(prefix='bench-backups-')
    root = tempfile.mkdtemp(prefix='bench-restore-')
    try:
        started = time.monotonic()
        populate(ens.hosts, opts.nodes, opts.size)
        took = time.monotonic() - started
        print('wrote %d znodes of %d bytes (%.0f MB) in %.1f s' % (opts.nodes, opts.size, mb, took))
        src = ens.servers[0]
        secs, kib, backup = module('zk_backup', dict(data_dir=src.data_dir, dest=dest, classpath=[ZK_JAR, LOG_JAR],
                                                     heap='1g'))
        m = backup['manifest']
        print('\n%-8s %10s %10s %14s  %s' % ('step', 'seconds', 'MB/s', 'peak memory', 'detail'))
        print('%-8s %10.1f %10.1f %11.0f MB  archive %.1f MB, zxid %s, %d nodes, verified in %.1f s' % (
            'backup', secs, mb / secs, kib / 1024.0, backup['size'] / 1e6, m['zxid'], m['node_count'],
            backup['verify_seconds']))
        srv = Server(root, 1, free_ports(1)[0], jvm_flags=['-Xmx1g'])
        srv.write_config([])
        t0 = time.monotonic()
        _s, kib, _r = module('zk_restore', dict(state='restored', archive=backup['archive'], data_dir=srv.data_dir,
                                                stamp='bench'))
        srv.start()
        while srv.mode() != 'standalone':
            if time.monotonic() - t0 > 300:
                raise SystemExit('the restored server did not serve in 300 s')
            time.sleep(0.1)
        secs = time.monotonic() - t0
        from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status
        status = server_status('127.0.0.1', srv.client_port, 5)
        assert status['node_count'] == m['node_count'], (status, m)
        print('%-8s %10.1f %10.1f %11.0f MB  checked, placed, started; serving %s nodes (the manifest\'s)' % (
            'restore', secs, mb / secs, kib / 1024.0, status['node_count']))
        print('\ntargets: backup < 20 s, restore + one leader < 60 s')
        srv.stop()
    finally:
        ens.destroy()
        shutil.rmtree(dest, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()

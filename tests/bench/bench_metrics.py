"""Benchmark: the role's metrics exporter (zkops-metrics) against a member holding 100 000 znodes.

Starts a real standalone ZooKeeper server on loopback (Debian's jars), fills it with znodes, then runs the exporter
exactly as the role installs it (zk_metrics.py, zk_fourletter.py and the launcher copied into one directory, a JSON
configuration) and scrapes it over HTTP. Prints one scrape's latency (median and p99 over the scrapes) and the
exporter's resident memory after them.
Goals: under 20 ms median, under 40 MB. This is a measurement, not a test.

Usage: python tests/bench/bench_metrics.py [--znodes 100000] [--scrapes 500]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))

from zkharness import Ensemble  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def fill(hosts, count):
    from kazoo.client import KazooClient
    client = KazooClient(hosts=hosts, timeout=30)
    client.start(timeout=30)
    client.ensure_path('/bench')
    for start in range(0, count, 1000):
        tx = client.transaction()
        for i in range(start, min(start + 1000, count)):
            tx.create('/bench/n%06d' % i, b'value-%d' % i)
        tx.commit()
    client.stop()


def rss_mib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--znodes', type=int, default=100000)
    parser.add_argument('--scrapes', type=int, default=500)
    args = parser.parse_args()
    ens = Ensemble(participants=1, standalone=True).start()
    work = tempfile.mkdtemp(prefix='zkops-exporter-')
    proc = None
    try:
        started = time.monotonic()
        fill(ens.hosts, args.znodes)
        print('%d znodes written in %.1f s' % (args.znodes, time.monotonic() - started))
        for name in ('zk_metrics.py', 'zk_fourletter.py'):
            shutil.copy(os.path.join(ROOT, 'plugins', 'module_utils', name), work)
        shutil.copy(os.path.join(ROOT, 'roles', 'zookeeper', 'files', 'zkops_metrics_exporter.py'), work)
        host, port = ens.servers[0].address.rsplit(':', 1)
        listen = free_port()
        with open(os.path.join(work, 'metrics.json'), 'w') as f:
            json.dump(dict(host=host, port=int(port), timeout=3, tls=None, conf_dir=work,
                           backup_marker=os.path.join(work, 'zkops-last-backup'), listen_address='127.0.0.1',
                           listen_port=listen), f)
        proc = subprocess.Popen([sys.executable, os.path.join(work, 'zkops_metrics_exporter.py'),
                                 os.path.join(work, 'metrics.json')])
        url = 'http://127.0.0.1:%d/metrics' % listen
        deadline = time.time() + 20
        while True:
            try:
                body = urllib.request.urlopen(url, timeout=5).read().decode()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        count = [line for line in body.splitlines() if line.startswith('znode_count ')]
        lines = [ln for ln in body.splitlines() if ln and ln[0] != '#']
        print('the exporter reports %s; %d series lines' % (count[0] if count else 'no znode_count', len(lines)))
        times = []
        for dummy in range(args.scrapes):
            start = time.perf_counter()
            urllib.request.urlopen(url, timeout=5).read()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        median = times[len(times) // 2]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        rss = rss_mib(proc.pid)
        print('%-10s %-14s %-14s %-14s' % ('scrapes', 'median (ms)', 'p99 (ms)', 'RSS (MiB)'))
        print('%-10d %-14.2f %-14.2f %-14.1f' % (len(times), median, p99, rss))
        verdicts = ('met' if median < 20 else 'NOT met', 'met' if rss * 1.048576 < 40 else 'NOT met')
        print('median under 20 ms: %s; RSS under 40 MB: %s' % verdicts)
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        ens.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()

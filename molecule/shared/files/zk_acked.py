"""Check that every znode in an ack log (lines "<path> <unix time>") exists.

Prints JSON: {"acked": N, "missing": [first missing paths], "missing_count": N}.
Usage: zk_acked.py HOSTS ACKLOG
"""
import json
import sys

from kazoo.client import KazooClient
from kazoo.retry import KazooRetry


def main():
    hosts, ack_log = sys.argv[1], sys.argv[2]
    with open(ack_log) as f:
        paths = [line.split()[0] for line in f if line.strip()]
    zk = KazooClient(hosts=hosts, timeout=10, connection_retry=KazooRetry(max_tries=-1, delay=0.2, max_delay=1))
    zk.start(timeout=60)
    zk.sync('/')
    pending = [(p, zk.exists_async(p)) for p in paths]
    missing = [p for p, result in pending if result.get(timeout=30) is None]
    zk.stop()
    zk.close()
    print(json.dumps(dict(acked=len(paths), missing=missing[:20], missing_count=len(missing))))


if __name__ == '__main__':
    main()

"""Keep writing znodes while an upgrade rolls through, then check every one survived.

Creates /upgrade/nNNNNNN in a loop through kazoo (retrying through leader
elections) until the stop file appears or the time limit passes. A znode counts
as written once ZooKeeper acknowledged it. At the end, a fresh session reads
back every acknowledged znode and a JSON summary is written.
Usage: zk_writer.py HOSTS STOPFILE SUMMARY MAX_SECONDS [ACKLOG]
ACKLOG, when given, gets one line per acknowledged znode: "<path> <unix time>".
While STOPFILE.pause exists, no znode is written (the session stays open).
ZK_WRITER_TLS="CA,CERT,KEY" (paths) makes it a TLS client with that certificate.
"""
import json
import os
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry


def client(hosts):
    retry = dict(max_tries=-1, delay=0.2, max_delay=1)
    tls = {}
    if os.environ.get('ZK_WRITER_TLS'):
        ca, cert, key = os.environ['ZK_WRITER_TLS'].split(',')
        tls = dict(use_ssl=True, verify_certs=True, ca=ca, certfile=cert, keyfile=key)
    zk = KazooClient(hosts=hosts, timeout=10, connection_retry=KazooRetry(**retry),
                     command_retry=KazooRetry(deadline=60, **retry), **tls)
    zk.start(timeout=60)
    return zk


def main():
    hosts, stop_file, summary_file, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    ack_log = open(sys.argv[5], 'a', buffering=1) if len(sys.argv) > 5 else None
    zk = client(hosts)
    zk.retry(zk.ensure_path, '/upgrade')
    acked, errors = [], []
    deadline = time.time() + limit
    i = 0
    while not os.path.exists(stop_file) and time.time() < deadline:
        if os.path.exists(stop_file + '.pause'):
            time.sleep(0.05)
            continue
        path = '/upgrade/n%06d' % i
        try:
            zk.retry(zk.create, path, b'value-%d' % i)
            acked.append(path)
        except NodeExistsError:  # created, but the reply was lost in an election: still written
            acked.append(path)
        except Exception as e:  # pylint: disable=broad-except
            errors.append('%s: %r' % (path, e))
        if ack_log and acked and acked[-1] == path:
            ack_log.write('%s %.3f\n' % (path, time.time()))
        i += 1
        time.sleep(0.05)
    zk.stop()
    zk.close()
    check = client(hosts)
    missing = [p for p in acked if check.retry(check.exists, p) is None]
    check.stop()
    check.close()
    with open(summary_file, 'w') as f:
        json.dump(dict(acked=len(acked), attempts=i, errors=errors[:20], error_count=len(errors),
                       missing=missing[:20], missing_count=len(missing)), f)


if __name__ == '__main__':
    main()

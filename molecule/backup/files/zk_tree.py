"""Read a whole ZooKeeper tree, or seed one, through kazoo: the backup drills compare trees with it.

  zk_tree.py walk HOSTS       print {path: [data hex, sorted ACLs, czxid]} as JSON (ephemerals and /zookeeper left out)
  zk_tree.py seed HOSTS N     create N nodes with random data under /tree, every third with a digest ACL
The same walk() is imported by the drills to read a backup loaded into a throwaway server.
"""
import json
import random
import sys

from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

AUTH = [('digest', 'drill:secret')]


def walk(zk, path='/'):
    out = {}
    for child in sorted(zk.get_children(path)):
        full = path.rstrip('/') + '/' + child
        if full == '/zookeeper':
            continue
        data, stat = zk.get(full)
        if not stat.ephemeralOwner:
            acl = sorted([a.perms, a.id.scheme, a.id.id] for a in zk.get_acls(full)[0])
            out[full] = [data.hex(), acl, stat.czxid]
        out.update(walk(zk, full))
    return out


def seed(zk, count):
    if zk.exists('/tree'):
        return  # seeded by an earlier verify of the same containers
    rng = random.Random(count)
    acl = make_digest_acl('drill', 'secret', all=True)
    for i in range(count):
        parent = '/tree/%d' % (i % 11)
        zk.ensure_path(parent)
        zk.create('%s/%d' % (parent, i), bytes(rng.getrandbits(8) for dummy in range(rng.randint(0, 400))),
                  acl=[acl] if i % 3 == 0 else None)


def main():
    zk = KazooClient(sys.argv[2], timeout=20, auth_data=AUTH)
    zk.start(60)
    zk.sync('/')
    if sys.argv[1] == 'seed':
        seed(zk, int(sys.argv[3]))
    else:
        print(json.dumps(walk(zk)))
    zk.stop()


if __name__ == '__main__':
    main()

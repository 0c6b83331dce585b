"""Generated batches of creates, updates, deletes and ACL changes, in random order, against a real server.

For every batch:
  * check mode predicts the real run: the same per-item result, or a failure at the same item;
  * check mode writes nothing, and a failed run writes nothing;
  * a second run reports no change;
  * the same batch with an item the server refuses appended leaves the tree exactly as before.
The module's own code runs in this process (desired_items and ZnodeApplier) against the server.
"""
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kazoo.client import KazooClient
from kazoo.security import make_acl

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_apply import BatchFailed, ZnodeApplier
from ansible_collections.zkops.zookeeper.plugins.modules.zk_znode import desired_items

UNIVERSE = ['/a', '/a/b', '/a/b/c', '/a/d', '/e', '/e/f', '/g']
ACLS = [None, [dict(scheme='world', perms='all')], [dict(scheme='world', perms='rwcd')],
        [dict(scheme='world', perms='r'), dict(scheme='ip', id='127.0.0.1', perms='all')]]


@st.composite
def batches(draw):
    paths = draw(st.lists(st.sampled_from(UNIVERSE), min_size=1, max_size=6, unique=True))
    out = []
    for path in paths:
        if draw(st.booleans()):
            item = dict(path=path, state='present', makepath=draw(st.booleans()))
            value = draw(st.sampled_from([None, '', 'v1', 'v2']))
            if value is not None:
                item['value'] = value
            acl = draw(st.sampled_from(ACLS))
            if acl is not None:
                item['acl'] = acl
        else:
            item = dict(path=path, state='absent', recursive=draw(st.booleans()))
        out.append(item)
    # A node asked present below one asked absent undoes itself on every run; such a batch is
    # still planned and applied (and checked against check mode), but it cannot be idempotent.
    absent = [i['path'] for i in out if i['state'] == 'absent']
    consistent = not any(i['path'].startswith(p + '/') for i in out if i['state'] == 'present' for p in absent)
    return out, consistent


def params(prefix, znodes):
    return dict(hosts='unused', auth=None, znodes=[dict(z, path=prefix + z['path']) for z in znodes],
                path=None, state='present', value=None, value_b64=None, acl=None, makepath=True, recursive=False,
                version=None, allow_system_tree=False, jute_maxbuffer=0xfffff, return_value_limit=4096)


def run(client, prefix, znodes, check):
    try:
        pairs = ZnodeApplier(client, check_mode=check).apply(desired_items(params(prefix, znodes)))
        return [(r['changed'], r['exists'], r['value'], r['acl']) for r, _d in pairs]
    except BatchFailed as e:
        return ('failed', e.index, e.changed)


def walk(client, root):
    out, level = [], [root]
    while level:
        pending = [(p, client.get_async(p), client.get_acls_async(p), client.get_children_async(p)) for p in level]
        level = []
        for path, got, acls, kids in pending:
            data, stat = got.get()
            out.append((path, data, stat.version, stat.aversion, stat.mzxid, sorted(str(a) for a in acls.get()[0])))
            level.extend(path + '/' + c for c in kids.get())
    return sorted(out)


def seeded(client, prefix, seed):
    client.ensure_path(prefix)
    client.create(prefix + '/locked', b'', acl=[make_acl('world', 'anyone', read=True)])
    for path in sorted(seed):
        client.ensure_path(prefix + path)
    return walk(client, prefix)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.sets(st.sampled_from(UNIVERSE)), generated=batches())
def test_generated_batches(standalone, seed, generated):
    batch, consistent = generated
    prefix, other = ['/zkops-prop-%s' % uuid.uuid4().hex[:8] for _i in range(2)]
    client = KazooClient(hosts=standalone.hosts)
    client.start(timeout=10)
    try:
        # The batch with an item the server refuses appended writes nothing.
        start = seeded(client, other, seed)
        refused = run(client, other, batch + [dict(path='/locked/x', state='present')], check=False)
        assert refused[0] == 'failed' and refused[2] is False, refused
        assert walk(client, other) == start, 'a batch the server refused wrote'

        start = seeded(client, prefix, seed)
        predicted = run(client, prefix, batch, check=True)
        assert walk(client, prefix) == start, 'check mode wrote'
        real = run(client, prefix, batch, check=False)
        if predicted[0] == 'failed' or real[0] == 'failed':
            assert predicted[:2] == real[:2], (batch, predicted, real)
            assert real[2] is False and walk(client, prefix) == start, 'a failed batch wrote'
            return
        assert predicted == real, (batch, predicted, real)
        if consistent:
            after = walk(client, prefix)
            again = run(client, prefix, batch, check=False)
            assert again[0] != 'failed' and [r[0] for r in again] == [False] * len(batch), (batch, again)
            assert walk(client, prefix) == after
    finally:
        for root in (prefix, other):
            if client.exists(root):
                client.delete(root, recursive=True)
        client.stop()
        client.close()

"""zk_znode against a real standalone ZooKeeper server, through Ansible."""
import base64

from ansible_runner import run_module
from module_process import run_module_process
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl_credential

MOD = 'zkops.zookeeper.zk_znode'


def kazoo(ens, auth=None):
    client = KazooClient(hosts=ens.hosts, auth_data=auth)
    client.start(timeout=10)
    return client


def znode(ens, **args):
    args.setdefault('hosts', ens.hosts)
    check = args.pop('_check', False)
    diff = args.pop('_diff', False)
    return run_module(MOD, args, check=check, diff=diff)


def test_create_check_apply_idempotent(standalone, prefix):
    path = prefix + '/app/config'
    check = znode(standalone, path=path, value='v1', _check=True)
    assert check['changed'] is True
    client = kazoo(standalone)
    try:
        assert client.exists(path) is None, 'check mode must not write'
        assert client.exists(prefix) is None, 'check mode must not create parents'
        first = znode(standalone, path=path, value='v1')
        assert first['changed'] is True
        assert client.get(path)[0] == b'v1'
        version = client.exists(path).version
        again_check = znode(standalone, path=path, value='v1', _check=True)
        assert again_check['changed'] is False
        again = znode(standalone, path=path, value='v1')
        assert again['changed'] is False
        assert again['stat']['version'] == version
        assert client.exists(path).version == version, 'an unchanged value must not be rewritten'
    finally:
        client.stop()


def test_update_reports_previous_value_and_diff(standalone, prefix):
    path = prefix + '/k'
    znode(standalone, path=path, value='old')
    check = znode(standalone, path=path, value='new', _check=True, _diff=True)
    assert check['changed'] is True
    assert check['diff']['before']['value'] == 'old'
    assert check['diff']['after']['value'] == 'new'
    res = znode(standalone, path=path, value='new', _diff=True)
    assert res['changed'] is True
    assert res['previous_value'] == 'old'
    assert res['value'] == 'new'
    assert res['stat']['version'] == 1
    assert res['diff']['before']['value'] == 'old' and res['diff']['after']['value'] == 'new'
    assert znode(standalone, path=path, value='new')['changed'] is False


def test_binary_value(standalone, prefix):
    path = prefix + '/bin'
    raw = b'\x00\x01\xfe\xff'
    b64 = base64.b64encode(raw).decode()
    assert znode(standalone, path=path, value_b64=b64)['changed'] is True
    res = znode(standalone, path=path, value_b64=b64)
    assert res['changed'] is False
    assert res['value'] is None and res['value_b64'] == b64
    client = kazoo(standalone)
    try:
        assert client.get(path)[0] == raw
    finally:
        client.stop()


def test_node_without_value_keeps_data(standalone, prefix):
    path = prefix + '/keep'
    znode(standalone, path=path, value='data')
    res = znode(standalone, path=path)
    assert res['changed'] is False
    assert res['value'] == 'data'


def test_acl_set_then_idempotent(standalone, prefix):
    path = prefix + '/acl'
    acl = [{'scheme': 'world', 'perms': 'r'}, {'scheme': 'digest', 'id': 'admin', 'password': 'secret', 'perms': 'all'}]
    auth = [{'credential': 'admin:secret'}]
    res = znode(standalone, path=path, value='x', acl=acl, auth=auth)
    assert res['changed'] is True
    expected_digest = make_digest_acl_credential('admin', 'secret')  # kazoo's own computation
    # the result never shows the hash
    assert sorted(res['acl']) == sorted(['world:anyone:r', 'digest:admin:<hash hidden>:rwcda'])
    assert expected_digest.split(':')[1] not in str(res)
    client = kazoo(standalone, auth=[('digest', 'admin:secret')])  # without admin, the server masks the hash
    try:
        stored = sorted('%s:%s:%d' % (a.id.scheme, a.id.id, a.perms) for a in client.get_acls(path)[0])
        assert stored == sorted(['world:anyone:1', 'digest:%s:31' % expected_digest])
    finally:
        client.stop()
    again = znode(standalone, path=path, value='x', acl=acl, auth=auth)
    assert again['changed'] is False
    assert again['stat']['aversion'] == res['stat']['aversion']
    # Changing only the ACL is a change, shown in the diff.
    acl2 = [{'scheme': 'world', 'perms': 'rw'}, acl[1]]
    changed = znode(standalone, path=path, value='x', acl=acl2, auth=auth, _diff=True)
    assert changed['changed'] is True
    assert 'world:anyone:r' in changed['diff']['before']['acl']
    assert 'world:anyone:rw' in changed['diff']['after']['acl']


def test_auth_scheme_and_noauth(standalone, prefix):
    path = prefix + '/private'
    auth = [{'credential': 'app:pw'}]
    res = znode(standalone, path=path, value='s', acl=[{'scheme': 'auth', 'perms': 'all'}], auth=auth)
    assert res['changed'] is True
    assert res['acl'][0].startswith('digest:app:')
    assert znode(standalone, path=path, value='s', acl=[{'scheme': 'auth', 'perms': 'all'}], auth=auth)['changed'] is False
    # Without credentials: NoAuth naming the path, no traceback.
    denied = znode(standalone, path=path, value='other')
    assert denied.get('failed') is True
    assert 'NoAuth' in denied['msg'] and path in denied['msg'] and 'credentials' in denied['msg']
    assert 'exception' not in denied or 'Traceback' not in denied.get('msg', '')
    # Wrong credentials are no better.
    wrong = znode(standalone, path=path, value='other', auth=[{'credential': 'app:wrong'}])
    assert wrong.get('failed') is True and 'NoAuth' in wrong['msg']


def test_an_acl_the_server_refuses_is_named_with_its_likely_cause_and_nothing_is_written(standalone, prefix):
    """scheme sasl on a server without a SASL provider: ZooKeeper answers InvalidACL; the message names the entry
    and what the server lacks, for a new node (the transaction) and for an ACL change (the probe)."""
    path = prefix + '/sasl-only'
    acl = [{'scheme': 'sasl', 'id': 'app', 'perms': 'all'}]
    refused = znode(standalone, path=path, value='x', acl=acl)
    assert refused.get('failed') is True, refused
    assert 'InvalidACL' in refused['msg'] and "sasl:app:rwcda" in refused['msg'], refused['msg']
    assert 'authProvider.sasl' in refused['msg'] and path in refused['msg'], refused['msg']
    client = kazoo(standalone)
    try:
        assert client.exists(path) is None
        assert znode(standalone, path=path, value='x')['changed'] is True
        changed = znode(standalone, path=path, value='x', acl=acl)
        assert changed.get('failed') is True and 'sasl:app:rwcda' in changed['msg'], changed
        assert 'authProvider.sasl' in changed['msg'], changed['msg']
        assert [a.id.scheme for a in client.get_acls(path)[0]] == ['world']
    finally:
        client.stop()


def test_absent_and_recursive(standalone, prefix):
    znode(standalone, path=prefix + '/tree/a/b', value='1')
    leaf = znode(standalone, path=prefix + '/tree/a/b', state='absent', _check=True)
    assert leaf['changed'] is True
    client = kazoo(standalone)
    try:
        assert client.exists(prefix + '/tree/a/b') is not None
        not_empty = znode(standalone, path=prefix + '/tree', state='absent')
        assert not_empty.get('failed') is True
        assert 'NotEmpty' in not_empty['msg'] and 'recursive' in not_empty['msg']
        assert client.exists(prefix + '/tree') is not None
        gone = znode(standalone, path=prefix + '/tree', state='absent', recursive=True)
        assert gone['changed'] is True
        assert client.exists(prefix + '/tree') is None
        assert znode(standalone, path=prefix + '/tree', state='absent', recursive=True)['changed'] is False
    finally:
        client.stop()


def test_bad_version(standalone, prefix):
    path = prefix + '/cas'
    znode(standalone, path=path, value='1')
    res = znode(standalone, path=path, value='2', version=5)
    assert res.get('failed') is True and 'BadVersion' in res['msg'] and path in res['msg']
    assert znode(standalone, path=path, value='2', version=0)['changed'] is True


def test_makepath_false(standalone, prefix):
    res = znode(standalone, path=prefix + '/missing/child', value='x', makepath=False)
    assert res.get('failed') is True
    assert 'makepath' in res['msg'] and prefix + '/missing' in res['msg']


def test_invalid_input_is_refused_before_connecting(standalone):
    for path in ('relative/path', '/trailing/', '/a//b', '/a/../b'):
        res = znode(standalone, path=path, value='x')
        assert res.get('failed') is True and path in res['msg'], res
    both = znode(standalone, path='/x', value='a', value_b64='YQ==')
    assert both.get('failed') is True and 'mutually exclusive' in both['msg']
    perms = znode(standalone, path='/x', acl=[{'scheme': 'world', 'perms': 'rxz'}])
    assert perms.get('failed') is True and "'rxz'" in perms['msg']


def test_unreachable_fails_within_timeout(prefix):
    import time
    start = time.time()
    res = run_module(MOD, {'hosts': '127.0.0.1:1', 'timeout': 3, 'path': prefix})
    assert res.get('failed') is True
    assert '127.0.0.1:1' in res['msg'] and 'within 3' in res['msg']
    assert time.time() - start < 30


def test_batch_of_1000(standalone, prefix):
    items = [{'path': '%s/seed/n%04d' % (prefix, i), 'value': 'value-%d' % i} for i in range(1000)]
    items.append({'path': prefix + '/obsolete', 'state': 'absent'})
    check = znode(standalone, znodes=items, _check=True)
    assert check['changed'] is True
    assert len(check['results']) == 1001
    client = kazoo(standalone)
    try:
        assert client.exists(prefix + '/seed') is None
        first = znode(standalone, znodes=items)
        assert first['changed'] is True
        assert sum(r['changed'] for r in first['results']) == 1000
        assert len(client.get_children(prefix + '/seed')) == 1000
        assert client.get(prefix + '/seed/n0999')[0] == b'value-999'
        second = znode(standalone, znodes=items)
        assert second['changed'] is False
        assert all(r['stat']['version'] == 0 for r in second['results'][:1000])
        items[5]['value'] = 'changed'
        third = znode(standalone, znodes=items, _diff=True)
        assert [r['path'] for r in third['results'] if r['changed']] == [items[5]['path']]
        assert len(third['diff']) == 1 and third['diff'][0]['after']['value'] == 'changed'
    finally:
        client.stop()


def test_batch_later_items_see_earlier_ones(standalone, prefix):
    items = [
        {'path': prefix + '/p/child', 'value': 'c'},
        {'path': prefix + '/p', 'value': 'parent'},       # created by the first item's makepath
        {'path': prefix + '/p/child/x', 'value': 'x'},
        {'path': prefix + '/p/tmp/a', 'value': 'a'},
        {'path': prefix + '/p/tmp', 'state': 'absent', 'recursive': True},
    ]
    check = znode(standalone, znodes=items, _check=True)
    res = znode(standalone, znodes=items)
    assert [r['changed'] for r in res['results']] == [True] * 5
    assert [r['changed'] for r in check['results']] == [True] * 5
    assert res['results'][1]['previous_value'] == ''
    assert [r['exists'] for r in res['results']] == [True, True, True, True, False]
    again = znode(standalone, znodes=items[:3] + items[4:])
    assert [r['changed'] for r in again['results']] == [False] * 4


def test_a_value_that_fits_jute_maxbuffer_exactly_is_written_and_one_byte_more_is_refused(standalone, prefix):
    """The limit is the real request size (module_utils/zk_znode_spec.op_request_size), checked against the server:
    a create and a set of the largest value that fits are accepted by ZooKeeper; one byte more is refused by
    the module, naming jute_maxbuffer, before anything is sent."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_spec import (
        JUTE_MAXBUFFER, MULTI_OVERHEAD, op_request_size)
    path = prefix + '/max'
    acl = [('world', 'anyone', 31)]
    create_max = JUTE_MAXBUFFER - MULTI_OVERHEAD - op_request_size('create', path, b'', acl)
    set_max = JUTE_MAXBUFFER - MULTI_OVERHEAD - op_request_size('set', path, b'')
    over = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=path, value='a' * (create_max + 1)))
    assert over.get('failed') and 'jute_maxbuffer' in over['msg'], over
    created = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=path, value='a' * create_max))
    assert created.get('changed') and not created.get('failed'), created
    updated = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=path, value='b' * set_max))
    assert updated.get('changed') and not updated.get('failed'), updated
    again = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=path, value='b' * set_max))
    assert again['changed'] is False
    checked = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=path, value='c' * set_max), check=True)
    assert checked['changed'] is True and not checked.get('failed'), checked
    too_big = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=path, value='b' * (set_max + 1)))
    assert too_big.get('failed') and 'jute_maxbuffer' in too_big['msg'], too_big
    client = KazooClient(standalone.hosts)
    client.start()
    assert client.get(path)[0] == b'b' * set_max
    client.stop()

"""zk_znode logs in with SASL (DIGEST-MD5) to a real ZooKeeper on loopback that reads the
JAAS file the role writes for zookeeper_client_sasl_users (its own template, rendered here;
one password holds a double quote and a backslash)."""
import os
import shutil
import tempfile
import time
import uuid

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError

from module_process import run_module_process
from role_template import render
from zkharness import Server, free_ports

USERS = {'app': 'app-pw', 'other': 'other "quoted" \\ pw'}


@pytest.fixture(scope='module')
def sasl_server():
    root = tempfile.mkdtemp(prefix='zkops-sasl-')
    jaas = os.path.join(root, 'jaas.conf')
    with open(jaas, 'w') as f:
        f.write(render('jaas.conf.j2', zookeeper_quorum_sasl_password='', zookeeper_client_sasl_users=USERS))
    port, = free_ports(1)
    server = Server(root, 1, port, extra={
        'authProvider.sasl': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
    }, jvm_flags=['-Djava.security.auth.login.config=%s' % jaas])
    server.write_config([])
    server.start()
    try:
        deadline = time.time() + 30
        while server.mode() != 'standalone' and time.time() < deadline:
            time.sleep(0.2)
        assert server.mode() == 'standalone', open(server.log).read()[-3000:]
        yield dict(hosts=server.address)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def path():
    return '/sasl-%s' % uuid.uuid4().hex[:8]


def _login(user):
    return dict(username=user, password=USERS[user])


def _anonymous(server):
    zk = KazooClient(hosts=server['hosts'])
    zk.start(10)
    return zk


@pytest.mark.parametrize('acl, stored', [
    ([dict(scheme='world', perms='r'), dict(scheme='sasl', id='app', perms='all')], ['sasl:app:rwcda', 'world:anyone:r']),
    ([dict(scheme='world', perms='r'), dict(scheme='auth', perms='all')], ['sasl:app:rwcda', 'world:anyone:r']),
])
def test_a_sasl_user_owns_a_node_and_the_run_is_idempotent(sasl_server, path, acl, stored):
    args = dict(hosts=sasl_server['hosts'], sasl=_login('app'), path=path, value='mine', acl=acl)
    first = run_module_process('zk_znode', args)
    assert first['changed'] and first['acl'] == stored, first
    again = run_module_process('zk_znode', args)
    assert not again['changed'], again
    zk = _anonymous(sasl_server)
    try:
        assert zk.get(path)[0] == b'mine'
        with pytest.raises(NoAuthError):
            zk.set(path, b'anonymous')
    finally:
        zk.stop()
    other = run_module_process('zk_znode', dict(hosts=sasl_server['hosts'], sasl=_login('other'), path=path, value='theirs'))
    assert other.get('failed') and not other['changed'], other
    assert 'SASL login' not in other['msg'], other   # logged in, then refused by the ACL
    changed = run_module_process('zk_znode', dict(args, value='changed'))
    assert changed['changed'] and changed['value'] == 'changed', changed


def test_a_password_with_a_quote_and_a_backslash_logs_in(sasl_server, path):
    args = dict(hosts=sasl_server['hosts'], sasl=_login('other'), path=path, value='x',
                acl=[dict(scheme='auth', perms='all')])
    result = run_module_process('zk_znode', args)
    assert result['changed'] and result['acl'] == ['sasl:other:rwcda'], result


def test_a_wrong_sasl_password_fails_cleanly_and_writes_nothing(sasl_server, path):
    result = run_module_process('zk_znode', dict(hosts=sasl_server['hosts'], path=path, value='x', timeout=5,
                                                 sasl=dict(username='app', password='wrong')))
    assert result.get('failed') and 'Traceback' not in result['msg'], result
    assert "sasl.username 'app'" in result['msg'] and 'wrong' not in result['msg'], result
    zk = _anonymous(sasl_server)
    try:
        assert zk.exists(path) is None
    finally:
        zk.stop()


class _Failed(Exception):
    pass


class _Module(object):
    def __init__(self, params):
        self.params = params

    def fail_json(self, msg, **kwargs):
        raise _Failed(msg)


def test_a_refused_login_is_named_even_when_it_closes_the_session_before_start_looks(sasl_server, monkeypatch):
    """kazoo's start() returns once the session exists and the SASL login runs after it, on the connection's
    thread. On a busy machine the refusal can close the session before start() checks it; start() then raises
    its time-out error (CI saw "Could not connect ... within 5.0 seconds" for a wrong password). Here the main
    thread always loses that race: start() waits for the connection's thread to stop before it looks."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils import zk_connection

    class LateStart(zk_connection.KazooClient):
        def start(self, timeout=15):
            self.start_async().wait(timeout)
            assert self._connection.connection_stopped.wait(timeout)
            if not self.connected:
                self.stop()
                self.close()
                raise self.handler.timeout_exception('Connection time-out')

    monkeypatch.setattr(zk_connection, 'KazooClient', LateStart)
    params = dict(hosts=sasl_server['hosts'], timeout=10.0, auth=None, use_tls=False, ca=None, cert=None, key=None,
                  verify_certs=True, sasl=dict(mechanism='DIGEST-MD5', username='app', password='wrong'))
    with pytest.raises(_Failed) as failed:
        with zk_connection.zk_connect(_Module(params)):
            pass
    assert "AuthFailedError: the server refused the SASL login of sasl.username 'app'" in str(failed.value)
    assert 'wrong' not in str(failed.value)


def test_digest_md5_needs_a_user_and_password(sasl_server, path):
    result = run_module_process('zk_znode', dict(hosts=sasl_server['hosts'], path=path, value='x', sasl=dict(username='app')))
    assert result.get('failed') and 'password' in result['msg'], result

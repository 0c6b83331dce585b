"""Bad and edge-case inputs of zk_znode and zk_status, against a real standalone server.

Each case is one module run, as its own process (tests/lib/module_process.py).
It asserts one of two things:
  * a clean failure whose message names the option or path (every fragment
    listed), with every znode of the server unchanged (a walk of the whole tree,
    stat and data, before and after);
  * the documented success, with `changed` as stated.
An uncaught exception prints no JSON and fails the case.
{p} is a fresh tree for the case (see `tree`), {hosts} the server, {closed} a port nobody listens on.
"""
import socket

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_acl
from module_process import run_module_process

OWNER = ('digest', 'owner:pw')
BIG = 'x' * 1048576


def fail(*fragments):
    return ('fail', fragments)


def ok(changed):
    return ('ok', changed)


def items(*paths, **extra):
    return [dict(path=p, **extra) for p in paths]


# (id, module, args, expectation)
CASES = [
    # -- paths ------------------------------------------------------------------------------------------
    ('path-empty', 'zk_znode', dict(path=''), fail("path '' is empty")),
    ('path-relative', 'zk_znode', dict(path='a/b'), fail("'a/b'", 'not absolute')),
    ('path-trailing-slash', 'zk_znode', dict(path='{p}/a/'), fail('trailing slash')),
    ('path-double-slash', 'zk_znode', dict(path='{p}//a'), fail('empty component')),
    ('path-dot', 'zk_znode', dict(path='{p}/./a'), fail('relative component')),
    ('path-dotdot', 'zk_znode', dict(path='{p}/../a'), fail('relative component')),
    ('path-nul', 'zk_znode', dict(path='{p}/a\x00b'), fail('NUL')),
    ('path-control', 'zk_znode', dict(path='{p}/a\x01'), fail('U+0001')),
    ('path-del', 'zk_znode', dict(path='{p}/a\x7f'), fail('U+007F')),
    ('path-c1-control', 'zk_znode', dict(path='{p}/a\x85'), fail('U+0085')),
    ('path-private-use', 'zk_znode', dict(path='{p}/a\ue000'), fail('U+E000')),
    ('path-specials', 'zk_znode', dict(path='{p}/a\ufff0'), fail('U+FFF0')),
    ('path-astral', 'zk_znode', dict(path='{p}/a\U0001F600'), fail('U+1F600')),
    ('path-unicode-ok', 'zk_znode', dict(path='{p}/caf\u00e9/\u65e5\u672c', value='v'), ok(True)),
    ('path-system', 'zk_znode', dict(path='/zookeeper'), fail("'/zookeeper'", 'allow_system_tree')),
    ('path-system-quota', 'zk_znode', dict(path='/zookeeper/quota/x', value='1'), fail('allow_system_tree')),
    ('path-system-config-absent', 'zk_znode', dict(path='/zookeeper/config', state='absent'),
     fail('allow_system_tree')),
    ('path-system-opt-in-read', 'zk_znode', dict(path='/zookeeper/config', allow_system_tree=True), ok(False)),
    ('path-root-absent', 'zk_znode', dict(path='/', state='absent'), fail('root znode / cannot be deleted')),
    ('batch-path-relative', 'zk_znode', dict(znodes=items('{p}/ok', 'rel')), fail('znodes[1]', 'not absolute')),
    ('batch-path-system', 'zk_znode', dict(znodes=items('{p}/ok', '/zookeeper/x')), fail('znodes[1]', 'allow_system')),
    ('batch-duplicate', 'zk_znode', dict(znodes=items('{p}/a', '{p}/b', '{p}/a')),
     fail('znodes[2]', 'already znodes[0]')),
    ('batch-duplicate-absent', 'zk_znode', dict(znodes=[dict(path='{p}/a'), dict(path='{p}/a', state='absent')]),
     fail('znodes[1]', 'once in a batch')),
    ('batch-empty', 'zk_znode', dict(znodes=[]), fail('znodes is empty')),
    ('batch-item-no-path', 'zk_znode', dict(znodes=[dict(value='x')]), fail('path')),
    # -- values -----------------------------------------------------------------------------------------
    ('value-and-b64', 'zk_znode', dict(path='{p}/v', value='a', value_b64='YQ=='), fail('mutually exclusive')),
    ('batch-value-and-b64', 'zk_znode', dict(znodes=[dict(path='{p}/v', value='a', value_b64='YQ==')]),
     fail('mutually exclusive')),
    ('b64-invalid', 'zk_znode', dict(path='{p}/v', value_b64='not base64!'), fail('value_b64', 'not valid base64')),
    ('batch-b64-invalid', 'zk_znode', dict(znodes=[dict(path='{p}/v', value_b64='@@')]), fail('znodes[0] value_b64')),
    ('b64-empty-ok', 'zk_znode', dict(path='{p}/empty', value_b64=''), ok(True)),
    ('value-too-big', 'zk_znode', dict(path='{p}/big', value=BIG), fail("'{p}/big'", 'jute_maxbuffer', '1048576')),
    ('batch-value-too-big', 'zk_znode', dict(znodes=[dict(path='{p}/a', value='1'), dict(path='{p}/big', value=BIG)]),
     fail('znodes[1]', 'jute_maxbuffer')),
    ('value-over-custom-limit', 'zk_znode', dict(path='{p}/v', value='x' * 5000, jute_maxbuffer=4096),
     fail('jute_maxbuffer (4096')),
    ('jute-maxbuffer-tiny', 'zk_znode', dict(path='{p}/v', jute_maxbuffer=100), fail('jute_maxbuffer 100')),
    ('value-large-ok-returned-small', 'zk_znode', dict(path='{p}/large', value='y' * 1000000), ok(True)),
    ('value-empty-string-changes', 'zk_znode', dict(path='{p}/existing', value=''), ok(True)),
    ('value-unchanged', 'zk_znode', dict(path='{p}/existing', value='v'), ok(False)),
    ('no-value-keeps-data', 'zk_znode', dict(path='{p}/existing'), ok(False)),
    ('return-limit-negative', 'zk_znode', dict(path='{p}/v', return_value_limit=-1), fail('return_value_limit')),
    # -- ACLs -------------------------------------------------------------------------------------------
    ('acl-scheme-unknown', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='foo', perms='r')]), fail('scheme')),
    ('acl-perms-bad-letter', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='world', perms='rwx')]),
     fail("'{p}/a'", "has 'x'")),
    ('acl-perms-empty', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='world', perms='')]), fail('perms is empty')),
    ('acl-perms-missing', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='world')]), fail('perms')),
    ('acl-scheme-missing', 'zk_znode', dict(path='{p}/a', acl=[dict(perms='r')]), fail('scheme')),
    ('acl-empty-list', 'zk_znode', dict(path='{p}/a', acl=[]), fail('acl is empty')),
    ('acl-ip-no-id', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='ip', perms='r')]), fail('needs an id')),
    ('acl-ip-bad-octet', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='ip', id='10.0.0.300', perms='r')]),
     fail("'10.0.0.300'", 'not an address')),
    ('acl-ip-bad-bits', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='ip', id='10.0.0.0/33', perms='r')]),
     fail('10.0.0.0/33')),
    ('acl-ip-hostname', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='ip', id='zk1', perms='r')]),
     fail("'zk1'", 'CIDR')),
    ('acl-ip-v6-bits', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='ip', id='::1/129', perms='r')]),
     fail('::1/129')),
    ('acl-ip-ok', 'zk_znode', dict(path='{p}/ipok', acl=[dict(scheme='ip', id='10.0.0.0/8', perms='r'),
                                                         dict(scheme='world', perms='all')]), ok(True)),
    ('batch-acl-ip-bad', 'zk_znode', dict(znodes=[dict(path='{p}/a', value='1'),
                                                  dict(path='{p}/b', acl=[dict(scheme='ip', id='1.2.3', perms='r')])]),
     fail('znodes[1]', "'1.2.3'")),
    ('acl-digest-no-hash', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='digest', id='bob', perms='r')]),
     fail("'bob'", 'has no hash')),
    ('acl-digest-bad-hash', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='digest', id='bob:short', perms='r')]),
     fail("user 'bob'", 'base64')),
    ('acl-digest-two-colons', 'zk_znode',
     dict(path='{p}/a', acl=[dict(scheme='digest', id='bob:a:b', perms='r')]), fail("user 'bob'")),
    ('acl-digest-password-and-colon', 'zk_znode',
     dict(path='{p}/a', acl=[dict(scheme='digest', id='bob:x', password='pw', perms='r')]), fail('without a colon')),
    ('acl-digest-no-id', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='digest', perms='r')]), fail('needs an id')),
    ('acl-digest-ok-hash-hidden', 'zk_znode',
     dict(path='{p}/dg', acl=[dict(scheme='digest', id='bob', password='pw', perms='all'),
                              dict(scheme='world', perms='r')]), ok(True)),
    ('acl-world-other-id', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='world', id='someone', perms='r')]),
     fail("'someone'", 'anyone')),
    ('acl-auth-with-id', 'zk_znode', dict(path='{p}/a', auth=[dict(credential='u:p')],
                                          acl=[dict(scheme='auth', id='u', perms='r')]), fail('takes no id')),
    ('acl-auth-without-credentials', 'zk_znode', dict(path='{p}/a', acl=[dict(scheme='auth', perms='r')]),
     fail('needs digest credentials')),
    ('acl-perms-uppercase-ok', 'zk_znode', dict(path='{p}/up', acl=[dict(scheme='world', perms='RWCDA')]), ok(True)),
    ('acl-perms-repeated-ok', 'zk_znode', dict(path='{p}/existing', acl=[dict(scheme='world', perms='rrwwcdaa')]),
     ok(False)),
    # -- auth -------------------------------------------------------------------------------------------
    ('auth-no-colon', 'zk_znode', dict(path='{p}/a', auth=[dict(credential='nocolon')]), fail('auth[0]', 'no colon')),
    ('auth-no-user', 'zk_znode', dict(path='{p}/a', auth=[dict(credential=':pw')]), fail('auth[0]', 'no user')),
    ('auth-second-bad', 'zk_znode', dict(path='{p}/a', auth=[dict(credential='a:b'), dict(credential='x')]),
     fail('auth[1]')),
    ('auth-missing-credential', 'zk_znode', dict(path='{p}/a', auth=[dict(scheme='digest')]), fail('credential')),
    ('auth-unknown-scheme', 'zk_znode', dict(path='{p}/a', auth=[dict(scheme='bogus', credential='x:y')], timeout=5),
     fail('{hosts}')),
    ('acl-auth-no-colon-credential', 'zk_znode', dict(path='{p}/a', auth=[dict(credential='nocolon')],
                                                      acl=[dict(scheme='auth', perms='r')]), fail('no colon')),
    # -- options that would be ignored --------------------------------------------------------------------
    ('absent-with-value', 'zk_znode', dict(path='{p}/existing', state='absent', value='x'),
     fail('value has no effect with state absent')),
    ('absent-with-b64', 'zk_znode', dict(path='{p}/existing', state='absent', value_b64='YQ=='), fail('value_b64')),
    ('absent-with-acl', 'zk_znode', dict(path='{p}/existing', state='absent', acl=[dict(scheme='world', perms='r')]),
     fail('acl has no effect')),
    ('present-with-recursive', 'zk_znode', dict(path='{p}/existing', recursive=True),
     fail('recursive has no effect with state present')),
    ('batch-top-value', 'zk_znode', dict(value='x', znodes=items('{p}/a')), fail('value', 'ignored with znodes')),
    ('batch-top-b64', 'zk_znode', dict(value_b64='YQ==', znodes=items('{p}/a')), fail('value_b64', 'with znodes')),
    ('batch-top-version', 'zk_znode', dict(version=0, znodes=items('{p}/a')), fail('version', 'with znodes')),
    ('batch-absent-value', 'zk_znode', dict(znodes=[dict(path='{p}/existing', state='absent', value='x')]),
     fail('znodes[0]', 'value has no effect')),
    ('batch-absent-makepath', 'zk_znode', dict(znodes=[dict(path='{p}/existing', state='absent', makepath=False)]),
     fail('znodes[0]', 'makepath')),
    ('batch-present-recursive', 'zk_znode', dict(znodes=[dict(path='{p}/a', recursive=True)]),
     fail('znodes[0]', 'recursive')),
    ('batch-module-recursive-default-ok', 'zk_znode',
     dict(recursive=True, znodes=[dict(path='{p}/new', value='1'), dict(path='{p}/parent', state='absent')]),
     ok(True)),
    ('path-and-znodes', 'zk_znode', dict(path='{p}/a', znodes=items('{p}/b')), fail('mutually exclusive')),
    ('neither-path-nor-znodes', 'zk_znode', dict(), fail('one of the following is required')),
    ('unknown-option', 'zk_znode', dict(path='{p}/a', vaule='x'), fail('vaule')),
    ('batch-unknown-item-option', 'zk_znode', dict(znodes=[dict(path='{p}/a', vaule='x')]), fail('vaule')),
    ('state-unknown', 'zk_znode', dict(path='{p}/a', state='gone'), fail('state', 'gone')),
    ('makepath-not-bool', 'zk_znode', dict(path='{p}/a', makepath='perhaps'), fail('makepath')),
    # -- versions ---------------------------------------------------------------------------------------
    ('version-below-minus-one', 'zk_znode', dict(path='{p}/existing', value='n', version=-2),
     fail('version -2', 'not a data version')),
    ('version-mismatch', 'zk_znode', dict(path='{p}/existing', value='n', version=5),
     fail('BadVersion', "'{p}/existing'", 'version 0')),
    ('version-match', 'zk_znode', dict(path='{p}/existing', value='n', version=0), ok(True)),
    ('version-any', 'zk_znode', dict(path='{p}/existing', value='n', version=-1), ok(True)),
    ('version-acl-only-mismatch', 'zk_znode',
     dict(path='{p}/existing', acl=[dict(scheme='world', perms='rw')], version=3), fail('BadVersion')),
    ('version-on-missing-node', 'zk_znode', dict(path='{p}/missing', value='n', version=3),
     fail('does not exist', 'version 3')),
    ('version-absent-missing', 'zk_znode', dict(path='{p}/missing', state='absent', version=3), ok(False)),
    ('version-not-int', 'zk_znode', dict(path='{p}/existing', version='one'), fail('version')),
    ('recursive-version-mismatch', 'zk_znode', dict(path='{p}/parent', state='absent', recursive=True, version=4),
     fail('BadVersion', "'{p}/parent'")),
    ('recursive-version-match', 'zk_znode', dict(path='{p}/parent', state='absent', recursive=True, version=0),
     ok(True)),
    ('batch-version-mismatch-writes-nothing', 'zk_znode',
     dict(znodes=[dict(path='{p}/n1', value='1'), dict(path='{p}/n2', value='2'),
                  dict(path='{p}/existing', value='n', version=9)]), fail('znodes[2]', 'BadVersion')),
    ('version-absent-mismatch', 'zk_znode', dict(path='{p}/existing', state='absent', version=2), fail('BadVersion')),
    # -- structure and server-side refusals -----------------------------------------------------------------
    ('absent-not-empty', 'zk_znode', dict(path='{p}/parent', state='absent'), fail('NotEmpty', "'{p}/parent'")),
    ('absent-recursive-ok', 'zk_znode', dict(path='{p}/parent', state='absent', recursive=True), ok(True)),
    ('absent-missing-ok', 'zk_znode', dict(path='{p}/missing', state='absent'), ok(False)),
    ('makepath-false-missing-parent', 'zk_znode', dict(path='{p}/no/such/x', makepath=False),
     fail("parent '{p}/no'", 'makepath')),
    ('batch-makepath-false-writes-nothing', 'zk_znode',
     dict(znodes=[dict(path='{p}/n1', value='1'), dict(path='{p}/no/x', makepath=False)]), fail('znodes[1]', 'parent')),
    ('create-under-read-only', 'zk_znode', dict(path='{p}/locked/x', value='1'), fail('NoAuth', "'{p}/locked/x'")),
    ('batch-create-under-read-only-writes-nothing', 'zk_znode',
     dict(znodes=[dict(path='{p}/n1', value='1'), dict(path='{p}/n2', value='2'), dict(path='{p}/locked/x')]),
     fail('znodes[2]', 'NoAuth', 'nothing of this transaction was applied')),
    ('set-read-only', 'zk_znode', dict(path='{p}/locked', value='w'), fail('NoAuth', "'{p}/locked'")),
    ('delete-under-no-delete-parent', 'zk_znode', dict(path='{p}/nodelete/child', state='absent'), fail('NoAuth')),
    ('acl-change-without-admin', 'zk_znode', dict(path='{p}/noadmin', acl=[dict(scheme='world', perms='r')]),
     fail('would be refused', "'{p}/noadmin'", 'NoAuth')),
    ('batch-data-then-acl-without-admin-writes-nothing', 'zk_znode',
     dict(znodes=[dict(path='{p}/existing', value='changed'),
                  dict(path='{p}/noadmin', acl=[dict(scheme='world', perms='r')])]),
     fail('znodes[1]', 'would be refused')),
    ('read-denied', 'zk_znode', dict(path='{p}/secret', value='x'), fail('NoAuth', "'{p}/secret'", 'read')),
    ('read-with-owner-ok', 'zk_znode', dict(path='{p}/secret', value='s', auth=[dict(credential='owner:pw')]),
     ok(False)),
    ('batch-mixed-ok', 'zk_znode',
     dict(znodes=[dict(path='{p}/n1/a', value='1'), dict(path='{p}/existing', value='v2'),
                  dict(path='{p}/parent', state='absent', recursive=True)]), ok(True)),
    ('batch-all-unchanged', 'zk_znode', dict(znodes=[dict(path='{p}/existing', value='v'), dict(path='{p}/parent')]),
     ok(False)),
    ('chroot-ok', 'zk_znode', dict(hosts='{hosts}{p}', path='/inside', value='1'), ok(True)),
    ('chroot-missing', 'zk_znode', dict(hosts='{hosts}{p}/nochroot', path='/inside', value='1'),
     fail("chroot '{p}/nochroot'", 'does not exist')),
    ('version-already-as-asked-ok', 'zk_znode', dict(path='{p}/existing', value='v', version=7), ok(False)),
    ('version-mismatch-on-change', 'zk_znode', dict(path='{p}/existing', value='w', version=7),
     fail('BadVersion', "'{p}/existing'")),
    # -- connection -------------------------------------------------------------------------------------
    ('hosts-empty', 'zk_znode', dict(hosts='', path='{p}/a'), fail('hosts is empty')),
    ('hosts-blank', 'zk_znode', dict(hosts='  ', path='{p}/a'), fail('hosts is empty')),
    ('hosts-empty-entry', 'zk_znode', dict(hosts='a,,b', path='{p}/a'), fail('empty entry')),
    ('hosts-ipv6-unbracketed', 'zk_znode', dict(hosts='::1:2181', path='{p}/a'), fail('brackets')),
    ('hosts-ipv6-unclosed', 'zk_znode', dict(hosts='[::1:2181', path='{p}/a'), fail('[IPv6]:port')),
    ('hosts-port-zero', 'zk_znode', dict(hosts='zk:0', path='{p}/a'), fail("'zk:0'", '1-65535')),
    ('hosts-port-high', 'zk_znode', dict(hosts='zk:70000', path='{p}/a'), fail('1-65535')),
    ('hosts-port-text', 'zk_znode', dict(hosts='zk:abc', path='{p}/a'), fail("'zk:abc'", 'not a number')),
    ('hosts-no-host', 'zk_znode', dict(hosts=':2181', path='{p}/a'), fail('no host name')),
    ('hosts-chroot-trailing', 'zk_znode', dict(hosts='zk:2181/app/', path='{p}/a'), fail('chroot')),
    ('hosts-chroot-empty', 'zk_znode', dict(hosts='zk:2181/', path='{p}/a'), fail('chroot')),
    ('timeout-zero', 'zk_znode', dict(path='{p}/a', timeout=0), fail('timeout 0', 'more than 0')),
    ('timeout-negative', 'zk_znode', dict(path='{p}/a', timeout=-3), fail('timeout -3')),
    ('timeout-text', 'zk_znode', dict(path='{p}/a', timeout='soon'), fail('timeout')),
    ('unreachable', 'zk_znode', dict(hosts='{closed}', path='{p}/a', timeout=1),
     fail('Could not connect', '{closed}', 'within 1')),
    ('tls-ca-missing', 'zk_znode', dict(path='{p}/a', use_tls=True, ca='/nonexistent/ca.pem'),
     fail("ca '/nonexistent/ca.pem' does not exist")),
    ('tls-cert-without-key', 'zk_znode', dict(path='{p}/a', use_tls=True, cert='/etc/hostname'),
     fail('cert and key go together')),
    ('tls-ca-not-pem', 'zk_znode', dict(path='{p}/a', use_tls=True, ca='/etc/hostname'), fail('cannot be used')),
    ('tls-to-plaintext-port', 'zk_znode', dict(path='{p}/a', use_tls=True, verify_certs=False, timeout=3),
     fail('Could not connect', '{hosts}')),
    # -- zk_status --------------------------------------------------------------------------------------
    ('status-hosts-empty', 'zk_status', dict(hosts=''), fail('hosts is empty')),
    ('status-hosts-empty-entry', 'zk_status', dict(hosts='{hosts},'), fail('empty entry')),
    ('status-host-twice', 'zk_status', dict(hosts='{hosts},{hosts}'), fail('twice')),
    ('status-host-twice-case', 'zk_status', dict(hosts='LOCALHOST:2181,localhost:2181'), fail('twice')),
    ('status-empty-port', 'zk_status', dict(hosts='127.0.0.1:'), fail("'127.0.0.1:'", 'empty port')),
    ('status-ipv6-unbracketed', 'zk_status', dict(hosts='fe80::1:2181'), fail('brackets')),
    ('status-port-range', 'zk_status', dict(hosts='127.0.0.1:65536'), fail('1-65535')),
    ('status-timeout-zero', 'zk_status', dict(hosts='{hosts}', timeout=0), fail('more than 0')),
    ('status-timeout-negative', 'zk_status', dict(hosts='{hosts}', timeout=-1), fail('timeout -1')),
    ('status-wait-for-unknown', 'zk_status', dict(hosts='{hosts}', wait_for='healthy'), fail('wait_for', 'healthy')),
    ('status-observer-not-in-hosts', 'zk_status', dict(hosts='{hosts}', observers=['10.9.9.9:2181']),
     fail('10.9.9.9:2181', 'not in hosts')),
    ('status-tls-ca-missing', 'zk_status', dict(hosts='{hosts}', use_tls=True, ca='/nonexistent.pem'),
     fail('does not exist')),
    ('status-unknown-option', 'zk_status', dict(hosts='{hosts}', wait='quorum'), fail('wait')),
    ('status-unreachable-reported', 'zk_status', dict(hosts='{closed}', timeout=1), ok(False)),
    ('status-unreachable-wait', 'zk_status', dict(hosts='{closed}', wait_for='serving', timeout=1),
     fail("did not reach 'serving'", '{closed}')),
    ('status-standalone-ok', 'zk_status', dict(hosts='{hosts}', wait_for='serving'), ok(False)),
    # -- zk_host_info's servers (zk_server_info's options) ------------------------------------------------
    ('host-servers-no-instances', 'zk_host_info', dict(servers=dict(timeout=1)), fail('instances')),
    ('host-servers-timeout-zero', 'zk_host_info',
     dict(servers=dict(timeout=0, instances=[dict(name='a', config='/nonexistent/zoo.cfg', data_dir='/nonexistent',
                                                  client='{hosts}')])), fail('servers: timeout', 'greater than 0')),
    ('host-servers-bad-client', 'zk_host_info',
     dict(servers=dict(instances=[dict(name='a', config='/nonexistent/zoo.cfg', data_dir='/nonexistent',
                                       client='h:notaport')])), fail('servers: Instance a', 'not a number')),
    ('host-servers-unknown-key', 'zk_host_info',
     dict(servers=dict(instances=[dict(name='a', config='/x', data_dir='/x', client='{hosts}', port=1)])), fail('port')),
    ('host-servers-standalone-ok', 'zk_host_info',
     dict(servers=dict(instances=[dict(name='a', config='/nonexistent/zoo.cfg', data_dir='/nonexistent',
                                       client='{hosts}')])), ok(False)),
]


def closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return '127.0.0.1:%d' % port


def fill(value, subs):
    if isinstance(value, str):
        for key, sub in subs.items():
            value = value.replace('{%s}' % key, sub)
        return value
    if isinstance(value, list):
        return [fill(v, subs) for v in value]
    if isinstance(value, dict):
        return dict((k, fill(v, subs)) for k, v in value.items())
    return value


def walk(client):
    """Every znode the owner can read: (path, version, aversion, cversion, mzxid, data), read level by level."""
    out, level = [], ['/']
    while level:
        pending = [(p, client.get_async(p), client.get_children_async(p)) for p in level]
        level = []
        for path, got, kids in pending:
            data, stat = got.get()
            out.append((path, stat.version, stat.aversion, stat.cversion, stat.mzxid, data))
            level.extend((path.rstrip('/') + '/' + c) for c in kids.get())
    return sorted(out)


@pytest.fixture
def tree(standalone, prefix):
    """A fresh tree for one case: existing, parent/child, locked (read-only), nodelete (no delete right),
    noadmin (no admin right), secret (owner only)."""
    client = KazooClient(hosts=standalone.hosts, auth_data=[OWNER])
    client.start(timeout=10)
    open_acl = [make_acl('world', 'anyone', all=True)]
    client.create(prefix + '/existing', b'v', makepath=True)
    client.create(prefix + '/parent/child', b'c', makepath=True)
    client.create(prefix + '/locked', b'l', acl=[make_acl('world', 'anyone', read=True)])
    client.create(prefix + '/nodelete', b'', acl=[make_acl('world', 'anyone', read=True, write=True, create=True,
                                                           admin=True)])
    client.create(prefix + '/nodelete/child', b'', acl=open_acl)
    client.create(prefix + '/noadmin', b'', acl=[make_acl('world', 'anyone', read=True, write=True, create=True,
                                                          delete=True)])
    client.create(prefix + '/secret', b's', acl=[make_acl('digest', 'owner:%s' % _owner_hash(), all=True)])
    yield client
    client.stop()
    client.close()


def _owner_hash():
    from kazoo.security import make_digest_acl_credential
    return make_digest_acl_credential('owner', 'pw').split(':', 1)[1]


@pytest.mark.parametrize('case_id, module, args, expect', CASES, ids=[c[0] for c in CASES])
def test_bad_input(standalone, prefix, tree, case_id, module, args, expect):
    subs = dict(p=prefix, hosts=standalone.hosts, closed=closed_port())
    args = fill(args, subs)
    if module != 'zk_host_info':
        args.setdefault('hosts', standalone.hosts)
    before = walk(tree)
    result = run_module_process(module, args)
    after = walk(tree)
    kind, detail = expect
    if kind == 'fail':
        assert result.get('failed') is True, (case_id, result)
        for fragment in detail:
            assert fill(fragment, subs) in result['msg'], (case_id, result['msg'])
        assert after == before, '%s failed but changed the tree' % case_id
        assert result.get('changed') in (None, False), (case_id, result)
    else:
        assert result.get('failed') is not True, (case_id, result.get('msg'))
        assert result['changed'] is detail, (case_id, result)
        assert (after != before) is detail, '%s: changed=%s but the tree says otherwise' % (case_id, detail)


def test_there_are_enough_cases():
    assert len(CASES) >= 120
    assert set(c[1] for c in CASES) == {'zk_znode', 'zk_status', 'zk_host_info'}


def test_results_stay_small_and_carry_no_hash(standalone, prefix):
    big = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=prefix + '/big', value='z' * 100000),
                             diff=True)
    assert big['changed'] and big['value'] is None and big['value_b64'] is None
    assert big['value_size'] == 100000 and len(big['value_sha256']) == 64
    big.pop('invocation', None)  # Ansible echoes the module's own input
    assert len(str(big)) < 4000, big
    digest = run_module_process('zk_znode', dict(hosts=standalone.hosts, path=prefix + '/d',
                                                 acl=[dict(scheme='digest', id='bob', password='pw', perms='all')],
                                                 auth=[dict(credential='bob:pw')]), diff=True)
    from kazoo.security import make_digest_acl_credential
    hashed = make_digest_acl_credential('bob', 'pw').split(':', 1)[1]
    assert digest['changed'] and hashed not in str(digest), digest
    assert digest['acl'] == ['digest:bob:<hash hidden>:rwcda']

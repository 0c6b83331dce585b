"""zk_status and zk_znode against a real ZooKeeper on loopback that serves clients over TLS only
with client certificates required (ssl.clientAuth=need), a digest superuser, and certificates
made by the test (tests/lib/tls_lab.py)."""
import os
import shutil
import tempfile

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from module_process import run_module_process
from tls_lab import make_lab
from zkharness import Server, free_ports

SUPER_DIGEST = 'super:D/InIHSb7yEEbrWz8b9l71RjZJU='   # super:test, ZooKeeper's documented example


@pytest.fixture(scope='module')
def tls_server():
    root = tempfile.mkdtemp(prefix='zkops-tls-')
    lab = make_lab(os.path.join(root, 'lab'))
    plain, secure = free_ports(2)
    server = Server(root, 1, plain, extra={
        'secureClientPort': str(secure),
        'serverCnxnFactory': 'org.apache.zookeeper.server.NettyServerCnxnFactory',
        'ssl.keyStore.location': lab['server'], 'ssl.keyStore.type': 'PEM',
        'ssl.trustStore.location': lab['ca'], 'ssl.trustStore.type': 'PEM',
        'ssl.clientAuth': 'need',
    }, jvm_flags=['-Dzookeeper.DigestAuthenticationProvider.superDigest=%s' % SUPER_DIGEST])
    server.write_config([])
    server.start()
    try:
        for dummy in range(150):
            if server.mode() == 'standalone':
                break
            __import__('time').sleep(0.2)
        assert server.mode() == 'standalone', open(server.log).read()[-3000:]
        yield dict(lab, hosts='127.0.0.1:%d' % secure, plain='127.0.0.1:%d' % plain, root=root)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _tls(server, cert=True, ca=None):
    args = dict(hosts=server['hosts'], use_tls=True, ca=ca or server['ca'], timeout=15)
    if cert:
        args.update(cert=server['client_cert'], key=server['client_key'])
    return args


def _exists(server, path):
    zk = KazooClient(hosts=server['plain'])
    zk.start(10)
    try:
        return zk.exists(path) is not None
    finally:
        zk.stop()


def test_zk_status_reads_srvr_over_tls(tls_server):
    result = run_module_process('zk_status', _tls(tls_server))
    assert not result.get('failed'), result
    assert [s['mode'] for s in result['servers']] == ['standalone']


def test_zk_znode_over_tls_creates_reads_and_stays_idempotent(tls_server, prefix):
    args = dict(_tls(tls_server), path=prefix + '/a', value='over-tls', makepath=True)
    first = run_module_process('zk_znode', args)
    assert first['changed'] and first['value'] == 'over-tls', first
    again = run_module_process('zk_znode', args)
    assert not again['changed'] and again['value'] == 'over-tls', again
    assert _exists(tls_server, prefix + '/a')


@pytest.mark.parametrize('case', ['no client certificate', 'another CA'])
def test_refused_tls_sessions_fail_cleanly_and_write_nothing(tls_server, prefix, case):
    if case == 'another CA':
        other = make_lab(os.path.join(tls_server['root'], 'other'), ca_name='another CA')
        args = _tls(tls_server, ca=other['ca'])
    else:
        args = _tls(tls_server, cert=False)
    result = run_module_process('zk_znode', dict(args, path=prefix + '/refused', value='x', makepath=True))
    assert result.get('failed') and 'Traceback' not in result['msg'], result
    assert tls_server['hosts'] in result['msg'] or 'TLS' in result['msg'] or 'connect' in result['msg'].lower(), result
    assert not _exists(tls_server, prefix)
    status = run_module_process('zk_status', dict(args, wait_for='serving', timeout=3))
    assert status.get('failed'), status


def test_the_digest_superuser_over_tls_changes_what_only_another_user_may(tls_server, prefix):
    zk = KazooClient(hosts=tls_server['plain'], auth_data=[('digest', 'alice:alice-pw')])
    zk.start(10)
    zk.create(prefix, b'alice', acl=[make_digest_acl('alice', 'alice-pw', all=True)], makepath=True)
    zk.stop()
    denied = run_module_process('zk_znode', dict(_tls(tls_server), path=prefix, value='bob',
                                                 auth=[dict(credential='bob:bob-pw')]))
    assert denied.get('failed') and not denied['changed'], denied
    done = run_module_process('zk_znode', dict(_tls(tls_server), path=prefix, value='super',
                                               auth=[dict(credential='super:test')]))
    assert done['changed'] and done['value'] == 'super', done
    gone = run_module_process('zk_znode', dict(_tls(tls_server), path=prefix, state='absent',
                                               auth=[dict(credential='super:test')]))
    assert gone['changed'] and not _exists(tls_server, prefix), gone


def test_zk_server_info_reads_the_tls_port_and_takes_the_mode_from_it_without_a_plaintext_port(tls_server):
    closed, = __import__('zkharness').free_ports(1)
    inst = dict(name='s', config=os.path.join(tls_server['root'], 'none.cfg'), data_dir=tls_server['root'],
                client='127.0.0.1:%d' % closed, secure_client=tls_server['hosts'])
    tls = dict(use_tls=True, ca=tls_server['ca'], cert=tls_server['client_cert'], key=tls_server['client_key'])
    info = run_module_process('zk_server_info', dict(tls, instances=[inst]))['instances'][0]
    assert (info['mode'], info['tls_mode']) == ('standalone', 'standalone'), info
    both = run_module_process('zk_server_info', dict(tls, instances=[dict(inst, client=tls_server['plain'])]))
    assert (both['instances'][0]['mode'], both['instances'][0]['tls_mode']) == ('standalone', 'standalone'), both
    plain_only = run_module_process('zk_server_info', dict(instances=[dict(inst, client=tls_server['plain'])]))
    assert plain_only['instances'][0]['tls_mode'] is None, plain_only
    refused = run_module_process('zk_server_info', dict(tls, cert=None, key=None, instances=[inst]))
    missing = run_module_process("zk_server_info", dict(tls, ca="/nonexistent/ca.pem", instances=[inst]))
    assert not missing.get("failed") and "does not exist" in missing["instances"][0]["tls_problem"], missing
    assert missing["instances"][0]["tls_mode"] is None, missing
    assert refused['instances'][0]['tls_mode'] not in ('standalone',), refused


def test_zk_host_info_reads_the_servers_as_zk_server_info_does_in_the_same_call(tls_server):
    """The role reads a host in one call: zk_host_info's option servers gives zk_server_info's answer, over TLS,
    without a plaintext port, with both ports, with TLS files that cannot be used, and for a bad configuration."""
    closed, = __import__('zkharness').free_ports(1)
    inst = dict(name='s', config=os.path.join(tls_server['root'], 'none.cfg'), data_dir=tls_server['root'],
                client='127.0.0.1:%d' % closed, secure_client=tls_server['hosts'])
    tls = dict(use_tls=True, ca=tls_server['ca'], cert=tls_server['client_cert'], key=tls_server['client_key'])
    for options in (dict(tls, instances=[inst]), dict(tls, instances=[dict(inst, client=tls_server['plain'])]),
                    dict(instances=[dict(inst, client=tls_server['plain'])]),
                    dict(tls, ca='/nonexistent/ca.pem', instances=[inst])):
        alone = run_module_process('zk_server_info', options)
        together = run_module_process('zk_host_info', dict(units=[], servers=options))
        assert not together.get('failed') and together['servers'] == alone['instances'], (together, alone)
    bad = os.path.join(tls_server['root'], 'bad.cfg')
    with open(bad, 'w') as f:
        f.write('dynamicConfigFile=%s\n' % os.path.join(tls_server['root'], 'bad.dynamic'))
    with open(os.path.join(tls_server['root'], 'bad.dynamic'), 'w') as f:
        f.write('server.x=nonsense\n')
    alone = run_module_process('zk_server_info', dict(instances=[dict(inst, config=bad)]))
    together = run_module_process('zk_host_info', dict(servers=dict(instances=[dict(inst, config=bad)])))
    assert alone.get('failed') and together.get('failed') and together['msg'] == 'servers: ' + alone['msg'], (
        alone, together)
    assert 'servers' not in run_module_process('zk_host_info', dict(units=[]))


def _lab_certificate(tls_server):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    pem = open(tls_server['server'], 'rb').read()
    return x509.load_pem_x509_certificate(pem[pem.index(b'-----BEGIN CERTIFICATE-----'):])


def test_zk_status_returns_the_certificate_the_server_presents(tls_server):
    from cryptography.hazmat.primitives import hashes
    cert = _lab_certificate(tls_server)
    result = run_module_process('zk_status', _tls(tls_server))
    assert not result.get('failed'), result
    seen = result['servers'][0]['certificate']
    assert seen['sha256'] == cert.fingerprint(hashes.SHA256()).hex()
    assert seen['not_after'] == cert.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ')
    # tls_lab issues certificates valid for 2 days from now
    assert 1.9 <= seen['days_left'] <= 2.0, seen
    assert seen['subject'] == 'CN=localhost' and seen['issuer'] == 'CN=zkops test CA', seen
    assert sorted(seen['names']) == ['127.0.0.1', 'localhost'], seen


def test_zk_status_without_verification_knows_only_the_fingerprint_and_without_tls_nothing(tls_server):
    from cryptography.hazmat.primitives import hashes
    result = run_module_process('zk_status', dict(_tls(tls_server), verify_certs=False))
    seen = result['servers'][0]['certificate']
    assert seen['sha256'] == _lab_certificate(tls_server).fingerprint(hashes.SHA256()).hex()
    assert seen['not_after'] is None and seen['days_left'] is None and seen['names'] == [], seen
    plain = run_module_process('zk_status', dict(hosts=tls_server['plain'], timeout=5))
    assert plain['servers'][0]['certificate'] is None, plain


def test_the_metrics_exporter_reads_a_tls_only_member_and_the_certificate_it_presents(tls_server, tmp_path):
    """The exporter (module_utils/zk_metrics.py) asks mntr over TLS with a certificate of the CA, as it does on a
    member without a plaintext port, and exports when the certificate the server presents expires."""
    import calendar
    import urllib.request
    from cryptography import x509
    from prometheus_client.parser import text_string_to_metric_families
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_metrics import start
    host, port = tls_server['hosts'].rsplit(':', 1)
    listen = free_ports(1)[0]
    start(dict(host=host, port=int(port), timeout=5, conf_dir=str(tmp_path), listen_address='127.0.0.1',
               listen_port=listen, tls=dict(ca=tls_server['ca'], cert=tls_server['client_cert'],
                                            key=tls_server['client_key'])))
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % listen, timeout=10) as reply:
        samples = dict((s.name, s.value) for f in text_string_to_metric_families(reply.read().decode()) for s in f.samples)
    with open(tls_server['server'], 'rb') as f:
        presented = x509.load_pem_x509_certificate(f.read().split(b'-----END PRIVATE KEY-----')[1].strip())
    assert samples['zkops_up'] == 1 and samples['znode_count'] >= 1
    assert samples['zkops_certificate_not_after_seconds'] == calendar.timegm(presented.not_valid_after_utc.timetuple())

"""Which real servers use renewed TLS files without a restart, on the jars Debian ships: 3.8.0 (this
machine's package) and 3.9.3 (the tarball the fixtures build from Debian 13's jars; `make fixtures`).

A one-member quorum (standaloneEnabled=false) serves clients over TLS and talks quorum TLS, with the
reload keys the role writes (client.certReload, sslQuorumReloadCertFiles). Its key store is replaced
the way Ansible's copy module does it (a temporary file renamed over it), together with a trust store
that holds the old and the new CA. The test then reads which certificate each port presents, with the
PID unchanged, and checks that zk_server_info's reloads_certificates says what the server did: the
role restarts exactly the servers that do not reload."""
import glob
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import tarfile
import time

import pytest

from module_process import run_module_process
from tls_lab import make_lab
from zkharness import LOG_JAR, NETTY_JARS, ZK_JAR, free_ports

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARBALL_393 = os.path.join(ROOT, '.cache', 'tarballs', 'apache-zookeeper-3.9.3-bin.tar.gz')
MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain'


def _classpath(version, tmp_path):
    if version == '3.8.0':
        return ':'.join([ZK_JAR, LOG_JAR] + NETTY_JARS)
    if not os.path.exists(TARBALL_393):
        pytest.skip('the 3.9.3 tarball is built by `make fixtures` (make test builds it first)')
    with tarfile.open(TARBALL_393) as tar:
        tar.extractall(str(tmp_path / 'dist'), members=[m for m in tar.getmembers() if '/lib/' in m.name])
    lib = glob.glob(str(tmp_path / 'dist' / '*' / 'lib'))[0]
    return ':'.join([os.path.join(lib, '*')] + NETTY_JARS)


def _presented(port, client_pem):
    """SHA-256 of the certificate the server presents on a new TLS connection (ours is ``client_pem``)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.load_cert_chain(client_pem)
    with socket.create_connection(('127.0.0.1', port), 3) as raw, context.wrap_socket(raw) as tls:
        return hashlib.sha256(tls.getpeercert(True)).hexdigest()


def _leaf_sha256(pem_path):
    text = open(pem_path).read()
    block = text[text.index('-----BEGIN CERTIFICATE-----'):]
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(block[:block.index('-----END CERTIFICATE-----') + 25])).hexdigest()


def _replace(path, data):
    """As ansible.builtin.copy writes: a temporary file in the same directory, renamed over the file."""
    tmp = os.path.join(os.path.dirname(path), '.ansible_tmp_' + os.path.basename(path))
    with open(tmp, 'wb') as f:
        f.write(data)
    os.rename(tmp, path)


@pytest.mark.parametrize('version', ['3.8.0', '3.9.3'])
def test_renewed_tls_files_are_used_without_a_restart_exactly_where_zk_server_info_says(version, tmp_path):
    classpath = _classpath(version, tmp_path)
    old, new = make_lab(str(tmp_path / 'old'), 'zkops old CA'), make_lab(str(tmp_path / 'new'), 'zkops new CA')
    tls, data = tmp_path / 'tls', tmp_path / 'data'
    tls.mkdir()
    data.mkdir()
    keystore, truststore = str(tls / 'keystore.pem'), str(tls / 'ca.pem')
    shutil.copy(old['server'], keystore)
    shutil.copy(old['ca'], truststore)
    client, quorum, election, secure = free_ports(4)
    myid = 1 + int(hashlib.sha256(version.encode()).hexdigest(), 16) % 250
    (data / 'myid').write_text('%d\n' % myid)
    dynamic = tmp_path / 'zoo.cfg.dynamic'
    dynamic.write_text('server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d\n' % (myid, quorum, election, client))
    conf = {'tickTime': 200, 'initLimit': 20, 'syncLimit': 10, 'dataDir': data, 'standaloneEnabled': 'false',
            'reconfigEnabled': 'true', 'dynamicConfigFile': dynamic, 'admin.enableServer': 'false',
            '4lw.commands.whitelist': 'srvr', 'secureClientPort': secure,
            'serverCnxnFactory': 'org.apache.zookeeper.server.NettyServerCnxnFactory',
            'ssl.keyStore.location': keystore, 'ssl.keyStore.type': 'PEM', 'ssl.trustStore.location': truststore,
            'ssl.trustStore.type': 'PEM', 'ssl.clientAuth': 'need', 'client.certReload': 'true',
            'sslQuorum': 'true', 'portUnification': 'false', 'ssl.quorum.keyStore.location': keystore,
            'ssl.quorum.keyStore.type': 'PEM', 'ssl.quorum.trustStore.location': truststore,
            'ssl.quorum.trustStore.type': 'PEM', 'sslQuorumReloadCertFiles': 'true'}
    cfg = tmp_path / 'zoo.cfg'
    cfg.write_text(''.join('%s=%s\n' % kv for kv in conf.items()))
    log = open(str(tmp_path / 'server.log'), 'wb')
    proc = subprocess.Popen(['java', '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', classpath, MAIN,
                             str(cfg)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    instance = dict(name='zk', config=str(cfg), data_dir=str(data), client='127.0.0.1:%d' % client,
                    secure_client='127.0.0.1:%d' % secure)
    try:
        deadline, info = time.time() + 60, None
        while time.time() < deadline:
            info = run_module_process('zk_server_info', dict(
                instances=[instance], use_tls=True, ca=old['ca'], cert=old['client_cert'], key=old['client_key'],
            ))['instances'][0]
            if info['mode'] == 'standalone' or info['mode'] == 'leader':
                break
            time.sleep(0.5)
        assert info['mode'] in ('leader', 'standalone') and info['server_version'] == version, (info, open(log.name).read()[-2000:])
        assert _presented(secure, old['server']) == _presented(election, old['server']) == _leaf_sha256(old['server'])

        _replace(truststore, open(old['ca'], 'rb').read() + open(new['ca'], 'rb').read())
        _replace(keystore, open(new['server'], 'rb').read())
        time.sleep(3)
        assert proc.poll() is None
        client_reloaded = _presented(secure, old['server']) == _leaf_sha256(new['server'])
        quorum_reloaded = _presented(election, new['server']) == _leaf_sha256(new['server'])
        print('ZooKeeper %s reloads: client port %s, quorum %s' % (version, client_reloaded, quorum_reloaded))
        # The quorum reloads on every version the role supports (3.5.5+); the client port from 3.8.1/3.9.0.
        assert quorum_reloaded
        assert client_reloaded is (version != '3.8.0')
        assert info['reloads_certificates'] is (client_reloaded and quorum_reloaded)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        log.close()

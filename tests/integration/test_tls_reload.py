"""Which real servers use renewed TLS files without a restart, on the jars Debian ships: 3.8.0 (this
machine's package) and 3.9.3 (the tarball the fixtures build from Debian 13's jars; `make fixtures`).

A one-member quorum (standaloneEnabled=false) serves clients over TLS and talks quorum TLS, with the
reload keys the role writes (client.certReload, sslQuorumReloadCertFiles). Its stores are replaced
the way the role replaces them: one store per write (a CA rollover's stages; a renewal from the same CA
changes the key store only), each a temporary file renamed over it. First the trust store gains a new
CA, and the test waits until a certificate of the new CA is accepted; then the key store holds a
certificate of the new CA, and the test waits until each port presents it. The PID stays the same,
and zk_server_info's reloads_certificates must say what the server did: the role restarts exactly the
servers that do not reload.

Why one store per write: ZooKeeper (X509Util, both versions) watches each store with its own thread,
and each rebuilds the whole TLS context, reading the key store's key and certificate in two reads. With
both stores renamed at once, a thread may read half old and half new files and install that context
last; this test once saw 3.8.0's quorum port present a certificate its key did not sign, for good.
The role restarts the reloading servers too when both stores change in one write
(zk_ensemble_model.tls_file_restarts)."""
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


def _handshake(port, client):
    """SHA-256 of the certificate the server presents on a new TLS connection on which we present
    ``client`` (a PEM file, or a certificate and key pair), or the handshake's error. TLS 1.2, so that a server refusing our certificate fails
    the handshake (TLS 1.3 tells the client only after it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*(client if isinstance(client, tuple) else (client,)))
    try:
        with socket.create_connection(('127.0.0.1', port), 3) as raw, context.wrap_socket(raw) as tls:
            return hashlib.sha256(tls.getpeercert(True)).hexdigest()
    except (ssl.SSLError, OSError) as e:
        return repr(e)


def _handshake_within(port, client, want, seconds):
    """Poll until the server presents ``want`` or ``seconds`` pass; returns the last result. The server notices a renamed
    store by a file watcher and rebuilds its TLS context: on a busy machine that takes a while."""
    deadline = time.time() + seconds
    while True:
        seen = _handshake(port, client)
        if seen == want or time.time() > deadline:
            return seen
        time.sleep(0.2)


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
            'ssl.quorum.trustStore.type': 'PEM', 'sslQuorumReloadCertFiles': 'true',
            # TLS 1.2 beside 3.9's default 1.3, for the probe only: it sees a refused certificate in the handshake.
            'ssl.enabledProtocols': 'TLSv1.3,TLSv1.2', 'ssl.quorum.enabledProtocols': 'TLSv1.3,TLSv1.2'}
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
        old_sha, new_sha = _leaf_sha256(old['server']), _leaf_sha256(new['server'])
        # The quorum checks a peer's name too (ssl.quorum.hostnameVerification): it is shown the server
        # certificate, which names 127.0.0.1. The client port is shown the client certificate.
        old_client, new_client = (old['client_cert'], old['client_key']), (new['client_cert'], new['client_key'])
        assert _handshake(secure, old_client) == _handshake(election, old['server']) == old_sha
        assert _handshake(election, new['server']) != old_sha  # not trusted yet: the check can fail
        assert _handshake(secure, new_client) != old_sha

        # Stage 1: the trust store gains the new CA. The quorum reloads on every version the role supports
        # (3.5.5+); once it has, the file's change event has been seen, so a client port that has not
        # reloaded a little later does not reload at all. The client port reloads from 3.8.1/3.9.0.
        _replace(truststore, open(old['ca'], 'rb').read() + open(new['ca'], 'rb').read())
        quorum_trusts = _handshake_within(election, new['server'], old_sha, 60) == old_sha
        client_trusts = _handshake_within(secure, new_client, old_sha, 5) == old_sha

        # Stage 2: the key store holds the certificate of the new CA.
        _replace(keystore, open(new['server'], 'rb').read())
        quorum_presents = _handshake_within(election, new['server'], new_sha, 60)
        client_presents = _handshake_within(secure, old_client, new_sha, 5)
        assert proc.poll() is None
        assert quorum_presents in (old_sha, new_sha) and client_presents in (old_sha, new_sha), (
            quorum_presents, client_presents, open(log.name).read()[-3000:])
        quorum_reloaded = quorum_trusts and quorum_presents == new_sha
        client_reloaded = client_trusts and client_presents == new_sha
        print('ZooKeeper %s reloads: client port %s, quorum %s' % (version, client_reloaded, quorum_reloaded))
        assert quorum_reloaded
        assert client_reloaded is (version != '3.8.0')
        assert (client_trusts, client_presents == new_sha) == (client_reloaded, client_reloaded)
        assert info['reloads_certificates'] is (client_reloaded and quorum_reloaded)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        log.close()

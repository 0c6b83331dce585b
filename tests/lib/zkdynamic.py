"""Loopback ensembles with dynamic reconfiguration, for zk_reconfig tests.

Servers run Debian's jars with reconfigEnabled=true, standaloneEnabled=false
and a digest superuser.  The superDigest reaches the JVM through a java
@argfile, as the role does, so it is never on the command line.  Ids are
chosen by the caller, so tests do not depend on 1-2-3.
"""
import base64
import hashlib
import os
import shutil
import ssl
import subprocess
import tempfile
import time

from zkharness import LOG_JAR, MAIN, NETTY_JARS, ZK_JAR, Server, free_ports, mode

SUPER_PASSWORD = 'test-super-secret'
SERVING = ('leader', 'follower', 'observer', 'standalone')


def super_digest(password, user='super'):
    return '%s:%s' % (user, base64.b64encode(hashlib.sha1(('%s:%s' % (user, password)).encode()).digest()).decode())


class DynServer(Server):
    """``tls`` (tls_lab.make_lab's files) adds a secureClientPort with clientAuth=need; ``plaintext``
    False leaves the client address out of the server line (clients then have the TLS port only)."""

    def __init__(self, root, myid, tls=None, plaintext=True):
        client, self.quorum_port, self.election_port, self.secure_port = free_ports(4)
        Server.__init__(self, root, myid, client)
        self.tls, self.plaintext = tls, plaintext
        self.dyn = os.path.join(self.dir, 'zoo.cfg.dynamic')
        self.argfile = os.path.join(self.dir, 'java.args')
        with open(self.argfile, 'w') as f:
            f.write('-Dzookeeper.DigestAuthenticationProvider.superDigest=%s\n' % super_digest(SUPER_PASSWORD))
        os.chmod(self.argfile, 0o600)

    def member(self, role='participant', plaintext=None):
        plaintext = self.plaintext if plaintext is None else plaintext
        return dict(id=self.myid, address='127.0.0.1', quorum_port=self.quorum_port,
                    election_port=self.election_port, role=role, client_port=self.client_port if plaintext else 0,
                    client_address='127.0.0.1', secure_client_port=self.secure_port if self.tls else 0)

    def line(self, role='participant', plaintext=None):
        plaintext = self.plaintext if plaintext is None else plaintext
        return 'server.%d=127.0.0.1:%d:%d:%s%s' % (
            self.myid, self.quorum_port, self.election_port, role,
            ';127.0.0.1:%d' % self.client_port if plaintext else '')

    def tls_context(self):
        context = ssl.create_default_context(cafile=self.tls['ca'])
        context.load_cert_chain(self.tls['client_cert'], self.tls['client_key'])
        return context

    def mode(self):
        """Read over TLS when the server has a TLS port (it always listens there)."""
        return mode(self.secure_port, self.tls_context()) if self.tls else mode(self.client_port)

    @property
    def secure_address(self):
        return '127.0.0.1:%d' % self.secure_port

    def write_dynamic(self, lines):
        with open(self.dyn, 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
        conf = {'tickTime': '200', 'initLimit': '20', 'syncLimit': '10', 'dataDir': self.data_dir,
                '4lw.commands.whitelist': 'srvr,mntr,ruok', 'admin.enableServer': 'false',
                'standaloneEnabled': 'false', 'reconfigEnabled': 'true', 'dynamicConfigFile': self.dyn}
        if self.tls:
            conf.update({'secureClientPort': str(self.secure_port),
                         'serverCnxnFactory': 'org.apache.zookeeper.server.NettyServerCnxnFactory',
                         'ssl.keyStore.location': self.tls['server'], 'ssl.keyStore.type': 'PEM',
                         'ssl.trustStore.location': self.tls['ca'], 'ssl.trustStore.type': 'PEM',
                         'ssl.clientAuth': 'need'})
        with open(self.cfg, 'w') as f:
            f.write(''.join('%s=%s\n' % kv for kv in conf.items()))
        with open(os.path.join(self.data_dir, 'myid'), 'w') as f:
            f.write('%d\n' % self.myid)

    def start(self):
        cmd = ['java', '@' + self.argfile, '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
               '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dzookeeper.jmx.log4j.disable=true',
               '-cp', ':'.join([ZK_JAR, LOG_JAR] + NETTY_JARS), MAIN, self.cfg]
        with open(self.log, 'ab') as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, modes=SERVING, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.mode() in modes:
                return self.mode()
            time.sleep(0.2)
        raise RuntimeError('server %d not in %s after %ss: %s\n%s'
                           % (self.myid, modes, timeout, self.mode(), open(self.log).read()[-3000:]))


class DynEnsemble(object):
    """Voters started together (a new ensemble), then joiners added the safe way."""

    def __init__(self, voter_ids, observer_ids=(), tls=None, plaintext=True):
        self.root = tempfile.mkdtemp(prefix='zkdyn-')
        self.tls, self.plaintext = tls, plaintext
        self.servers = {}
        for sid in list(voter_ids) + list(observer_ids):
            self.servers[sid] = DynServer(self.root, sid, tls, plaintext)
        lines = [self.servers[i].line() for i in voter_ids] + [self.servers[i].line('observer') for i in observer_ids]
        for sid in list(voter_ids) + list(observer_ids):
            self.servers[sid].write_dynamic(lines)
        for srv in self.servers.values():
            srv.start()
        for srv in self.servers.values():
            srv.wait()

    def live_lines(self):
        """The committed config, read from the servers' own dynamic files."""
        newest = None
        for srv in self.servers.values():
            for name in os.listdir(srv.dir):
                if name.startswith('zoo.cfg.dynamic.'):
                    version = int(name.rsplit('.', 1)[1], 16)
                    if newest is None or version > newest[0]:
                        newest = (version, os.path.join(srv.dir, name))
        path = newest[1] if newest else next(iter(self.servers.values())).dyn
        return [line.strip() for line in open(path) if line.startswith('server.')]

    def add_joiner(self, sid):
        """Start a new server with the live config plus itself as an observer (never a quorum of its own)."""
        srv = DynServer(self.root, sid, self.tls, self.plaintext)
        srv.write_dynamic(self.live_lines() + [srv.line('observer')])
        srv.start()
        srv.wait(('follower', 'observer'))
        self.servers[sid] = srv
        return srv

    def hosts(self, ids=None):
        ids = ids if ids is not None else sorted(self.servers)
        return ','.join(self.servers[i].address for i in ids)

    def destroy(self):
        for srv in self.servers.values():
            srv.stop()
        shutil.rmtree(self.root, ignore_errors=True)

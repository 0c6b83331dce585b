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
import subprocess
import tempfile
import time

from zkharness import LOG_JAR, MAIN, ZK_JAR, Server, free_ports

SUPER_PASSWORD = 'test-super-secret'
SERVING = ('leader', 'follower', 'observer', 'standalone')


def super_digest(password, user='super'):
    return '%s:%s' % (user, base64.b64encode(hashlib.sha1(('%s:%s' % (user, password)).encode()).digest()).decode())


class DynServer(Server):
    def __init__(self, root, myid):
        client, self.quorum_port, self.election_port = free_ports(3)
        Server.__init__(self, root, myid, client)
        self.dyn = os.path.join(self.dir, 'zoo.cfg.dynamic')
        self.argfile = os.path.join(self.dir, 'java.args')
        with open(self.argfile, 'w') as f:
            f.write('-Dzookeeper.DigestAuthenticationProvider.superDigest=%s\n' % super_digest(SUPER_PASSWORD))
        os.chmod(self.argfile, 0o600)

    def member(self, role='participant'):
        return dict(id=self.myid, address='127.0.0.1', quorum_port=self.quorum_port,
                    election_port=self.election_port, role=role, client_port=self.client_port,
                    client_address='127.0.0.1')

    def line(self, role='participant'):
        return 'server.%d=127.0.0.1:%d:%d:%s;127.0.0.1:%d' % (
            self.myid, self.quorum_port, self.election_port, role, self.client_port)

    def write_dynamic(self, lines):
        with open(self.dyn, 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
        conf = {'tickTime': '200', 'initLimit': '20', 'syncLimit': '10', 'dataDir': self.data_dir,
                '4lw.commands.whitelist': 'srvr,mntr,ruok', 'admin.enableServer': 'false',
                'standaloneEnabled': 'false', 'reconfigEnabled': 'true', 'dynamicConfigFile': self.dyn}
        with open(self.cfg, 'w') as f:
            f.write(''.join('%s=%s\n' % kv for kv in conf.items()))
        with open(os.path.join(self.data_dir, 'myid'), 'w') as f:
            f.write('%d\n' % self.myid)

    def start(self):
        cmd = ['java', '@' + self.argfile, '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
               '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dzookeeper.jmx.log4j.disable=true',
               '-cp', '%s:%s' % (ZK_JAR, LOG_JAR), MAIN, self.cfg]
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

    def __init__(self, voter_ids, observer_ids=()):
        self.root = tempfile.mkdtemp(prefix='zkdyn-')
        self.servers = {}
        for sid in list(voter_ids) + list(observer_ids):
            self.servers[sid] = DynServer(self.root, sid)
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
        srv = DynServer(self.root, sid)
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

"""Start real ZooKeeper servers on loopback for tests and benchmarks.

Uses the jars of Debian's zookeeper package (/usr/share/java/zookeeper.jar
carries an absolute Class-Path to its dependencies).  Each server gets its own
temporary dataDir and free ports, and is stopped with its process group.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), '.collections'))
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status  # noqa: E402

ZK_JAR = os.environ.get('ZK_JAR', '/usr/share/java/zookeeper.jar')
LOG_JAR = os.environ.get('ZK_LOG_JAR', '/usr/share/java/slf4j-simple.jar')
MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
# Netty for a secureClientPort: zookeeper.jar's Class-Path lacks the codec and resolver jars.
NETTY_JARS = ['/usr/share/java/netty-codec.jar', '/usr/share/java/netty-resolver.jar']


def free_ports(count):
    socks, ports = [], []
    for dummy in range(count):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def mode(port, tls_context=None):
    """The server's mode, read by the modules' own srvr reader (module_utils/zk_fourletter.py)."""
    status = server_status('127.0.0.1', port, 2.0, tls_context)
    return status['mode'] if status['mode'] in ('leader', 'follower', 'observer', 'standalone') else None


class Server(object):
    def __init__(self, root, myid, client_port, extra=None, jvm_flags=None):
        self.myid = myid
        self.jvm_flags = list(jvm_flags or [])
        self.client_port = client_port
        self.dir = os.path.join(root, 'zk%d' % myid)
        self.data_dir = os.path.join(self.dir, 'data')
        self.cfg = os.path.join(self.dir, 'zoo.cfg')
        self.log = os.path.join(self.dir, 'server.log')
        self.extra = extra or {}
        self.proc = None
        os.makedirs(self.data_dir, exist_ok=True)

    def write_config(self, server_lines, observer=False):
        conf = {
            'tickTime': '200',
            'initLimit': '20',
            'syncLimit': '10',
            'dataDir': self.data_dir,
            'clientPort': str(self.client_port),
            'clientPortAddress': '127.0.0.1',
            '4lw.commands.whitelist': 'srvr,mntr,ruok',
            'admin.enableServer': 'false',
            'maxSessionTimeout': '60000',
        }
        conf.update(self.extra)
        if observer:
            conf['peerType'] = 'observer'
        with open(self.cfg, 'w') as f:
            for key, value in conf.items():
                f.write('%s=%s\n' % (key, value))
            for line in server_lines:
                f.write(line + '\n')
        if server_lines:
            with open(os.path.join(self.data_dir, 'myid'), 'w') as f:
                f.write('%d\n' % self.myid)

    def start(self):
        jvm = ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
               '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dzookeeper.jmx.log4j.disable=true']
        classpath = ':'.join([ZK_JAR, LOG_JAR] + NETTY_JARS)
        cmd = ['java'] + jvm + self.jvm_flags + ['-cp', classpath, MAIN, self.cfg]
        logf = open(self.log, 'ab')
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    @property
    def address(self):
        return '127.0.0.1:%d' % self.client_port

    def mode(self):
        return mode(self.client_port)


class Ensemble(object):
    """participants + observers on loopback; standalone when there is one server and no server lines."""

    def __init__(self, participants=3, observers=0, standalone=False):
        self.root = tempfile.mkdtemp(prefix='zkharness-')
        count = participants + observers
        ports = free_ports(count * 3)
        self.servers = []
        lines = []
        for i in range(count):
            client, quorum, election = ports[i * 3:i * 3 + 3]
            myid = i + 1
            srv = Server(self.root, myid, client)
            srv.observer = i >= participants
            self.servers.append(srv)
            lines.append('server.%d=127.0.0.1:%d:%d%s' % (myid, quorum, election, ':observer' if srv.observer else ''))
        for srv in self.servers:
            srv.write_config([] if standalone else lines, observer=srv.observer)

    @property
    def hosts(self):
        return ','.join(s.address for s in self.servers)

    def start(self, only=None, wait=True, timeout=60):
        targets = self.servers if only is None else [self.servers[i] for i in only]
        for srv in targets:
            srv.start()
        if wait:
            self.wait_serving(targets, timeout)
        return self

    def wait_serving(self, targets=None, timeout=60):
        targets = targets or self.servers
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(s.mode() in ('leader', 'follower', 'observer', 'standalone') for s in targets):
                return
            time.sleep(0.2)
        logs = '\n'.join('%s: %s' % (s.cfg, open(s.log).read()[-2000:]) for s in targets)
        raise RuntimeError('ZooKeeper servers did not start serving in %ss\n%s' % (timeout, logs))

    def stop(self):
        for srv in self.servers:
            srv.stop()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

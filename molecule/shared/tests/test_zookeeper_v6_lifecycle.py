"""An ensemble addressed by IPv6 literals, after deploy, rerun, the rolling change and monitoring (the default
scenario): the status playbook, a backup and its verification restore, client TLS from the lab CA switched on under
a writer and used by IPv6 address, growth by one member (zk5) through reconfig, and a rerun that changes nothing.
Runs where the members' zookeeper_address are IPv6 literals; named to run last, as it changes the ensemble.

The writer and the TLS client run on the docker host, against the members' IPv6 addresses."""
import ipaddress
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

import pytest
from conftest import INVENTORY, MEMBERS, get_host, host_vars, wait_until
from kazoo.client import KazooClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
CONVERGE = os.path.join(ROOT, 'molecule', 'shared', 'converge.yml')
WORK = tempfile.mkdtemp(prefix='zkops-v6-')
LAB = os.path.join(WORK, 'lab-ca')
NEWCOMER = 'zk5'


def _ipv6(name):
    try:
        return ipaddress.IPv6Address(str(host_vars(name).get('zookeeper_address', ''))).compressed
    except ValueError:
        return None


ADDRESS = dict((m, _ipv6(m)) for m in MEMBERS)
pytestmark = pytest.mark.skipif(not MEMBERS or not all(ADDRESS.values()),
                                reason='the members are not addressed by IPv6 literals in this scenario')
TLS = dict(zookeeper_client_tls=True, zookeeper_tls_lab_ca=True, zookeeper_tls_lab_ca_dir=LAB,
           zookeeper_metrics=False)
STATE = {}


def endpoint(name, port):
    return '[%s]:%d' % (ADDRESS[name], port)


def run(playbook, extra=None, grow=False, expect_rc=0):
    """ansible-playbook on the scenario's inventory, with extra vars; ``grow`` adds zk5 to the zookeeper group by
    a second inventory. Returns (output, {host: changed})."""
    args = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY]
    if grow:
        more = os.path.join(WORK, 'grow.json')
        with open(more, 'w') as f:
            json.dump(dict(zookeeper=dict(hosts={NEWCOMER: {}})), f)
        args += ['-i', more]
    if extra:
        path = os.path.join(WORK, 'vars.json')
        with open(path, 'w') as f:
            json.dump(extra, f)
        args += ['-e', '@' + path]
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_PIPELINING='True')
    cfg = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'ansible.cfg')
    if os.path.exists(cfg):
        env['ANSIBLE_CONFIG'] = cfg
    proc = subprocess.run(args + ['-e', 'ansible_become=false', playbook], env=env, capture_output=True, text=True,
                          timeout=1200, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == expect_rc, out[-8000:]
    recap = re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', out, re.M)
    return out, dict((m.group(1), int(m.group(2))) for m in recap)


class Writer:
    """Creates one znode after another through every member's IPv6 endpoint, keeping the paths acknowledged."""

    def __init__(self, hosts):
        self.zk = KazooClient(hosts=hosts, timeout=10)
        self.acked, self.stop, self.errors = [], threading.Event(), 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.zk.start(30)
        self.zk.ensure_path('/zkops-v6')
        self.thread.start()
        return self

    def _run(self):
        n = 0
        while not self.stop.is_set():
            path = '/zkops-v6/w%06d' % n
            try:
                self.zk.create(path, b'x')
                self.acked.append(path)
                n += 1
            except Exception:  # pylint: disable=broad-except
                self.errors += 1   # a member restarting under the session: tried again
                time.sleep(0.2)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)
        self.zk.stop()


def _count_missing(hosts, paths):
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(30)
    try:
        zk.sync('/zkops-v6')
        present = set(zk.get_children('/zkops-v6'))
        return [p for p in paths if p.rsplit('/', 1)[1] not in present]
    finally:
        zk.stop()


def test_the_status_playbook_shows_every_member_at_its_ipv6_address():
    out, _recap = run(os.path.join(ROOT, 'playbooks', 'status.yml'))
    for name in MEMBERS:
        assert re.search(r'"%s\s+\S+\s+(leader|follower|observer)\s' % re.escape(name), out), (name, out[-4000:])
    # The verdict names the leader by its bracketed IPv6 endpoint.
    assert re.search(r'"quorum, leader \[fd00:5a4b::[0-9a-f]+\]:2181, every member synced"', out), out[-4000:]


def test_a_backup_is_made_and_verified_by_a_restore():
    folder = os.path.join(WORK, 'backups')
    out, _recap = run(os.path.join(ROOT, 'playbooks', 'backup.yml'), dict(zookeeper_backup_dir=folder))
    archives = [f for f in os.listdir(folder) if f.endswith('.tar.gz')]
    assert len(archives) == 1, (os.listdir(folder), out[-4000:])
    with tarfile.open(os.path.join(folder, archives[0]), 'r:gz') as tar:
        manifest = json.loads(tar.extractfile('manifest.json').read())
    assert manifest['verified'] is True, manifest
    print('backup manifest: %s' % json.dumps(manifest, sort_keys=True)[:1500])


def test_client_tls_is_switched_on_member_by_member_under_a_writer():
    hosts = ','.join(endpoint(m, 2181) for m in MEMBERS)
    pids = dict((m, get_host(m).check_output('systemctl show -p MainPID --value zookeeper')) for m in MEMBERS)
    with Writer(hosts) as writer:
        time.sleep(2)
        out, changed = run(CONVERGE, TLS)
        time.sleep(2)
    assert all(changed[m] > 0 for m in MEMBERS), changed
    assert len(writer.acked) >= 100, (len(writer.acked), writer.errors)
    assert _count_missing(hosts, writer.acked) == []
    for m in MEMBERS:
        assert get_host(m).check_output('systemctl show -p MainPID --value zookeeper') != pids[m], m
    STATE['acked'] = writer.acked
    print('TLS switch: %d writes acknowledged and kept, %d retried' % (len(writer.acked), writer.errors))


def test_a_tls_client_verifies_the_ip_names_of_the_lab_certificates():
    for name in MEMBERS[:3]:
        zk = KazooClient(hosts=endpoint(name, 2281), use_ssl=True, verify_certs=True, ca=os.path.join(LAB, 'ca.crt'),
                         certfile=os.path.join(LAB, '%s.crt' % name), keyfile=os.path.join(LAB, '%s.key' % name))
        zk.start(30)
        try:
            assert zk.exists('/zkops-v6')
        finally:
            zk.stop()
        sans = subprocess.check_output(['openssl', 'x509', '-noout', '-ext', 'subjectAltName', '-in',
                                        os.path.join(LAB, '%s.crt' % name)], text=True)
        ips = [ipaddress.ip_address(ip) for ip in re.findall(r'IP Address:([0-9A-Fa-f:.]+)', sans)]
        assert ipaddress.ip_address(ADDRESS[name]) in ips, sans


def test_a_member_joins_by_reconfig_at_its_ipv6_address():
    out, changed = run(CONVERGE, TLS, grow=True)
    assert changed.get(NEWCOMER, 0) > 0, changed
    zk = KazooClient(hosts=','.join(endpoint(m, 2181) for m in MEMBERS), timeout=10)
    zk.start(30)
    try:
        config = zk.get('/zookeeper/config')[0].decode()
    finally:
        zk.stop()
    # ZooKeeper writes the address out in full: server.55=[fd00:5a4b:0:0:0:0:0:55]:2888:3888:participant;...
    joined = re.search(r'^server\.55=\[([0-9a-f:]+)\]:2888:3888:participant;', config, re.M)
    assert joined and ipaddress.ip_address(joined.group(1)) == ipaddress.ip_address('fd00:5a4b::55'), config
    newcomer = get_host(NEWCOMER)
    status = "bash -lc 'zkServer.sh status'"
    mode = wait_until(lambda: re.search(r'^Mode: (\S+)', newcomer.run(status).stdout, re.M), 60)
    assert mode and mode.group(1) == 'follower', newcomer.run(status).stdout
    assert _count_missing('[fd00:5a4b::55]:2181', STATE.get('acked', [])) == []


def test_the_rerun_changes_nothing():
    _out, changed = run(CONVERGE, TLS, grow=True)
    assert set(changed.values()) == {0}, changed

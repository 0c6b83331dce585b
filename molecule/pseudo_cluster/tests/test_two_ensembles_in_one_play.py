"""Two ensembles in one play (a fleet): zk_a on zk-pseudo and zk_b on zk-pseudo-b, three instances each with ids 1-3,
every run of the role one play over both (hosts: zookeeper; each host's zookeeper_ensemble_group names its own).

A change restarts both under a writer on each while a watcher counts the members of each ensemble that do not serve;
then zk_a is broken on purpose (a JVM flag its servers refuse) while zk_b gets a valid change: zk_b finishes, zk_a stops
with its quorum and says why; the status and backup playbooks cover both; the repaired run finishes zk_a and the rerun
changes nothing. The writers and the watcher run on the docker host, against the containers' addresses."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from kazoo.client import KazooClient

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
CONVERGE = os.path.join(ROOT, 'molecule', 'shared', 'converge.yml')
WORK = tempfile.mkdtemp(prefix='zkops-fleet-')
ENSEMBLES = {'zk_a': 'zk-pseudo', 'zk_b': 'zk-pseudo-b'}
PORTS = (2181, 2182, 2183)


def address(name):
    return subprocess.check_output(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
                                    name], text=True).strip()


def hosts_of(group):
    return ','.join('%s:%d' % (address(ENSEMBLES[group]), p) for p in PORTS)


def run(playbook=CONVERGE, extra=None, host_vars=None, expect_rc=0):
    args = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY]
    if host_vars:
        more = os.path.join(WORK, 'host_vars.json')
        with open(more, 'w') as f:
            json.dump(dict(all=dict(hosts=host_vars)), f)
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
    if expect_rc is not None:
        assert proc.returncode == expect_rc, out[-8000:]
    recap = dict((m.group(1), (int(m.group(2)), int(m.group(3))))
                 for m in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', out, re.M))
    return out, recap


def srvr_mode(host, port):
    """The member's mode; 'not-serving' when it answers without one (an election), 'down' when its port refuses the
    connection (its process is stopped or restarting), None when it does not answer in time."""
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b'srvr')
            data = b''
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except ConnectionRefusedError:
        return 'down'
    except OSError:
        return None
    match = re.search(rb'^Mode: (\S+)', data, re.M)
    return match.group(1).decode() if match else ('not-serving' if data else None)


class Watch:
    """Polls srvr on every instance of both ensembles; keeps, per ensemble, the most members seen down at once (not
    answering: stopped or restarting; an election after the leader's restart leaves members up but not serving), and
    per ensemble writes through a kazoo client, keeping the acknowledged paths."""

    def __init__(self):
        self.stop = threading.Event()
        self.worst = dict((g, 0) for g in ENSEMBLES)
        self.acked = dict((g, []) for g in ENSEMBLES)
        self.threads = [threading.Thread(target=self._watch, daemon=True)] + [
            threading.Thread(target=self._write, args=(g,), daemon=True) for g in ENSEMBLES]

    def __enter__(self):
        self.addresses = dict((g, address(h)) for g, h in ENSEMBLES.items())
        for t in self.threads:
            t.start()
        time.sleep(2)
        return self

    def _watch(self):
        while not self.stop.is_set():
            for group, ip in self.addresses.items():
                down = sum(1 for p in PORTS if srvr_mode(ip, p) == 'down')
                self.worst[group] = max(self.worst[group], down)
            time.sleep(0.2)

    def _write(self, group):
        zk = KazooClient(hosts=hosts_of(group), timeout=10)
        zk.start(30)
        zk.ensure_path('/fleet')
        n = 0
        while not self.stop.is_set():
            path = '/fleet/%s-%06d' % (group, n)
            try:
                zk.create(path, group.encode())
                self.acked[group].append(path)
                n += 1
            except Exception:  # pylint: disable=broad-except
                time.sleep(0.2)
            time.sleep(0.05)
        zk.stop()

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def kept(group, paths):
    zk = KazooClient(hosts=hosts_of(group), timeout=10)
    zk.start(30)
    try:
        zk.sync('/fleet')
        present = set(zk.get_children('/fleet'))
        return [p for p in paths if p.rsplit('/', 1)[1] not in present], present
    finally:
        zk.stop()


def zoo_cfg(host, zk_id=1):
    return subprocess.check_output(['docker', 'exec', host, 'cat', '/etc/zookeeper/conf_zkops/%d/zoo.cfg' % zk_id],
                                   text=True)


def main_pids(host):
    return [subprocess.check_output(['docker', 'exec', host, 'systemctl', 'show', '-p', 'MainPID', '--value',
                                     'zookeeper-%d' % i], text=True).strip() for i in (1, 2, 3)]


def test_the_ensembles_are_two_with_the_same_ids():
    for group in ENSEMBLES:
        zk = KazooClient(hosts=hosts_of(group), timeout=10)
        zk.start(30)
        try:
            config = zk.get('/zookeeper/config')[0].decode()
            assert sorted(re.findall(r'^server\.(\d+)=127\.0\.0\.1:', config, re.M)) == ['1', '2', '3'], config
            zk.ensure_path('/only-in-%s' % group)
        finally:
            zk.stop()
    for group, other in (('zk_a', 'zk_b'), ('zk_b', 'zk_a')):
        zk = KazooClient(hosts=hosts_of(other), timeout=10)
        zk.start(30)
        try:
            assert zk.exists('/only-in-%s' % group) is None
        finally:
            zk.stop()


def test_a_change_restarts_both_one_member_at_a_time_under_writers():
    before = dict((h, main_pids(h)) for h in ENSEMBLES.values())
    with Watch() as watch:
        _out, recap = run(extra=dict(zookeeper_extra_config=dict(maxSessionTimeout=50000)))
        time.sleep(2)
    for group, host in ENSEMBLES.items():
        assert recap[host][0] > 0 and recap[host][1] == 0, recap
        assert 'maxSessionTimeout=50000' in zoo_cfg(host)
        assert all(a != b for a, b in zip(main_pids(host), before[host])), (host, before[host], main_pids(host))
        assert watch.worst[group] <= 1, watch.worst
        assert len(watch.acked[group]) >= 20, (group, len(watch.acked[group]))
        lost, present = kept(group, watch.acked[group])
        assert lost == [], (group, lost[:5])
        # Each writer wrote into its own ensemble only.
        assert not [p for p in present if not p.startswith(group)], group
    print('fleet change: worst members down at once %s; acknowledged %s'
          % (watch.worst, dict((g, len(a)) for g, a in watch.acked.items())))


def test_a_broken_ensemble_stops_alone_and_keeps_its_quorum_while_the_other_finishes():
    bad = {'zk-pseudo': dict(zookeeper_jvm_flags=['-XX:+ZkopsNoSuchFlag'],
                             zookeeper_extra_config=dict(maxSessionTimeout=50000)),
           'zk-pseudo-b': dict(zookeeper_extra_config=dict(maxSessionTimeout=60000))}
    out, recap = run(host_vars=bad, expect_rc=2)
    assert recap['zk-pseudo'][1] == 1 and recap['zk-pseudo-b'][1] == 0, (recap, out[-6000:])
    assert 'ZkopsNoSuchFlag' in out and 'Rolling restart stopped' in out, out[-6000:]
    assert 'maxSessionTimeout=60000' in zoo_cfg('zk-pseudo-b')
    # zk_b restarted every member and serves; zk_a lost one member at most and kept its quorum.
    ip_a, ip_b = address('zk-pseudo'), address('zk-pseudo-b')
    assert sorted(str(srvr_mode(ip_b, p)) for p in PORTS) == ['follower', 'follower', 'leader']
    modes_a = [srvr_mode(ip_a, p) for p in PORTS]
    assert sum(m in ('leader', 'follower') for m in modes_a) == 2, modes_a
    # Repaired, the next run finishes zk_a and leaves zk_b alone.
    fixed = {'zk-pseudo': dict(zookeeper_extra_config=dict(maxSessionTimeout=50000)),
             'zk-pseudo-b': dict(zookeeper_extra_config=dict(maxSessionTimeout=60000))}
    _out, recap = run(host_vars=fixed)
    assert recap['zk-pseudo'][0] > 0 and recap['zk-pseudo-b'][0] == 0, recap
    assert sorted(str(srvr_mode(ip_a, p)) for p in PORTS) == ['follower', 'follower', 'leader']


def test_status_prints_one_table_per_ensemble_and_backup_one_archive_each():
    out, _recap = run(os.path.join(ROOT, 'playbooks', 'status.yml'), extra=dict(zookeeper_ensembles='zookeeper'))
    assert out.count('quorum, leader 127.0.0.1:218') == 2, out[-6000:]
    folder = os.path.join(WORK, 'backups')
    out, _recap = run(os.path.join(ROOT, 'playbooks', 'backup.yml'),
                      extra=dict(zookeeper_ensembles='zookeeper', zookeeper_backup_dir=folder))
    archives = sorted(os.listdir(folder))
    assert [a.split('-')[0] for a in archives if a.endswith('.tar.gz')] == ['zk_a', 'zk_b'], archives


def test_a_restore_that_names_no_ensemble_is_refused_with_several_in_play():
    out, _recap = run(os.path.join(ROOT, 'playbooks', 'restore.yml'),
                      extra=dict(zookeeper_restore_archive='/nonexistent.tar.gz'), expect_rc=2)
    assert 'several ensembles' in out and 'zk_a' in out and 'zk_b' in out, out[-4000:]


def test_the_rerun_over_both_changes_nothing():
    fixed = {'zk-pseudo': dict(zookeeper_extra_config=dict(maxSessionTimeout=50000)),
             'zk-pseudo-b': dict(zookeeper_extra_config=dict(maxSessionTimeout=60000))}
    _out, recap = run(host_vars=fixed)
    assert [c for c, _f in recap.values()] == [0, 0], recap


@pytest.mark.parametrize('case, words', [
    # One host in the groups of both ensembles (its own variable still names zk_a).
    ({'all': {'children': {'zk_b': {'hosts': {'zk-pseudo': {'zookeeper_ensemble_group': 'zk_a'}}}}}},
     ["Host zk-pseudo", "'zk_a' and 'zk_b'"]),
])
def test_a_host_in_two_ensembles_is_refused_before_anything_changes(case, words):
    more = os.path.join(WORK, 'twice.json')
    with open(more, 'w') as f:
        json.dump(case, f)
    args = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY, '-i', more,
            '-e', 'ansible_become=false', CONVERGE]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and 'changed=0' in out and not re.search(r'changed=[1-9]', out), out[-6000:]
    for word in words:
        assert word in out, out[-6000:]

"""zk_backup and zk_restore against real ZooKeeper servers on loopback.

- A backup taken from a member of a 3-server ensemble while a client writes is consistent to a zxid, verified by a
  throwaway restore, and restores into a new server with every znode acknowledged before that zxid (data and ACL).
- Generated corruptions of an archive (a byte changed in any file, a file cut short, a log removed, a manifest
  edited, the archive cut) are each refused, naming the file; nothing is placed.
- A restore moves the old data aside (never deletes it); a rerun with the same stamp changes nothing.
- Retention keeps the newest N; check mode writes nothing.
"""
import grp
import io
import pwd
import json
import os
import random
import shutil
import tarfile
import tempfile
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from module_process import run_module_process
from zkharness import ZK_JAR, LOG_JAR, Ensemble, free_ports, Server

CLASSPATH = [ZK_JAR, LOG_JAR]
AUTH = [('digest', 'app:pw')]


def walk(zk, path='/'):
    """Every znode under path (but /zookeeper) with its data and ACL."""
    out = {}
    for child in zk.get_children(path):
        full = (path.rstrip('/') + '/' + child)
        if full == '/zookeeper':
            continue
        data, stat = zk.get(full)
        if stat.ephemeralOwner:
            continue
        acl = sorted((a.perms, a.id.scheme, a.id.id) for a in zk.get_acls(full)[0])
        out[full] = (data, acl)
        out.update(walk(zk, full))
    return out


class Writer(threading.Thread):
    """Creates /w/<n> sequentially and records the zxid of every acknowledged create."""

    def __init__(self, hosts):
        super().__init__(daemon=True)
        self.zk = KazooClient(hosts, timeout=10)
        self.zk.start()
        self.zk.ensure_path('/w')
        self.acked = []
        self.stop_event = threading.Event()

    def run(self):
        n = 0
        while not self.stop_event.is_set():
            path = '/w/%06d' % n
            self.zk.create(path, b'v%d' % n)
            self.acked.append((path, self.zk.exists(path).czxid))
            n += 1

    def finish(self):
        self.stop_event.set()
        self.join(30)
        self.zk.stop()


@pytest.fixture(scope='module')
def source():
    """A 3-participant ensemble with a tree of nodes, data and ACLs."""
    ens = Ensemble(participants=3).start()
    zk = KazooClient(ens.hosts)
    zk.start()
    rng = random.Random(7)
    acl = make_digest_acl('app', 'pw', all=True)
    for i in range(300):
        path = '/t/%d/%d' % (i % 7, i)
        zk.ensure_path('/t/%d' % (i % 7))
        zk.create(path, bytes(rng.getrandbits(8) for dummy in range(rng.randint(0, 300))),
                  acl=[acl] if i % 5 == 0 else None)
    zk.stop()
    yield ens
    ens.destroy()


@pytest.fixture(scope='module')
def backup(source, tmp_path_factory):
    """One backup from a follower, taken while a client writes."""
    dest = str(tmp_path_factory.mktemp('backups'))
    writer = Writer(source.hosts)
    writer.start()
    time.sleep(1.0)
    follower = [s for s in source.servers if s.mode() == 'follower'][0]
    result = run_module_process('zk_backup', dict(data_dir=follower.data_dir, dest=dest, classpath=CLASSPATH,
                                                  source=dict(id=follower.myid)))
    time.sleep(0.5)
    writer.finish()
    assert not result.get('failed'), result
    return dict(result, writer=writer, dest=dest)


def start_from(files_dir_maker):
    """A new standalone server on loopback whose dataDir is prepared by files_dir_maker(data_dir)."""
    root = tempfile.mkdtemp(prefix='zkrestore-')
    srv = Server(root, 1, free_ports(1)[0])
    srv.write_config([])
    files_dir_maker(srv)
    srv.start()
    deadline = time.time() + 60
    while srv.mode() != 'standalone' and time.time() < deadline:
        time.sleep(0.2)
    return srv, root


def test_backup_is_consistent_and_verified(backup):
    m = backup['manifest']
    assert m['verified'] is True
    assert m['zookeeper_version'].startswith('3.')
    assert m['node_count'] > 300
    assert os.path.getsize(backup['archive']) == backup['size']
    zxid = int(m['zxid'], 16)
    acked = [z for p, z in backup['writer'].acked]
    # Taken under load: some writes before it, some after.
    assert acked[0] < zxid < acked[-1], (hex(acked[0]), m['zxid'], hex(acked[-1]))
    assert 'zxid %s' % m['zxid'] in backup['summary']
    for name, entry in m['files'].items():
        assert name.startswith('version-2/') and len(entry['sha256']) == 64


def test_restore_into_a_new_server_has_every_acknowledged_node(source, backup, tmp_path):
    zk = KazooClient(source.hosts, auth_data=AUTH)
    zk.start()
    live = walk(zk)
    zk.stop()
    srv, root = start_from(lambda s: run_module_process('zk_restore', dict(
        state='restored', archive=backup['archive'], data_dir=s.data_dir, stamp='t1')))
    try:
        assert srv.mode() == 'standalone', open(srv.log).read()[-2000:]
        status = srv_status(srv)
        assert int(status['zxid'], 16) >= int(backup['manifest']['zxid'], 16)
        zk = KazooClient(srv.address, auth_data=AUTH)
        zk.start()
        restored = walk(zk)
        zk.stop()
        zxid = int(backup['manifest']['zxid'], 16)
        before = [p for p, z in backup['writer'].acked if z <= zxid]
        after = [p for p, z in backup['writer'].acked if z > zxid]
        assert before and after
        assert all(p in restored for p in before)
        assert not any(p in restored for p in after)
        # The static tree (data and ACLs) is the source's.
        assert dict((k, v) for k, v in restored.items() if k.startswith('/t')) == \
            dict((k, v) for k, v in live.items() if k.startswith('/t'))
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def srv_status(srv):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status
    return server_status('127.0.0.1', srv.client_port, 2.0)


def test_restore_moves_old_data_aside_and_rerun_changes_nothing(backup, tmp_path):
    data = tmp_path / 'data'
    conf = tmp_path / 'conf'
    (data / 'version-2').mkdir(parents=True)
    conf.mkdir()
    (data / 'version-2' / 'log.5').write_bytes(b'old log')
    (data / 'myid').write_text('4\n')
    (conf / 'zoo.cfg').write_text('dataDir=%s\n' % data)
    (conf / 'zoo.cfg.dynamic.100000000').write_text('server.4=a:1:2\n')
    (conf / 'java.args').write_text('keep me')
    args = dict(state='restored', archive=backup['archive'], data_dir=str(data), conf_dir=str(conf), stamp='s1',
                owner='nobody', group='nogroup')
    check = run_module_process('zk_restore', args, check=True)
    assert check['changed'] and (data / 'version-2' / 'log.5').exists() and not (data / 'pre-restore-s1').exists()
    first = run_module_process('zk_restore', args)
    assert first['changed'], first
    aside = data / 'pre-restore-s1'
    assert (aside / 'data' / 'version-2' / 'log.5').read_bytes() == b'old log'
    assert (aside / 'conf' / 'zoo.cfg').exists() and (aside / 'conf' / 'zoo.cfg.dynamic.100000000').exists()
    assert (conf / 'java.args').read_text() == 'keep me' and (data / 'myid').read_text() == '4\n'
    assert not (conf / 'zoo.cfg').exists()
    assert sorted(os.listdir(data / 'version-2')) == sorted(n.split('/')[1] for n in backup['manifest']['files'])
    # The server's user owns what it must read (ZooKeeper takes an unreadable snapshot for none).
    for path in [data / 'version-2'] + list((data / 'version-2').iterdir()):
        assert (pwd.getpwuid(path.stat().st_uid).pw_name, grp.getgrgid(path.stat().st_gid).gr_name) == ('nobody', 'nogroup')
    second = run_module_process('zk_restore', args)
    assert not second['changed'], second
    assert (aside / 'data' / 'version-2' / 'log.5').read_bytes() == b'old log'


def _rewrite(archive, out, change):
    """Copy an archive, passing every member through change(name, bytes) -> bytes or None (dropped)."""
    with tarfile.open(archive, 'r:gz') as src, tarfile.open(out, 'w:gz') as dst:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


CORRUPTION = st.sampled_from(['flip', 'truncate', 'drop', 'manifest_sha', 'cut_archive'])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=CORRUPTION, pick=st.integers(min_value=0, max_value=10 ** 6), where=st.floats(0, 0.999))
def test_corrupt_backup_is_refused_naming_the_file(backup, tmp_path, kind, pick, where):
    with tarfile.open(backup['archive'], 'r:gz') as tar:
        names = [m.name for m in tar if m.name != 'manifest.json']
    if kind == 'drop':
        names = [n for n in names if '/log.' in n] or names
    victim = names[pick % len(names)]
    work = tempfile.mkdtemp(dir=str(tmp_path))
    out = os.path.join(work, 'bad.tar.gz')

    def change(name, data):
        if kind == 'manifest_sha' and name == 'manifest.json':
            m = json.loads(data)
            m['files'][victim]['sha256'] = '0' * 64
            return json.dumps(m).encode()
        if name != victim:
            return data
        if kind == 'flip':
            i = int(where * len(data))
            return data[:i] + bytes([data[i] ^ 0x5a]) + data[i + 1:]
        if kind == 'truncate':
            return data[:int(where * len(data))]
        if kind == 'drop':
            return None
        return data

    if kind == 'cut_archive':
        raw = open(backup['archive'], 'rb').read()
        open(out, 'wb').write(raw[:max(10, int(where * len(raw)))])
        expect = 'truncated or damaged'
    else:
        _rewrite(backup['archive'], out, change)
        expect = victim
    data = tmp_path / os.path.basename(work) / 'data'
    data.mkdir()
    checked = run_module_process('zk_restore', dict(archive=out))
    assert checked.get('failed') and expect in checked['msg'], (kind, victim, checked['msg'])
    placed = run_module_process('zk_restore', dict(state='restored', archive=out, data_dir=str(data), stamp='x'))
    assert placed.get('failed') and not (data / 'version-2').exists() and not (data / 'pre-restore-x').exists()


def test_newer_line_is_refused_same_or_older_accepted(backup):
    m = dict(backup['manifest'])
    ours = m['zookeeper_version']
    major, minor = ours.split('.')[:2]
    ok = run_module_process('zk_restore', dict(manifest=dict(m, zookeeper_version='%s.%d.0' % (major, int(minor) - 1)),
                                               classpath=CLASSPATH))
    assert not ok.get('failed') and ok['zookeeper_version'] == ours, ok
    newer = run_module_process('zk_restore', dict(manifest=dict(m, zookeeper_version='%s.%d.1' % (major, int(minor) + 1)),
                                                  classpath=CLASSPATH))
    assert newer.get('failed') and 'newer line' in newer['msg']


def test_retention_and_check_mode(source, tmp_path):
    server = source.servers[0]
    dest = str(tmp_path / 'keep')
    check = run_module_process('zk_backup', dict(data_dir=server.data_dir, dest=dest, classpath=CLASSPATH), check=True)
    assert check['changed'] and not os.path.exists(dest) and check['manifest']['zxid'].startswith('0x')
    made = []
    for dummy in range(3):
        r = run_module_process('zk_backup', dict(data_dir=server.data_dir, dest=dest, classpath=CLASSPATH, keep=2,
                                                 verify=False))
        assert not r.get('failed'), r
        assert r['manifest']['verified'] is False and r['manifest']['node_count'] is None
        made.append(r['archive'])
        time.sleep(1.1)
    assert sorted(os.listdir(dest)) == sorted(os.path.basename(a) for a in made[-2:])
    pruned = run_module_process('zk_backup', dict(state='pruned', dest=dest, keep=1))
    assert pruned['changed'] and pruned['removed'] == [made[-2]]
    assert os.listdir(dest) == [os.path.basename(made[-1])]


def test_server_info_scan_logs_reads_the_last_zxid(source):
    srv = source.servers[1]
    zk = KazooClient(source.hosts)
    zk.start()
    zk.create('/scan-marker', b'x')
    zk.stop()
    info = run_module_process('zk_server_info', dict(scan_logs=True, instances=[dict(
        name='s', config=srv.cfg, data_dir=srv.data_dir, client=srv.address)]))
    inst = info['instances'][0]
    assert inst['data_problems'] == []
    assert int(inst['logged_zxid'], 16) == int(inst['zxid'], 16)


def test_check_with_verify_loads_the_backup_on_this_hosts_zookeeper(backup):
    result = run_module_process('zk_restore', dict(archive=backup['archive'], classpath=CLASSPATH, verify=True))
    assert not result.get('failed'), result
    assert hex(result['loaded']['zxid']) == backup['manifest']['zxid']
    assert result['loaded']['node_count'] == backup['manifest']['node_count']

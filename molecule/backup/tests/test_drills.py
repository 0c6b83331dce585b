"""Backup, restore and recovery drills on a live 3-member ensemble (ids 201, 12, 47), in order.

1. A backup under a writer: consistent to a zxid between the leader's before and after, verified by a
   restore on loopback; a second one (unverified, --skip-tags verify) and retention.
2. Total loss of every dataDir: the restore brings back every znode acknowledged up to the backup's zxid
   (none after), the whole tree equals the backup's (data, ACLs, czxids), one leader, old configuration
   aside, a rerun changes nothing.
3. A restore over the healthy ensemble, and a recovery while the quorum serves, are refused: nothing changes.
4. Corrupt backups (a byte changed, a log removed, the archive cut) are refused, naming the file.
5. Two members lose their disks and hosts, the quorum is gone; recover rebuilds from the survivor, chosen
   at random: every znode it held is on every member, it leads, the replaced members joined and never led.
"""
import io
import os
import random
import re
import shutil
import subprocess
import tarfile
import tempfile
import time

import pytest
from drill import (CLIENT, HOSTS, MEMBERS, PLAYBOOKS, SHARED, acked, backup_tree, data_files, host, install_client_files,
                   leader, main_pid, manifest_of, mode, playbook, recap_changed, srvr, start_writer, stop_writer,
                   walk)

STATE = {}
BACKUPS = tempfile.mkdtemp(prefix='drill-backups-')
CONVERGE = os.path.join(SHARED, 'converge.yml')


@pytest.fixture(scope='module', autouse=True)
def client_files():
    install_client_files()
    host(CLIENT).check_output('python3 /root/zk_tree.py seed %s 600' % HOSTS)
    yield
    shutil.rmtree(BACKUPS, ignore_errors=True)


def archives_in(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith('.tar.gz'))


def zxid(name):
    value = srvr(name, 'Zxid')
    return int(value, 16) if value else None


def test_1_backup_under_load_is_consistent_verified_and_kept():
    start_writer()
    lead = leader()
    before = (zxid(lead), int(srvr(lead, 'Node count')))
    out = playbook(os.path.join(PLAYBOOKS, 'backup.yml'), '-e', 'zookeeper_backup_dir=%s' % BACKUPS)
    after = (zxid(lead), int(srvr(lead, 'Node count')))
    archives = archives_in(BACKUPS)
    assert len(archives) == 1, archives
    archive = os.path.join(BACKUPS, archives[0])
    m = manifest_of(archive)
    print('=== backup: %s' % {k: m[k] for k in ('zxid', 'node_count', 'zookeeper_version', 'created')})
    assert before[0] <= int(m['zxid'], 16) <= after[0], (before, m['zxid'], after)
    assert before[1] <= m['node_count'] <= after[1], (before, m['node_count'], after)
    assert m['verified'] is True and 'verified in' in out
    assert m['source']['mode'] == 'follower' and m['source']['host'] in MEMBERS
    assert sorted(s['id'] for s in m['source']['ensemble']) == [12, 47, 201]
    assert 'zxid %s, %d nodes' % (m['zxid'], m['node_count']) in out
    STATE['archive'] = shutil.copy(archive, tempfile.mkdtemp(prefix='drill-first-'))
    STATE['manifest'] = m
    # Every member's metrics say when the ensemble last had a verified backup: the marker the backup left.
    scrape = ("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:7000/metrics', timeout=5)"
              ".read().decode())")
    marked = {}
    for h in MEMBERS:
        assert host(h).file('/etc/zookeeper/conf_zkops/zkops-last-backup').content_string.strip() == archives[0]
        found = re.search(r'^zkops_last_backup_timestamp_seconds ([0-9.e+]+)$',
                          host(h).check_output('python3 -c "%s"' % scrape), re.M)
        assert found, h
        marked[h] = float(found.group(1))
    assert max(marked.values()) - min(marked.values()) < 60 and abs(max(marked.values()) - time.time()) < 900, marked
    # A second backup, unverified, and retention keeps the newest one only.
    playbook(os.path.join(PLAYBOOKS, 'backup.yml'), '-e', 'zookeeper_backup_dir=%s' % BACKUPS,
             '-e', 'zookeeper_backup_keep=1', '--skip-tags', 'verify')
    kept = archives_in(BACKUPS)
    assert len(kept) == 1 and kept[0] != archives[0], (archives, kept)
    second = manifest_of(os.path.join(BACKUPS, kept[0]))
    assert second['verified'] is False and int(second['zxid'], 16) > int(m['zxid'], 16)
    # Nothing is left behind on the members.
    for h in MEMBERS:
        assert host(h).check_output('ls -A /var/backups/zookeeper 2>/dev/null || true').strip() == '', h
    # Check mode says what a backup would hold and writes nothing anywhere.
    out = playbook(os.path.join(PLAYBOOKS, 'backup.yml'), '-e', 'zookeeper_backup_dir=%s' % BACKUPS, '--check')
    assert 'would back up zxid 0x' in out and archives_in(BACKUPS) == kept
    # Kept on an inventory host instead of the controller, with its own retention.
    for dummy in range(2):
        playbook(os.path.join(PLAYBOOKS, 'backup.yml'), '-e', 'zookeeper_backup_dir=%s' % BACKUPS,
                 '-e', 'zookeeper_backup_host=%s' % CLIENT, '-e', 'zookeeper_backup_keep=1', '--skip-tags', 'verify')
    on_host = host(CLIENT).check_output('ls -1 /var/backups/zookeeper').split()
    assert len(on_host) == 1 and on_host[0].endswith('.tar.gz'), on_host
    assert archives_in(BACKUPS) == kept   # nothing more on the controller (its staging copy is removed)


def test_2_total_loss_then_restore_brings_back_the_backup():
    stop_writer()
    live = walk()
    acked_paths = acked()
    zx = int(STATE['manifest']['zxid'], 16)
    before = [p for p in acked_paths if live[p][2] <= zx]
    after = [p for p in acked_paths if live[p][2] > zx]
    assert before and after, 'the backup was not taken under load'
    for h in MEMBERS:
        host(h).check_output('systemctl stop zookeeper && rm -rf /var/lib/zookeeper/* && ls -A /var/lib/zookeeper')
    # The archive given relative to where ansible-playbook runs, as an operator types it.
    out = playbook(os.path.join(PLAYBOOKS, 'restore.yml'), '-e',
                   'zookeeper_restore_archive=%s' % os.path.basename(STATE['archive']),
                   cwd=os.path.dirname(STATE['archive']))
    assert 'Rebuilt from' in out
    modes = dict((h, mode(h)) for h in MEMBERS)
    assert sorted(modes.values()) == ['follower', 'follower', 'leader'], modes
    restored = walk()
    assert all(p in restored for p in before), [p for p in before if p not in restored][:5]
    assert not any(p in restored for p in after)
    expected = backup_tree(STATE['archive'])
    assert restored == expected, sorted(set(restored) ^ set(expected))[:10]
    # Every member answers with the same tree, and the seeded ACL'd tree is there.
    assert sum(1 for p in restored if p.startswith('/tree/') and p.count('/') == 3) == 600
    for h in MEMBERS:
        assert walk('%s:2181' % h) == restored, h
        aside = host(h).check_output('ls -d /var/lib/zookeeper/pre-restore-*').split()
        assert len(aside) == 1 and host(h).file(aside[0] + '/conf/zoo.cfg').exists, (h, aside)
    again = playbook(CONVERGE)
    assert set(recap_changed(again).values()) == {0}, recap_changed(again)


def test_3_restore_over_a_healthy_ensemble_and_recover_with_a_quorum_are_refused():
    pids = dict((h, main_pid(h)) for h in MEMBERS)
    files = dict((h, data_files(h)) for h in MEMBERS)
    out = playbook(os.path.join(PLAYBOOKS, 'restore.yml'), '-e', 'zookeeper_restore_archive=%s' % STATE['archive'],
                   expect_rc=2)
    assert 'Refused before anything changed' in out and 'holds data' in out and STATE['manifest']['zxid'] in out
    out = playbook(os.path.join(PLAYBOOKS, 'recover.yml'), expect_rc=2)
    assert 'a quorum still serves' in out
    assert dict((h, main_pid(h)) for h in MEMBERS) == pids
    assert dict((h, data_files(h)) for h in MEMBERS) == files


def _rewrite(archive, change):
    out = os.path.join(tempfile.mkdtemp(prefix='drill-bad-'), os.path.basename(archive))
    with tarfile.open(archive, 'r:gz') as src, tarfile.open(out, 'w:gz') as dst:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            if data is not None:
                info = tarfile.TarInfo(member.name)
                info.size = len(data)
                dst.addfile(info, io.BytesIO(data))
    return out


def test_4_corrupt_backups_are_refused_naming_the_file():
    archive = STATE['archive']
    names = sorted(STATE['manifest']['files'])
    logs = [n for n in names if '/log.' in n]
    snap = [n for n in names if '/snapshot.' in n][0]
    flipped = random.choice(names)

    def flip(name, data):
        if name != flipped:
            return data
        i = random.randrange(len(data))
        return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]

    cases = [(_rewrite(archive, flip), flipped),
             (_rewrite(archive, lambda n, d: None if n == logs[-1] else d), logs[-1]),
             (_rewrite(archive, lambda n, d: d[:len(d) // 2] if n == snap else d), snap)]
    cut = os.path.join(tempfile.mkdtemp(prefix='drill-cut-'), 'cut.tar.gz')
    with open(archive, 'rb') as f, open(cut, 'wb') as g:
        g.write(f.read()[:os.path.getsize(archive) * 2 // 3])
    cases.append((cut, 'truncated or damaged'))
    pids = dict((h, main_pid(h)) for h in MEMBERS)
    for bad, named in cases:
        out = playbook(os.path.join(PLAYBOOKS, 'restore.yml'), '-e', 'zookeeper_restore_archive=%s' % bad,
                       '-e', 'zookeeper_restore_force=true', expect_rc=2)
        assert 'is refused' in out and named in out, (named, out[-3000:])
    assert dict((h, main_pid(h)) for h in MEMBERS) == pids


def _replace_host(name):
    """The host loses its disk: ZooKeeper's data, configuration and unit are gone (a new host)."""
    host(name).check_output('systemctl disable --now zookeeper && rm -rf /var/lib/zookeeper/* /etc/zookeeper/conf_zkops '
                            '/etc/systemd/system/zookeeper.service && systemctl daemon-reload')


def test_5_quorum_lost_for_good_is_recovered_from_the_survivor():
    host(CLIENT).check_output('python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'%s\'); z.start(30); '
                              '[z.create(\'/before-loss-%d/n%%d\' %% i, b\'x\', makepath=True) for i in range(100)]; '
                              'z.stop()"' % (HOSTS, random.randrange(10 ** 9)))
    survivor = random.choice(MEMBERS)
    lost = [h for h in MEMBERS if h != survivor]
    tree = walk('%s:2181' % survivor)
    held = zxid(survivor)
    print('=== survivor %s at zxid 0x%x; lost %s' % (survivor, held, lost))
    for h in lost:
        _replace_host(h)
    subprocess.run(['docker', 'stop'] + lost, check=True, capture_output=True)
    assert mode(survivor) != 'leader' and srvr(survivor, 'Zxid') is None
    # The lost hosts come back as new, empty hosts (names in /etc/hosts, as a site's DNS would give them).
    subprocess.run(['docker', 'start'] + lost, check=True, capture_output=True)
    playbook(os.path.join(SHARED, 'prepare.yml'), '--limit', ','.join(MEMBERS + [CLIENT]))
    since = dict((h, host(h).check_output('date +%s').strip()) for h in lost)
    out = playbook(os.path.join(PLAYBOOKS, 'recover.yml'))
    assert '%s wins: its files replay to zxid 0x%x' % (survivor, held) in out, out[-4000:]
    assert leader() == survivor
    for h in MEMBERS:
        assert walk('%s:2181' % h) == tree, h
        assert mode(h) in ('leader', 'follower')
    for h in lost:
        journal = host(h).check_output('journalctl -u zookeeper --since @%s --no-pager -o cat '
                                       '| grep -c "Peer state changed: leading" || true' % since[h])
        assert journal.strip() == '0', '%s led' % h
    assert host(survivor).check_output('ls -d /var/lib/zookeeper/pre-restore-*/data/version-2').strip()
    again = playbook(CONVERGE)
    assert set(recap_changed(again).values()) == {0}, recap_changed(again)

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZooKeeper's data files (dataDir/version-2), read without ZooKeeper: backups, their checks, recovery.

The formats (ZooKeeper 3.5-3.9, org.apache.zookeeper.server.persistence):
 - transaction log ``log.<first zxid hex>``: a header (magic ``ZKLG``, int version, long dbid), then
   entries ``long adler32, int length, byte[length] txn, byte 'B'``; the rest of the file is
   preallocated zeros (a length of 0 ends the log). A txn starts with its TxnHeader
   ``long clientId, int cxid, long zxid, long time, int type``. Big-endian throughout.
 - snapshot ``snapshot.<zxid hex>``: magic ``ZKSN`` ..., sealed by ``long adler32`` of everything
   before it and the string ``"/"`` (``int 1, '/'``); a snapshot without the seal is incomplete.
 - a server needs the newest complete snapshot, the log that starts at or before its zxid and every
   later log (zookeeperAdmin.md, "Data File Management"; FileTxnLog.getLogFiles).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import struct
import subprocess
import tarfile
import tempfile
import time
import zlib

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status

LOG_MAGIC = b'ZKLG'
SNAP_MAGIC = b'ZKSN'
SEAL = b'\x00\x00\x00\x01/'
_ENTRY_HEAD = struct.Struct('>qi')      # crc, length
_TXN_HEAD = struct.Struct('>qiqqi')     # clientId, cxid, zxid, time, type
CHUNK = 1 << 20


def zxid_hex(zxid):
    return None if zxid is None else '0x%x' % zxid


def epoch_counter(zxid):
    return zxid >> 32, zxid & 0xffffffff


def name_zxid(name, prefix):
    """The zxid in a file name (``log.1a``, ``snapshot.1a``, ``snapshot.1a.gz``), or None."""
    parts = name.split('.')
    if len(parts) < 2 or parts[0] != prefix:
        return None
    try:
        return int(parts[1], 16)
    except ValueError:
        return None


def scan_log(path):
    """Read a transaction log. Returns dict(first, last, count, end, dbid, problem): ``end`` is the offset
    just after the last whole, checksummed entry; ``problem`` says why reading stopped early (None when the
    log ends cleanly: end of file, or the preallocated zeros)."""
    out = dict(first=None, last=None, count=0, end=0, dbid=None, problem=None)
    with open(path, 'rb') as f:
        head = f.read(16)
        if len(head) < 16 or head[:4] != LOG_MAGIC:
            out['problem'] = 'not a ZooKeeper transaction log (no ZKLG header)'
            return out
        out['dbid'] = struct.unpack('>q', head[8:16])[0]
        out['end'] = 16
        prev = None
        while True:
            raw = f.read(_ENTRY_HEAD.size)
            if len(raw) < _ENTRY_HEAD.size:
                if raw.strip(b'\x00'):
                    out['problem'] = 'truncated entry at byte %d' % out['end']
                break
            crc, length = _ENTRY_HEAD.unpack(raw)
            if length == 0:
                break
            if length < _TXN_HEAD.size or length > 256 << 20:
                out['problem'] = 'bad entry length %d at byte %d' % (length, out['end'])
                break
            body = f.read(length + 1)
            if len(body) < length + 1:
                out['problem'] = 'truncated entry at byte %d' % out['end']
                break
            if zlib.adler32(body[:length]) & 0xffffffff != crc & 0xffffffff or body[length:] != b'B':
                out['problem'] = 'checksum mismatch at byte %d' % out['end']
                break
            zxid = _TXN_HEAD.unpack_from(body)[2]
            if prev is not None and zxid <= prev:
                out['problem'] = 'zxid %s after %s at byte %d' % (zxid_hex(zxid), zxid_hex(prev), out['end'])
                break
            if out['first'] is None:
                out['first'] = zxid
            out['last'], prev = zxid, zxid
            out['count'] += 1
            out['end'] = f.tell()
    return out


def _adler_of(stream, length):
    value, left = 1, length
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            break
        value = zlib.adler32(chunk, value)
        left -= len(chunk)
    return value & 0xffffffff, left


def snapshot_problem(path):
    """None when the snapshot is complete and its checksum holds, else what is wrong with it."""
    opener = gzip.open if path.endswith('.gz') else open
    if path.endswith('.snappy'):
        return 'snappy-compressed snapshots are not supported (snapshot.compression.method)'
    try:
        if opener is open:
            size = os.path.getsize(path)
        else:
            size = 0
            with gzip.open(path, 'rb') as g:
                while True:
                    chunk = g.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
        if size < 4 + 13:
            return 'incomplete snapshot (%d bytes)' % size
        with opener(path, 'rb') as f:
            if f.read(4) != SNAP_MAGIC:
                return 'not a ZooKeeper snapshot (no ZKSN header)'
            f.seek(0)
            value, left = _adler_of(f, size - 13)
            seal = f.read(13)
        if left or seal[8:] != SEAL:
            return 'incomplete snapshot (no end seal)'
        if struct.unpack('>q', seal[:8])[0] & 0xffffffff != value:
            return 'snapshot checksum mismatch'
    except (IOError, OSError, EOFError, zlib.error) as e:
        return 'unreadable snapshot: %s' % e
    return None


def select_files(snapshots, logs):
    """Which files restore the newest state. ``snapshots``: {name: zxid} of complete snapshots;
    ``logs``: {name: zxid}. Returns (snapshot name, [log names in zxid order]), as ZooKeeper's
    FileTxnLog.getLogFiles picks them: the log that starts at or before the snapshot, and every later one."""
    if not snapshots:
        return None, []
    snap = max(snapshots, key=lambda n: snapshots[n])
    szxid = snapshots[snap]
    ordered = sorted(logs, key=lambda n: logs[n])
    start = 0
    for name in ordered:
        if logs[name] <= szxid:
            start = logs[name]
    return snap, [n for n in ordered if logs[n] >= start]


def chain_problems(snapshot_zxid, scans):
    """Problems of a chain of logs that must replay a snapshot: ``scans`` is [(name, scan_log result)] in
    zxid order. A log must start where its name says, and within an epoch each log must go on from the
    previous one without a gap (a missing log)."""
    problems = []
    prev_last = None
    for index, (name, scan) in enumerate(scans):
        zxid = name_zxid(name, 'log')
        if scan['problem']:
            problems.append('%s: %s' % (name, scan['problem']))
        if scan['first'] is None:
            continue
        if scan['first'] != zxid:
            problems.append('%s: its first transaction is 0x%x, not the one its name says' % (name, scan['first']))
        if index == 0 and zxid > snapshot_zxid + 1 and epoch_counter(zxid)[0] == epoch_counter(snapshot_zxid)[0]:
            problems.append('%s starts at 0x%x, after the snapshot at 0x%x: the log before it is missing'
                            % (name, zxid, snapshot_zxid))
        if prev_last is not None and epoch_counter(scan['first'])[0] == epoch_counter(prev_last)[0] \
                and scan['first'] != prev_last + 1:
            problems.append('transactions 0x%x to 0x%x are missing before %s (a log file is missing)'
                            % (prev_last + 1, scan['first'] - 1, name))
        prev_last = scan['last']
    return problems


def last_zxid(snapshot_zxid, scans):
    """The zxid the files replay to: the last transaction logged, or the snapshot's own."""
    lasts = [s['last'] for n, s in scans if s['last'] is not None]
    return max([snapshot_zxid] + lasts)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


def version_line(version):
    """(major, minor) of a ZooKeeper version such as 3.8.0 or 3.9.3-abc, or None."""
    try:
        parts = str(version).split('-', 1)[0].split('.')
        return int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None


def read_dirs(data_dir, log_dir=None):
    """Snapshots and logs found in ``data_dir``/version-2 and ``log_dir``/version-2: ({name: path}, {name: path})."""
    snaps, logs = {}, {}
    for base, kind in ((data_dir, 'snapshot'), (log_dir or data_dir, 'log')):
        folder = os.path.join(base, 'version-2')
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name_zxid(name, kind) is not None:
                (snaps if kind == 'snapshot' else logs)[name] = os.path.join(folder, name)
    return snaps, logs


def newest_state(data_dir, log_dir=None):
    """What the files of a server replay to, read without the server: dict(zxid, snapshot, logs, problems).
    Used to compare the survivors of a lost quorum. Incomplete snapshots are passed over, as ZooKeeper does."""
    snaps, logs = read_dirs(data_dir, log_dir)
    complete = {}
    for name in sorted(snaps, key=lambda n: name_zxid(n, 'snapshot'), reverse=True):
        if snapshot_problem(snaps[name]) is None:
            complete[name] = name_zxid(name, 'snapshot')
            break
    snap, chosen = select_files(complete, dict((n, name_zxid(n, 'log')) for n in logs))
    if snap is None:
        return dict(zxid=None, snapshot=None, logs=[], problems=['no complete snapshot'] if snaps or logs else [])
    scans = [(n, scan_log(logs[n])) for n in chosen]
    szxid = complete[snap]
    # The newest log of a running server may end in a half-written entry: that is not a problem.
    problems = chain_problems(szxid, scans[:-1] + [(scans[-1][0], dict(scans[-1][1], problem=None))] if scans else [])
    return dict(zxid=last_zxid(szxid, scans), snapshot=snap, logs=chosen, problems=problems)


def free_port():
    sock = socket.socket()
    try:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def java_version(java, classpath):
    """The ZooKeeper version of a classpath, from its own VersionInfoMain (3.5+), or None."""
    try:
        out = subprocess.check_output([java, '-cp', ':'.join(classpath), 'org.apache.zookeeper.version.VersionInfoMain'],
                                      stderr=subprocess.STDOUT).decode('utf-8', 'replace')
    except (OSError, subprocess.CalledProcessError):
        return None
    for word in out.split():
        if version_line(word):
            return word
    return None


def load_offline(java, classpath, snap_files, log_files, heap='512m', timeout=120):
    """Load ZooKeeper files into a throwaway standalone server on loopback, the way a restore would, and read
    what it serves. ``snap_files``/``log_files``: paths, copied first (the server writes into its dataDir).
    Returns dict(zxid, node_count, version, seconds) or raises RuntimeError with the server's last output."""
    started = time.time()
    root = tempfile.mkdtemp(prefix='zkops-verify-')
    proc = None
    try:
        data = os.path.join(root, 'data', 'version-2')
        os.makedirs(data)
        for path in list(snap_files) + list(log_files):
            shutil.copyfile(path, os.path.join(data, os.path.basename(path)))
        port = free_port()
        cfg = os.path.join(root, 'zoo.cfg')
        with open(cfg, 'w') as f:
            f.write('tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n'
                    'admin.enableServer=false\n4lw.commands.whitelist=srvr\nmaxClientCnxns=2\n'
                    % (os.path.join(root, 'data'), port))
        log = open(os.path.join(root, 'server.log'), 'wb')
        cmd = [java, '-Xmx%s' % heap, '-XX:+UseSerialGC', '-Dzookeeper.jmx.log4j.disable=true',
               '-Dzookeeper.admin.enableServer=false', '-cp', ':'.join(classpath),
               'org.apache.zookeeper.server.ZooKeeperServerMain', cfg]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                preexec_fn=lambda: os.nice(10))
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                break
            status = server_status('127.0.0.1', port, 2.0)
            if status['mode'] == 'standalone' and status['zxid'] is not None:
                return dict(zxid=int(status['zxid'], 16), node_count=status['node_count'], version=status['version'],
                            seconds=round(time.time() - started, 2))
            time.sleep(0.1)
        with open(os.path.join(root, 'server.log'), 'rb') as f:
            tail = f.read()[-3000:].decode('utf-8', 'replace')
        raise RuntimeError('the throwaway ZooKeeper %s: %s' % (
            'exited with status %s' % proc.returncode if proc.poll() is not None else 'did not serve in %ss' % timeout,
            tail))
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except Exception:
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)


MANIFEST = 'manifest.json'
FORMAT = 1


def _member_name_ok(name):
    parts = name.split('/')
    return name == MANIFEST or (len(parts) == 2 and parts[0] == 'version-2' and
                                (name_zxid(parts[1], 'snapshot') is not None or name_zxid(parts[1], 'log') is not None))


def write_archive(path, manifest, files):
    """A gzip'ed tar with manifest.json first, then ``files`` ({name in the archive: path}); written to a
    temporary name beside ``path``, then renamed, so an interrupted backup never leaves a half archive."""
    partial = os.path.join(os.path.dirname(path), '.%s.partial' % os.path.basename(path))
    body = json.dumps(manifest, indent=2, sort_keys=True).encode('utf-8')
    try:
        with tarfile.open(partial, 'w:gz', compresslevel=3) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name in sorted(files):
                tar.add(files[name], arcname=name, recursive=False)
        os.rename(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def check_files(manifest, paths):
    """Problems of a backup's files against its manifest: ``paths`` maps each name in the archive to a
    readable copy. Every sha256 and size, the snapshot's seal, every log entry's checksum, the chain of logs,
    and the zxid the files replay to."""
    problems = []
    listed = manifest.get('files') or {}
    for name in sorted(set(listed) - set(paths)):
        problems.append('%s is listed in the manifest but missing from the archive' % name)
    for name in sorted(set(paths) - set(listed)):
        problems.append('%s is in the archive but not in the manifest' % name)
    for name in sorted(set(listed) & set(paths)):
        entry = listed[name]
        size = os.path.getsize(paths[name])
        if size != entry.get('size'):
            problems.append('%s has %d bytes, the manifest says %s (truncated?)' % (name, size, entry.get('size')))
        elif sha256_file(paths[name]) != entry.get('sha256'):
            problems.append('%s: sha256 differs from the manifest (the file was changed or damaged)' % name)
    snaps = dict((n.split('/', 1)[1], p) for n, p in paths.items() if n.startswith('version-2/snapshot.'))
    logs = dict((n.split('/', 1)[1], p) for n, p in paths.items() if n.startswith('version-2/log.'))
    if len(snaps) != 1:
        problems.append('the archive holds %d snapshots; a backup holds exactly one' % len(snaps))
        return problems
    snap = list(snaps)[0]
    problem = snapshot_problem(snaps[snap])
    if problem:
        problems.append('version-2/%s: %s' % (snap, problem))
    szxid = name_zxid(snap, 'snapshot')
    ordered = sorted(logs, key=lambda n: name_zxid(n, 'log'))
    scans = [(n, scan_log(logs[n])) for n in ordered]
    problems.extend('version-2/%s' % p for p in chain_problems(szxid, scans))
    if not problems and manifest.get('zxid') != zxid_hex(last_zxid(szxid, scans)):
        problems.append('the files replay to zxid %s, the manifest says %s' % (
            zxid_hex(last_zxid(szxid, scans)), manifest.get('zxid')))
    return problems


def open_archive(path, workdir):
    """Extract a backup into ``workdir`` and check it. Returns (manifest or None, {name: path}, problems)."""
    paths, manifest, problems = {}, None, []
    try:
        with tarfile.open(path, 'r:gz') as tar:
            for member in tar:
                if not member.isfile() or not _member_name_ok(member.name):
                    problems.append('unexpected entry in the archive: %s' % member.name)
                    continue
                target = os.path.join(workdir, member.name)
                if not os.path.isdir(os.path.dirname(target)):
                    os.makedirs(os.path.dirname(target))
                source = tar.extractfile(member)
                with open(target, 'wb') as out:
                    shutil.copyfileobj(source, out, CHUNK)
                if member.name == MANIFEST:
                    with open(target, 'rb') as f:
                        manifest = json.loads(f.read().decode('utf-8'))
                    os.unlink(target)
                else:
                    paths[member.name] = target
    except (tarfile.TarError, IOError, OSError, EOFError, zlib.error) as e:
        problems.append('the archive is truncated or damaged: %s' % e)
    except ValueError as e:
        problems.append('%s is not valid JSON: %s' % (MANIFEST, e))
    if manifest is None:
        problems.append('the archive has no readable %s' % MANIFEST)
        return None, paths, problems
    if manifest.get('format') != FORMAT:
        problems.append('%s format %r is not %d' % (MANIFEST, manifest.get('format'), FORMAT))
        return manifest, paths, problems
    return manifest, paths, problems + check_files(manifest, paths)

"""ZooKeeper's data files read without ZooKeeper: generated logs in ZooKeeper's format, the files a snapshot
needs (as FileTxnLog.getLogFiles picks them), and gaps found. The same code is checked against real servers'
files in tests/integration/test_zk_backup.py."""
import struct
import zlib

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_datadir import (
    chain_problems, last_zxid, scan_log, select_files)


def write_log(path, zxids, tail=b'\x00' * 64):
    with open(path, 'wb') as f:
        f.write(b'ZKLG' + struct.pack('>iq', 2, 0))
        for z in zxids:
            txn = struct.pack('>qiqqi', 1, 1, z, 0, 1) + b'payload'
            f.write(struct.pack('>qi', zlib.adler32(txn), len(txn)) + txn + b'B')
        f.write(tail)


@given(st.lists(st.integers(0, 2 ** 40), min_size=1, max_size=30, unique=True), st.integers(0, 2 ** 40))
def test_selection_is_the_log_at_or_before_the_snapshot_and_every_later_one(starts, snap):
    logs = dict(('log.%x' % z, z) for z in starts)
    name, chosen = select_files({'snapshot.%x' % snap: snap}, logs)
    assert name == 'snapshot.%x' % snap
    before = [z for z in starts if z <= snap]
    expected = sorted(z for z in starts if z >= (max(before) if before else 0))
    assert [logs[n] for n in chosen] == expected


@given(st.integers(1, 50), st.integers(1, 50), st.integers(1, 6))
def test_scan_reads_every_entry_and_stops_at_the_zeros(tmp_path_factory, start, count, epoch):
    path = str(tmp_path_factory.mktemp('l') / 'log')
    zxids = [(epoch << 32) + start + i for i in range(count)]
    write_log(path, zxids)
    scan = scan_log(path)
    assert (scan['first'], scan['last'], scan['count'], scan['problem']) == (zxids[0], zxids[-1], count, None)


@given(st.integers(2, 40), st.data())
def test_damage_is_found_where_it_is(tmp_path_factory, count, data):
    path = str(tmp_path_factory.mktemp('l') / 'log')
    write_log(path, list(range(1, count + 1)), tail=b'')
    raw = bytearray(open(path, 'rb').read())
    entry = 12 + 32 + 7 + 1
    victim = data.draw(st.integers(0, count - 1))
    offset = 16 + victim * entry + 12 + data.draw(st.integers(0, 32 + 7))
    raw[offset] ^= 0xff
    open(path, 'wb').write(bytes(raw))
    scan = scan_log(path)
    assert scan['problem'] and scan['count'] == victim and scan['end'] == 16 + victim * entry


@given(st.integers(1, 8), st.data())
def test_a_missing_log_in_the_chain_is_named(tmp_path_factory, files, data):
    root = tmp_path_factory.mktemp('c')
    sizes = [data.draw(st.integers(1, 5)) for dummy in range(files)]
    scans, z = [], 1
    for size in sizes:
        path = str(root / ('log.%x' % z))
        write_log(path, list(range(z, z + size)))
        scans.append(('log.%x' % z, scan_log(path)))
        z += size
    assert chain_problems(0, scans) == [] and last_zxid(0, scans) == z - 1
    if files > 2:
        gone = data.draw(st.integers(1, files - 2))
        problems = chain_problems(0, scans[:gone] + scans[gone + 1:])
        assert len(problems) == 1 and scans[gone + 1][0] in problems[0] and 'missing' in problems[0]

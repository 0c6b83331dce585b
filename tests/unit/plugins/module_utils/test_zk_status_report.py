"""The operator's table of the status playbook (zk_status_report)."""
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_status_report import status_rows, status_table


def members(*spec):
    return [dict(host=h, id=i, remote_client='%s:2181' % h) for h, i in spec]


def server(host, mode, zxid='0x200000007', version='3.8.0'):
    return dict(server='%s:2181' % host, mode=mode, zxid=zxid, version=version)


def test_a_healthy_ensemble_every_follower_synced():
    ms = members(('a', 17), ('b', 203), ('c', 5), ('d', 88))
    status = dict(servers=[server('a', 'follower'), server('b', 'leader'), server('c', 'follower'),
                           server('d', 'observer')],
                  leader='b:2181', leaders=['b:2181'], quorum=True, synced=True,
                  leader_sync=dict(synced_followers=2, synced_observers=1))
    rows = status_rows(ms, status)
    assert [(r['host'], r['id'], r['synced']) for r in rows] == [('a', '17', 'yes'), ('b', '203', '-'),
                                                                 ('c', '5', 'yes'), ('d', '88', 'yes')]
    lines = status_table(ms, status)
    assert lines[0].split() == ['host', 'id', 'mode', 'zxid', 'synced', 'version']
    assert lines[-1] == 'quorum, leader b:2181, every member synced'


def test_split_brain_and_a_member_down_are_told():
    ms = members(('a', 1), ('b', 2), ('c', 3))
    status = dict(servers=[server('a', 'leader'), server('b', 'leader'), dict(server='c:2181', mode='unreachable')],
                  leader=None, leaders=['a:2181', 'b:2181'], quorum=False, synced=None, leader_sync=None)
    rows = status_rows(ms, status)
    assert [r['synced'] for r in rows] == ['-', '-', 'no']
    assert rows[2]['zxid'] == '-' and rows[2]['version'] == '-'
    assert status_table(ms, status)[-1] == 'NO QUORUM, 2 leaders (split views): a:2181, b:2181'


def test_a_lagging_follower_makes_sync_unknown_not_yes():
    ms = members(('a', 1), ('b', 2), ('c', 3))
    status = dict(servers=[server('a', 'leader'), server('b', 'follower'), server('c', 'follower')],
                  leader='a:2181', leaders=['a:2181'], quorum=True, synced=False,
                  leader_sync=dict(synced_followers=1, synced_observers=0))
    assert [r['synced'] for r in status_rows(ms, status)] == ['-', 'unknown', 'unknown']
    assert status_table(ms, status)[-1].endswith('not every member synced')


def test_expiry_column_from_the_certificates_the_members_present():
    ms = [dict(host='a', id=7, remote_client='a:2181', remote_secure_client='a:2281'),
          dict(host='b', id=9, remote_client='b:2181', remote_secure_client='b:2281'),
          dict(host='c', id=3, remote_client='c:2181', remote_secure_client=None)]
    status = dict(servers=[dict(server='%s:2181' % h, mode='follower') for h in 'abc'], leaders=[], quorum=False)
    certs = dict(servers=[dict(server='a:2281', certificate=dict(not_after='2027-03-01T12:00:00Z', days_left=88.6)),
                          dict(server='b:2281', certificate=dict(not_after='2026-11-30T00:00:00Z', days_left=-2.1))])
    rows = status_rows(ms, status, certs)
    assert [r['certificate expires'] for r in rows] == ['2027-03-01 (88 days)', '2026-11-30 (EXPIRED)', '-']
    assert status_table(ms, status, certs)[0].endswith('certificate expires')
    assert 'certificate expires' not in status_table(ms, status)[0]

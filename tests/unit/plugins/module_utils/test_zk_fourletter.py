import pytest

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import (
    FourLetterWordNotAllowed,
    condition_met,
    parse_srvr,
    summarize,
)

SRVR_38 = """Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
Latency min/avg/max: 0/0.4375/3
Received: 17
Sent: 16
Connections: 2
Outstanding: 1
Zxid: 0x100000004
Mode: %s
Node count: 7
"""

SRVR_LEADER_39 = """Zookeeper version: 3.9.3-${mvngit.commit.id}, built on 2025-01-01 00:00 UTC
Latency min/avg/max: 0/0.0/0
Received: 1
Sent: 0
Connections: 1
Outstanding: 0
Zxid: 0x200000000
Mode: leader
Node count: 5
Proposal sizes last/min/max: -1/-1/-1
"""

SRVR_34 = """Zookeeper version: 3.4.6-1569965, built on 02/20/2014 09:09 GMT
Latency min/avg/max: 0/2/11
Received: 4
Sent: 3
Connections: 1
Outstanding: 0
Zxid: 0x0
Mode: standalone
Node count: 4
"""


@pytest.mark.parametrize('mode', ['leader', 'follower', 'observer', 'standalone', 'read-only'])
def test_modes(mode):
    status = parse_srvr(SRVR_38 % mode, 'zk1:2181')
    assert status['mode'] == mode
    assert status['server'] == 'zk1:2181'
    assert status['version'] == '3.8.0'
    assert status['zxid'] == '0x100000004'
    assert status['node_count'] == 7
    assert status['outstanding'] == 1
    assert status['connections'] == 2
    assert status['latency_avg'] == pytest.approx(0.4375)
    assert status['latency_max'] == 3.0


def test_leader_39_with_proposal_sizes():
    status = parse_srvr(SRVR_LEADER_39, 'zk2:2181')
    assert status['mode'] == 'leader' and status['version'] == '3.9.3' and status['node_count'] == 5


def test_34_style_integer_latency():
    status = parse_srvr(SRVR_34, 'old:2181')
    assert status['mode'] == 'standalone'
    assert status['version'] == '3.4.6'
    assert status['latency_avg'] == 2.0


def test_not_serving():
    status = parse_srvr('This ZooKeeper instance is not currently serving requests\n', 'zk3:2181')
    assert status['mode'] == 'not-serving'
    assert 'not currently serving' in status['message']


def test_not_whitelisted_raises():
    with pytest.raises(FourLetterWordNotAllowed):
        parse_srvr('srvr is not executed because it is not in the whitelist.\n', 'zk1:2181')


def test_garbage_is_unreachable_with_message():
    status = parse_srvr('HTTP/1.1 400 Bad Request\r\n', 'web:80')
    assert status['mode'] == 'unreachable' and 'unexpected' in status['message']


def _servers(*modes):
    return [dict(server='zk%d:2181' % i, mode=m) for i, m in enumerate(modes, 1)]


def test_quorum_with_one_follower_down():
    servers = _servers('leader', 'follower', 'unreachable', 'observer')
    summary = summarize(servers)
    assert summary['leader'] == 'zk1:2181'
    assert summary['quorum'] is True
    assert summary['observers'] == ['zk4:2181']
    assert condition_met('quorum', servers, summary)
    assert not condition_met('serving', servers, summary)


def test_no_quorum_when_majority_missing():
    servers = _servers('leader', 'not-serving', 'unreachable')
    assert summarize(servers)['quorum'] is False


def test_observers_do_not_count_towards_quorum():
    servers = _servers('leader', 'unreachable', 'unreachable', 'observer', 'observer')
    assert summarize(servers)['quorum'] is False


def test_two_leaders_is_no_single_leader():
    summary = summarize(_servers('leader', 'leader', 'follower'))
    assert summary['leader'] is None and len(summary['leaders']) == 2


def test_standalone_alone_is_quorum():
    servers = _servers('standalone')
    summary = summarize(servers)
    assert summary['quorum'] is True
    assert condition_met('leader', servers, summary)


def test_split_brain_is_no_quorum():
    summary = summarize(_servers('leader', 'leader', 'follower', 'follower', 'follower'))
    assert summary['quorum'] is False and summary['leader'] is None and len(summary['leaders']) == 2


def test_declared_observers_that_are_down_do_not_count_as_voters():
    servers = _servers('leader', 'follower', 'unreachable', 'unreachable', 'unreachable')
    assert summarize(servers)['quorum'] is False
    assert summarize(servers, observers=['zk3:2181', 'zk4:2181', 'zk5:2181'])['quorum'] is True


def test_synced_needs_every_learner():
    servers = _servers('leader', 'follower', 'follower', 'observer')
    behind = summarize(servers, sync=dict(synced_followers=1, synced_observers=1))
    assert behind['synced'] is False and not condition_met('synced', servers, behind)
    done = summarize(servers, sync=dict(synced_followers=2, synced_observers=1))
    assert done['synced'] is True and condition_met('synced', servers, done)
    assert summarize(servers)['synced'] is None


def test_mntr_parsing():
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import parse_mntr
    fields = parse_mntr('zk_version\t3.8.0\nzk_synced_followers\t2\nzk_synced_observers\t1\nnoise\n')
    assert fields == {'zk_version': '3.8.0', 'zk_synced_followers': '2', 'zk_synced_observers': '1'}

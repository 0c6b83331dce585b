"""zk_status against real ZooKeeper servers on loopback, through Ansible."""
import time

from ansible_runner import run_module
from zkharness import Ensemble

MOD = 'zkops.zookeeper.zk_status'


def test_standalone(standalone):
    res = run_module(MOD, {'hosts': standalone.hosts})
    assert res['changed'] is False
    server = res['servers'][0]
    assert server['mode'] == 'standalone'
    assert server['version'].startswith('3.')
    assert server['zxid'].startswith('0x')
    assert isinstance(server['node_count'], int)
    assert res['quorum'] is True and res['is_available'] is True


def test_ensemble_modes(ensemble):
    res = run_module(MOD, {'hosts': ensemble.hosts, 'wait_for': 'quorum', 'timeout': 60})
    modes = sorted(s['mode'] for s in res['servers'])
    assert modes == ['follower', 'follower', 'leader', 'observer']
    assert res['leader'] in ensemble.hosts.split(',')
    assert len(res['followers']) == 2
    assert res['observers'] == [ensemble.servers[3].address]
    assert res['quorum'] is True


def test_unreachable_server_reported(ensemble):
    hosts = ensemble.hosts + ',127.0.0.1:1'
    res = run_module(MOD, {'hosts': hosts, 'timeout': 3})
    assert res.get('failed') is not True
    bad = res['servers'][-1]
    assert bad['server'] == '127.0.0.1:1' and bad['mode'] == 'unreachable' and bad['message']


def test_not_serving_participant_alone():
    ens = Ensemble(participants=3)
    try:
        ens.start(only=[0], wait=False)
        deadline = time.time() + 30
        res = None
        while time.time() < deadline:
            res = run_module(MOD, {'hosts': ens.servers[0].address})
            if res['servers'][0]['mode'] == 'not-serving':
                break
            time.sleep(1)
        assert res['servers'][0]['mode'] == 'not-serving'
        assert 'not currently serving' in res['servers'][0]['message']
        everyone = run_module(MOD, {'hosts': ens.hosts, 'timeout': 2})
        assert everyone['quorum'] is False and everyone['leader'] is None
        waited = run_module(MOD, {'hosts': ens.hosts, 'wait_for': 'quorum', 'timeout': 3})
        assert waited.get('failed') is True and "'quorum'" in waited['msg'] and 'not-serving' in waited['msg']
    finally:
        ens.destroy()


def test_wait_for_quorum_after_restart():
    ens = Ensemble(participants=3).start()
    try:
        leader = next(s for s in ens.servers if s.mode() == 'leader')
        leader.stop()
        leader.start()
        start = time.time()
        res = run_module(MOD, {'hosts': ens.hosts, 'wait_for': 'serving', 'timeout': 90})
        assert res.get('failed') is not True, res.get('msg')
        assert res['quorum'] is True
        assert all(s['mode'] in ('leader', 'follower') for s in res['servers'])
        assert time.time() - start < 90
        quorum = run_module(MOD, {'hosts': ens.hosts, 'wait_for': 'quorum', 'timeout': 30})
        assert quorum['quorum'] is True and quorum['leader'] is not None
    finally:
        ens.destroy()


def test_refused_word_is_detected_from_a_real_server():
    """ZooKeeper always allows srvr, so zk_status cannot be refused by a real server;
    this proves the refusal detection on the real reply for another word (mntr)."""
    import pytest
    from ansible_collections.zkops.zookeeper.plugins.module_utils import zk_fourletter as fl

    ens = Ensemble(participants=1, standalone=True)
    ens.servers[0].extra['4lw.commands.whitelist'] = 'ruok'
    ens.servers[0].write_config([])
    try:
        ens.start()
        reply = fl.send_command('127.0.0.1', ens.servers[0].client_port, 'mntr', 5)
        with pytest.raises(fl.FourLetterWordNotAllowed):
            fl.parse_srvr(reply, ens.hosts)
        assert fl.server_status('127.0.0.1', ens.servers[0].client_port, 5)['mode'] == 'standalone'
    finally:
        ens.destroy()


def test_wait_for_honours_timeout_with_hung_servers():
    """Listeners that accept and never answer: the module ends within timeout plus about a second."""
    import socket
    listeners = []
    for dummy in range(3):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        s.listen(5)
        listeners.append(s)
    hosts = ','.join('127.0.0.1:%d' % s.getsockname()[1] for s in listeners)
    start = time.time()
    res = run_module(MOD, {'hosts': hosts, 'wait_for': 'quorum', 'timeout': 4})
    elapsed = time.time() - start
    for s in listeners:
        s.close()
    assert res.get('failed') is True and "'quorum'" in res['msg']
    # ansible itself takes a second or two to start the module
    assert elapsed < 4 + 1 + 3, elapsed


def test_timeout_must_be_positive(standalone):
    res = run_module(MOD, {'hosts': standalone.hosts, 'timeout': 0})
    assert res.get('failed') is True and 'must be more than 0' in res['msg']


def test_synced_on_a_real_ensemble(ensemble):
    res = run_module(MOD, {'hosts': ensemble.hosts, 'wait_for': 'synced', 'timeout': 60,
                           'observers': [ensemble.servers[3].address]})
    assert res.get('failed') is not True, res.get('msg')
    assert res['synced'] is True and res['leader_sync']['synced_followers'] == 2

"""zk_reconfig against real dynamic-config ensembles on loopback, through Ansible.

Ids are drawn at random for every run, so nothing depends on 1-2-3.
"""
import random

import pytest
from kazoo.client import KazooClient

from ansible_runner import run_module
from zkdynamic import SUPER_PASSWORD, DynEnsemble

MOD = 'zkops.zookeeper.zk_reconfig'
SUPER = [{'credential': 'super:' + SUPER_PASSWORD}]


def ids(count):
    return random.sample(range(1, 256), count)


def live(ens, via):
    zk = KazooClient(ens.servers[via].address)
    zk.start(timeout=20)
    try:
        zk.sync('/zookeeper/config')
        data = zk.get('/zookeeper/config')[0]
    finally:
        zk.stop()
        zk.close()
    return sorted(line for line in data.decode().splitlines() if line.startswith('server.'))


def members(ens, roles):
    return [ens.servers[i].member(role) for i, role in roles.items()]


def count_children(ens, sid, path):
    zk = KazooClient(ens.servers[sid].address)
    zk.start(timeout=20)
    try:
        return len(zk.get_children(path))
    finally:
        zk.stop()
        zk.close()


@pytest.fixture
def one_voter():
    a, b, c, d, e = ids(5)
    ens = DynEnsemble([a])
    zk = KazooClient(ens.servers[a].address)
    zk.start(timeout=20)
    for i in range(30):
        zk.create('/data/n%d' % i, b'v', makepath=True)
    zk.stop()
    zk.close()
    ens.spare_ids = (b, c, d, e)
    yield ens
    ens.destroy()


def test_grow_role_change_and_shrink(one_voter):
    ens = one_voter
    a = next(iter(ens.servers))
    b, c, d, e = ens.spare_ids
    ens.add_joiner(b)
    ens.add_joiner(c)
    want = {a: 'participant', b: 'participant', c: 'participant'}
    args = {'hosts': ens.hosts([a]), 'auth': SUPER, 'members': members(ens, want)}

    before = live(ens, a)
    res = run_module(MOD, args, check=True, diff=True)
    assert res['changed'] is True and res.get('failed') is not True, res
    assert sorted(res['joining']) == sorted([ens.servers[b].line(), ens.servers[c].line()])
    assert live(ens, a) == before, 'check mode must not change the live config'
    assert 'server.%d=' % b in res['diff']['after'] and 'server.%d=' % b not in res['diff']['before']

    res = run_module(MOD, args, diff=True)
    assert res['changed'] is True, res
    assert sorted(res['voters']) == sorted([a, b, c])
    assert live(ens, a) == sorted(ens.servers[i].line() for i in (a, b, c))
    assert count_children(ens, c, '/data') == 30, 'the joiner must hold the data it synced'

    again = run_module(MOD, args)
    assert again['changed'] is False and again['joining'] == [] and again['leaving'] == []

    # observer and back, without restarting anyone
    pid = ens.servers[c].proc.pid
    want[c] = 'observer'
    res = run_module(MOD, dict(args, members=members(ens, want), allow_two_voters=True))
    assert res['changed'] is True, res
    ens.servers[c].wait(('observer',), timeout=30)
    want[c] = 'participant'
    res = run_module(MOD, dict(args, members=members(ens, want)))
    assert res['changed'] is True, res
    ens.servers[c].wait(('follower', 'leader'), timeout=30)
    assert ens.servers[c].proc.pid == pid

    # 5 voters, then remove two including the current leader (3 of 5 stay: a majority)
    ens.add_joiner(d)
    ens.add_joiner(e)
    want[d] = want[e] = 'participant'
    assert run_module(MOD, dict(args, members=members(ens, want)))['changed'] is True
    leader = next(i for i in want if ens.servers[i].mode() == 'leader')
    gone = [leader, next(i for i in want if i != leader)]
    kept = dict((i, r) for i, r in want.items() if i not in gone)
    via = next(iter(kept))
    res = run_module(MOD, {'hosts': ens.hosts([via]), 'auth': SUPER, 'members': members(ens, kept)})
    assert res["changed"] is True and sorted(res["leaving"]) == sorted(gone), (res.get("msg"), res.get("module_stderr"))
    assert live(ens, via) == sorted(ens.servers[i].line() for i in kept)
    assert count_children(ens, via, '/data') == 30


def test_refusals_change_nothing(one_voter):
    ens = one_voter
    a = next(iter(ens.servers))
    b, c, d, _e = ens.spare_ids
    ens.add_joiner(b)
    ens.add_joiner(c)
    three = {a: 'participant', b: 'participant', c: 'participant'}
    base = {'hosts': ens.hosts([a]), 'auth': SUPER}
    assert run_module(MOD, dict(base, members=members(ens, three)))['changed'] is True
    before = live(ens, a)

    cases = [
        ('majority', dict(base, members=members(ens, {a: 'participant'})), 'majority'),
        ('two voters', dict(base, members=members(ens, {a: 'participant', b: 'participant'})), '2 voters'),
        ('no participant', dict(base, members=members(ens, {a: 'observer', b: 'observer', c: 'observer'})),
         'no participant'),
        ('joiner down', dict(base, members=members(ens, three) + [dict(ens.servers[a].member(), id=d,
                                                                       client_port=1, quorum_port=2,
                                                                       election_port=3)]),
         'not connected'),
        ('duplicate id', dict(base, members=members(ens, three) + [ens.servers[a].member()]), 'more than once'),
        ('bad port', dict(base, members=[dict(ens.servers[a].member(), client_port=70000)]), 'out of range'),
        ('no auth', {'hosts': ens.hosts([a]), 'members': members(ens, {a: 'participant', b: 'participant',
                                                                       c: 'observer'}),
                     'allow_two_voters': True}, 'NoAuth'),
    ]
    for name, args, needle in cases:
        res = run_module(MOD, args)
        assert res.get('failed') is True, (name, res)
        assert needle in res['msg'], (name, res['msg'])
        assert live(ens, a) == before, name


def test_unreachable_ensemble_fails_with_hosts():
    res = run_module(MOD, {'hosts': '127.0.0.1:1', 'timeout': 2,
                           'members': [{'id': 1, 'address': '127.0.0.1'}]})
    assert res.get('failed') is True and '127.0.0.1:1' in res['msg']

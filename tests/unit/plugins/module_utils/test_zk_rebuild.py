"""The restore and recover plans over generated ensembles: any ids, roles, modes and zxids."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_rebuild import (
    EMPTY_TREE_NODES, SERVING, backup_plan, recover_plan, restore_plan)

MODES = st.sampled_from(['leader', 'follower', 'observer', 'standalone', 'not-serving', 'unreachable', None])


@st.composite
def ensembles(draw, serving_allowed=True):
    ids = draw(st.lists(st.integers(1, 255), min_size=1, max_size=7, unique=True))
    members, infos = [], {}
    for i in ids:
        name = 'h%d' % i
        role = draw(st.sampled_from(['participant', 'participant', 'observer']))
        members.append(dict(name=name, host=name, id=i, role=role))
        zxid = draw(st.one_of(st.none(), st.integers(1, 2 ** 40)))
        mode = draw(MODES) if serving_allowed else draw(st.sampled_from(['not-serving', 'unreachable', None]))
        infos[name] = dict(mode=mode, has_data=zxid is not None, data_zxid=zxid or 0,
                           logged_zxid=hex(zxid) if zxid else None, data_problems=[],
                           zxid=hex(zxid or 1), node_count=draw(st.integers(EMPTY_TREE_NODES, EMPTY_TREE_NODES + 3)))
    if not any(m['role'] == 'participant' for m in members):
        members[0]['role'] = 'participant'
    return members, infos


MANIFEST = dict(zxid='0x100000010', node_count=42, created='2026-12-02T07:00:00Z', zookeeper_version='3.8.0')


@given(ensembles(), st.booleans(), st.booleans())
def test_restore_refuses_data_unless_forced_and_seeds_the_lowest_participant(ens, force, superuser):
    members, infos = ens
    plan = restore_plan(members, infos, MANIFEST, force, superuser)
    holding = [m for m in members if (infos[m['name']]['mode'] in SERVING
                                      and infos[m['name']]['node_count'] > EMPTY_TREE_NODES)
               or (infos[m['name']]['mode'] not in SERVING and infos[m['name']]['has_data'])]
    assert len(plan['holds_data']) == len(holding)
    refused_for_data = any('holds data' in e for e in plan['errors'])
    assert refused_for_data == (bool(holding) and not force)
    assert any('superuser' in e for e in plan['errors']) == (len(members) > 1 and not superuser)
    seed = [m for m in members if m['name'] == plan['seed']][0]
    assert seed['role'] == 'participant'
    assert seed['id'] == min(m['id'] for m in members if m['role'] == 'participant')
    assert MANIFEST['zxid'] in plan['comparison']


@given(ensembles())
def test_recover_refuses_while_anything_serves(ens):
    members, infos = ens
    plan = recover_plan(members, infos, True)
    if any(infos[m['name']]['mode'] in SERVING for m in members):
        assert plan['seed'] is None and any('still serves' in e for e in plan['errors'])


@given(ensembles(serving_allowed=False))
def test_recover_picks_the_highest_zxid_and_never_an_empty_member(ens):
    members, infos = ens
    plan = recover_plan(members, infos, True)
    with_data = [m for m in members if infos[m['name']]['logged_zxid']]
    if not with_data:
        assert plan['seed'] is None and plan['errors']
        return
    top = max(int(infos[m['name']]['logged_zxid'], 16) for m in with_data)
    best = [m for m in with_data if int(infos[m['name']]['logged_zxid'], 16) == top]
    if all(m['role'] == 'observer' for m in best):
        assert plan['seed'] is None and 'observer' in plan['errors'][0]
        return
    assert plan['errors'] == []
    seed = [m for m in members if m['name'] == plan['seed']][0]
    assert int(infos[seed['name']]['logged_zxid'], 16) == top and seed['role'] == 'participant'
    assert plan['seed'] in plan['why'] and infos[seed['name']]['logged_zxid'] in plan['why']


def test_unread_member_damaged_winner_and_pseudo_cluster_are_refused():
    members = [dict(name='a', host='a', id=4, role='participant'), dict(name='b', host='b', id=9, role='participant'),
               dict(name='c', host='c', id=12, role='participant')]
    infos = dict(a=dict(mode=None, logged_zxid='0x10', data_problems=['log.3: checksum mismatch']),
                 b=dict(mode=None, logged_zxid='0x5', data_problems=[]))
    plan = recover_plan(members, infos, True)
    assert plan['seed'] is None and 'c' in plan['errors'][0]
    infos['c'] = dict(mode='unreachable', logged_zxid=None, data_problems=[])
    plan = recover_plan(members, infos, True)
    assert plan['seed'] is None and 'checksum mismatch' in plan['errors'][0]
    multi = [dict(m, name=m['host'] + '/1') for m in members]
    plan = recover_plan(multi, dict((m['name'], infos[m['host']]) for m in multi), True)
    assert any('pseudo-cluster' in e for e in plan['errors'])


@given(ensembles())
def test_backup_copies_a_serving_member_a_follower_first(ens):
    members, infos = ens
    plan = backup_plan(members, infos)
    serving = [m for m in members if infos[m['name']]['mode'] in SERVING]
    if not serving:
        assert plan['seed'] is None and plan['errors']
        return
    mode = infos[plan['seed']]['mode']
    assert mode in SERVING
    if any(infos[m['name']]['mode'] == 'follower' for m in members):
        assert mode == 'follower'
    elif mode == 'leader':
        assert all(infos[m['name']]['mode'] not in ('observer', 'standalone') for m in members)

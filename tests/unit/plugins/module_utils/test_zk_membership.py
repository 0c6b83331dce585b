"""The role's membership plan (zk_membership): safe actions, refusals, generated layouts."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import parse_dynamic
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_membership import myid_problems, plan_membership, server_of

PARAMS = dict(standalone_enabled=True, allow_two_voters=False, superuser=True)


def member(sid, role='participant', host=None):
    host = host or 'zk%d' % sid
    return dict(name=host, host=host, id=sid, role=role, address=host, quorum_port=2888, election_port=3888,
                client_port=2181, line_client_address='0.0.0.0')


def info(m, mode=None, form='none', servers=(), version=None, has_data=False):
    return dict(name=m['name'], mode=mode or 'unreachable', form=form, has_data=has_data, version=version,
                servers=dict((str(s['id']), server_of(s)) for s in servers))


def live(members, leader=None, version='100000003', extra=()):
    """infos of a running quorum-mode ensemble of `members`."""
    out = {}
    for m in members:
        mode = 'leader' if m['id'] == (leader or members[0]['id']) else (
            'observer' if m['role'] == 'observer' else 'follower')
        out[m['name']] = info(m, mode, 'dynamic', list(members) + list(extra), version, has_data=True)
    return out


def test_new_ensemble_bootstraps_everyone():
    ms = [member(i) for i in (7, 19, 33)]
    plan = plan_membership(ms, dict((m['name'], info(m)) for m in ms), PARAMS)
    assert not plan['errors'] and plan['quorum_mode'] and not plan['reconfig']
    assert set(e['action'] for e in plan['instances'].values()) == {'bootstrap'}
    assert sorted(parse_dynamic(plan['instances']['zk7']['dynamic'])['servers']) == [7, 19, 33]


def test_single_member_stays_standalone_by_default():
    m = member(4)
    plan = plan_membership([m], {'zk4': info(m)}, PARAMS)
    assert not plan['quorum_mode'] and plan['instances']['zk4']['dynamic'] is None
    plan = plan_membership([m], {'zk4': info(m)}, dict(PARAMS, standalone_enabled=False))
    assert plan['quorum_mode'] and plan['instances']['zk4']['dynamic']


def test_standalone_with_data_grows_safely():
    old, new1, new2 = member(12), member(40), member(3)
    infos = {'zk12': info(old, 'standalone', 'standalone', has_data=True), 'zk40': info(new1), 'zk3': info(new2)}
    plan = plan_membership([old, new1, new2], infos, PARAMS)
    assert not plan['errors'], plan['errors']
    assert plan['instances']['zk12']['action'] == 'convert'
    assert sorted(parse_dynamic(plan['instances']['zk12']['dynamic'])['servers']) == [12]
    for name, sid in (('zk40', 40), ('zk3', 3)):
        entry = plan['instances'][name]
        servers = parse_dynamic(entry['dynamic'])['servers']
        assert entry['action'] == 'join' and sorted(servers) == sorted([12, sid])
        assert servers[sid]['role'] == 'observer' and servers[12]['role'] == 'participant'
    assert plan['reconfig']
    no_super = plan_membership([old, new1, new2], infos, dict(PARAMS, superuser=False))
    assert any('zookeeper_superuser_password' in e for e in no_super['errors'])


def test_a_host_with_foreign_data_is_not_joined():
    ms = [member(i) for i in (1, 2, 3)]
    stranger = member(9)
    infos = live(ms)
    infos['zk9'] = info(stranger, form='standalone', has_data=True)
    plan = plan_membership(ms + [stranger], infos, PARAMS)
    assert any('zk9 holds data' in e for e in plan['errors'])


def test_down_ensemble_keeps_its_membership_or_is_refused():
    ms = [member(i) for i in (5, 6, 8)]
    infos = dict((m['name'], info(m, form='dynamic', servers=ms, version='100000000', has_data=True)) for m in ms)
    plan = plan_membership(ms, infos, PARAMS)
    assert not plan['errors'] and set(e['action'] for e in plan['instances'].values()) == {'start'}
    grown = ms + [member(10), member(11)]
    infos.update(zk10=info(grown[3]), zk11=info(grown[4]))
    plan = plan_membership(grown, infos, PARAMS)
    assert any('no member serves' in e for e in plan['errors'])


def test_empty_voters_may_not_outvote_the_data_when_down():
    ms = [member(i) for i in (5, 6, 8)]
    infos = {'zk5': info(ms[0], form='dynamic', servers=ms, has_data=True),
             'zk6': info(ms[1], form='dynamic', servers=ms), 'zk8': info(ms[2], form='dynamic', servers=ms)}
    plan = plan_membership(ms, infos, PARAMS)
    assert any('majority' in e for e in plan['errors'])


def test_two_standalones_are_not_merged():
    a, b = member(1), member(2)
    infos = {'zk1': info(a, 'standalone', 'standalone', has_data=True),
             'zk2': info(b, 'standalone', 'standalone', has_data=True)}
    plan = plan_membership([a, b], infos, dict(PARAMS, allow_two_voters=True))
    assert any('separate ensembles' in e for e in plan['errors'])


def test_an_id_of_the_live_ensemble_is_not_given_to_a_new_host():
    ms = [member(i) for i in (1, 2, 3)]
    infos = live(ms)
    newcomer = member(3, host='zk-new')
    infos['zk-new'] = info(newcomer)
    del infos['zk3']
    plan = plan_membership(ms[:2] + [newcomer], infos, PARAMS)
    assert any('id 3 belongs to zk3' in e for e in plan['errors'])


def test_static_ensemble_is_converted_with_client_ports():
    ms = [member(i) for i in (21, 22, 23)]
    static = [dict(server_of(m), client_port=None, client_address=None) for m in ms]
    infos = dict((m['name'], dict(info(m, 'follower', 'static', has_data=True),
                                  servers=dict((str(s['id']), s) for s in static))) for m in ms)
    infos['zk21']['mode'] = 'leader'
    plan = plan_membership(ms, infos, PARAMS)
    assert not plan['errors'] and not plan['reconfig']
    for entry in plan['instances'].values():
        assert entry['action'] == 'convert'
        assert all(s['client_port'] == 2181 for s in parse_dynamic(entry['dynamic'])['servers'].values())


def test_missing_state_is_refused():
    ms = [member(i) for i in (1, 2, 3)]
    infos = live(ms)
    del infos['zk2']
    assert any('no state was read from zk2' in e for e in plan_membership(ms, infos, PARAMS)['errors'])


layouts = st.tuples(
    st.lists(st.integers(1, 255), min_size=1, max_size=7, unique=True),
    st.lists(st.integers(1, 255), min_size=0, max_size=5, unique=True),
    st.lists(st.booleans(), min_size=12, max_size=12))


@given(layouts)
def test_joiners_never_list_other_new_voters(layout):
    """Whatever the live ensemble and the inventory, a joiner's initial config holds only live
    servers as voters plus itself as an observer: new members cannot form a quorum of their own."""
    live_ids, new_ids, observer_flags = layout
    new_ids = [i for i in new_ids if i not in live_ids]
    live_members = [member(i, 'observer' if observer_flags[n] and n else 'participant')
                    for n, i in enumerate(live_ids)]
    joiners = [member(i, 'observer' if observer_flags[-n - 1] else 'participant') for n, i in enumerate(new_ids)]
    infos = live(live_members)
    infos.update((j['name'], info(j)) for j in joiners)
    plan = plan_membership(live_members + joiners, infos, dict(PARAMS, allow_two_voters=True))
    for j in joiners:
        entry = plan['instances'][j['name']]
        assert entry['action'] == 'join'
        servers = parse_dynamic(entry['dynamic'])['servers']
        voters = set(i for i, s in servers.items() if s['role'] == 'participant')
        assert voters <= set(live_ids)
        assert servers[j['id']]['role'] == 'observer'
        assert set(servers) - set(live_ids) == {j['id']}


@given(ids=st.lists(st.integers(1, 255), min_size=1, max_size=7, unique=True), data=st.data())
def test_turning_the_plaintext_port_off_needs_tls_serving_everywhere_and_is_never_undone(ids, data):
    running = [member(i) for i in ids]
    tls_only = [dict(m, plaintext=False) for m in running]
    infos = live(running)
    serving_tls = data.draw(st.lists(st.sampled_from([m['name'] for m in running]), unique=True))
    for name in infos:
        infos[name]['tls_mode'] = infos[name]['mode'] if name in serving_tls else 'unreachable'
    plan = plan_membership(tls_only, infos, PARAMS)
    assert plan['client_addresses_dropped'] == sorted(ids)
    assert plan['reconfig']
    missing = [m['name'] for m in running if m['name'] not in serving_tls]
    assert bool(plan['errors']) == bool(missing)
    for name in missing:
        assert name in ' '.join(plan['errors']) and 'zookeeper_client_tls' in ' '.join(plan['errors'])
    # Once dropped (the live lines have no client address), a rerun changes nothing, and asking
    # for the plaintext port back is refused.
    after = live(tls_only)
    for name in after:
        after[name]['tls_mode'] = after[name]['mode']
    again = plan_membership(tls_only, after, PARAMS)
    assert not again['errors'] and not again['reconfig'] and again['client_addresses_dropped'] == []
    back = plan_membership(running, after, PARAMS)
    assert 'keep zookeeper_client_plaintext=false' in ' '.join(back['errors'])
    assert all('%s (id %d)' % (m['name'], m['id']) in ' '.join(back['errors']) for m in running)


PLACEHOLDER = "replace this text with the cluster-unique zookeeper's instance id (1-255)"


@given(st.lists(st.tuples(st.integers(1, 255), st.booleans(), st.sampled_from(['same', 'other', 'placeholder', 'none']),
                          st.booleans()), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_a_myid_that_is_not_the_member_id_is_refused_unless_it_is_debian_s_placeholder_without_data(layout):
    members, infos, refused = [], {}, set()
    for sid, multi, myid, has_data in layout:
        m = dict(member(sid), name='zk%d/%d' % (sid, sid) if multi else 'zk%d' % sid, data_dir='/var/lib/zk%d' % sid)
        members.append(m)
        on_disk = {'same': str(sid), 'other': str(sid % 255 + 1), 'placeholder': PLACEHOLDER, 'none': None}[myid]
        infos[m['name']] = dict(info(m, has_data=has_data), myid=on_disk)
        if myid == 'other' or (myid == 'placeholder' and has_data):
            refused.add(m['name'])
    problems = myid_problems(members, infos)
    assert len(problems) == len(refused)
    for m in members:
        mine = [p for p in problems if p.startswith('Host %s: %s/myid holds ' % (m['host'], m['data_dir']))]
        assert len(mine) == (m['name'] in refused)
        for p in mine:
            assert ('the instance id=%d' if '/' in m['name'] else 'zookeeper_id=%d') % m['id'] in p
            assert infos[m['name']]['myid'] in p
    plan = plan_membership(members, infos, PARAMS)
    assert plan['errors'][:len(problems)] == problems
    if problems:
        assert plan['instances'] == {}

"""The ensemble model (zk_ensemble_model): members from hostvars, restart order and the restart gate."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import (
    ROLE_DEFAULTS,
    build_members,
    duplicates,
    member_problems,
    restart_blockers,
    restart_order,
    restart_plan,
)

DEFAULTS = dict(quorum_port=2888, election_port=3888, client_port=2181, service_name='zookeeper',
                conf_dir='/etc/zookeeper/conf_zkops', data_dir='/var/lib/zookeeper', data_log_dir='')
MODES = st.sampled_from(['follower', 'observer', 'leader', 'unknown'])


@given(st.lists(MODES, max_size=9), st.randoms())
def test_restart_order_is_a_permutation_with_the_leader_last(modes, rnd):
    plan = [dict(name='m%d' % i, mode=m) for i, m in enumerate(modes)]
    rnd.shuffle(plan)
    order = restart_order(plan)
    assert sorted(m['name'] for m in order) == sorted(m['name'] for m in plan)
    leaders = [i for i, m in enumerate(order) if m['mode'] == 'leader']
    assert leaders == list(range(len(order) - len(leaders), len(order)))
    # followers and observers keep their relative order
    assert [m for m in order if m['mode'] != 'leader'] == [m for m in plan if m['mode'] != 'leader']


def test_restart_plan_takes_the_mode_before_the_restart():
    results = [dict(item=dict(name='a'), servers=[dict(mode='leader')]), dict(item=dict(name='b'), servers=[]),
               dict(item=dict(name='c'), servers=[dict(mode=None)])]
    expected = [('a', 'leader'), ('b', 'unknown'), ('c', 'unknown')]
    assert [(m['name'], m['mode']) for m in restart_plan(results)] == expected


def test_duplicates_are_reported_once_each():
    assert duplicates([3, 5, 3, 3, 7, 5]) == [3, 5]
    assert duplicates([]) == []


def test_members_from_hostvars_with_ids_roles_and_instances():
    hostvars = {
        'n17': dict(zookeeper_id=17, zookeeper_address='10.0.0.17'),
        'n203': dict(zookeeper_id='203', zookeeper_role='observer', zookeeper_client_port=2281),
        'pc': dict(zookeeper_instances=[dict(id=5, client_port=2191, quorum_port=2898, election_port=3898),
                                        dict(id=9, client_port=2192, quorum_port=2899, election_port=3899)]),
    }
    members = build_members(['n17', 'n203', 'pc'], hostvars, DEFAULTS)
    by_name = dict((m['name'], m) for m in members)
    assert sorted(by_name) == ['n17', 'n203', 'pc/5', 'pc/9']
    assert by_name['n17']['endpoint'] == '10.0.0.17:2888' and by_name['n17']['firewall_source'] == '10.0.0.17'
    assert by_name['n203']['id'] == 203 and by_name['n203']['role'] == 'observer'
    assert by_name['n203']['remote_client'] == 'n203:2281'
    assert by_name['pc/9']['service'] == 'zookeeper-9' and by_name['pc/9']['data_dir'] == '/var/lib/zookeeper/9'


def member(sid, host):
    return dict(name=host, host=host, id=sid, remote_client='%s:2181' % host)


def info(host, mode='follower', form='dynamic', owed=False):
    return dict(name=host, mode=mode, form=form, restart_owed=owed)


@given(st.lists(st.integers(1, 255), min_size=1, max_size=7, unique=True), st.data())
def test_only_members_down_without_the_roles_leave_block_a_restart(ids, data):
    members = [member(i, 'h%d' % i) for i in ids]
    infos, expected = {}, []
    for m in members:
        state = data.draw(st.sampled_from(['serving', 'stopped', 'owed', 'new', 'unknown', 'not-serving']))
        down = data.draw(st.sampled_from(['unreachable', None]))  # what zk_server_info says of a stopped server
        if state == 'unknown':
            expected.append(m['host'])
            continue
        infos[m['name']] = dict(
            serving=info(m['name']), stopped=info(m['name'], down), owed=info(m['name'], down, owed=True),
            new=info(m['name'], down, form='none'), **{'not-serving': info(m['name'], 'not-serving')})[state]
        if state == 'stopped':
            expected.append(m['host'])
    blockers = restart_blockers(members, infos)
    assert [b.split(' ')[0] for b in blockers] == expected
    for b, host in zip(blockers, expected):
        sid = host[1:]
        assert '(id %s, %s:2181)' % (sid, host) in b


def test_role_defaults_match_the_roles_defaults_file():
    import os

    import yaml
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', '..', '..', '..', 'roles', 'zookeeper', 'defaults', 'main.yml')
    with open(path) as f:
        role = yaml.safe_load(f)
    for key, value in ROLE_DEFAULTS.items():
        assert role['zookeeper_%s' % key] == value, key


def test_changed_instances_from_registered_loops():
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import changed_instances
    inst = [dict(name='h/1'), dict(name='h/2'), dict(name='h/3')]
    cfg = dict(results=[dict(changed=False, __zookeeper_instance=inst[0]), dict(changed=True, __zookeeper_instance=inst[1]),
                        dict(changed=False, skipped=True, __zookeeper_instance=inst[2])])
    unit = dict(results=[dict(changed=True, __zookeeper_instance=inst[2]), dict(changed=True, __zookeeper_instance=inst[1])])
    assert changed_instances([cfg, unit, {}, dict(skipped=True)]) == ['h/2', 'h/3']
    assert changed_instances([]) == []


@given(port=st.integers(1024, 65535), plaintext=st.booleans(), tls=st.booleans())
def test_without_the_plaintext_port_the_checks_use_the_tls_port(port, plaintext, tls):
    hv = {'z1': dict(zookeeper_id=9, zookeeper_address='10.1.2.3', zookeeper_client_tls=tls,
                     zookeeper_secure_client_port=port, zookeeper_client_plaintext=plaintext)}
    m = build_members(['z1'], hv, DEFAULTS)[0]
    off = tls and not plaintext   # the plaintext port is off only with TLS on
    assert m['plaintext'] is not off
    assert m['remote_client'] == '10.1.2.3:%d' % (port if off else 2181)
    assert m['client'] == ('10.1.2.3:%d' % port if off else '127.0.0.1:2181')
    assert m['server']['client_port'] == (0 if off else 2181)
    assert m['client_ports'] == ([] if off else [2181]) + ([port] if tls else [])
    assert m['probe']['client'] == '127.0.0.1:2181'
    assert m['probe']['secure_client'] == ('10.1.2.3:%d' % port if tls else None)


def test_changed_instances_count_the_files_of_zk_files_not_its_directories():
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import changed_instances
    inst = [dict(name='h/1'), dict(name='h/2')]
    files = dict(results=[
        # only a directory's mode changed: no restart
        dict(changed=True, __zookeeper_instance=inst[0], directories=[dict(path='/d', changed=True)],
             files=[dict(path='/d/myid', label='myid', changed=False)]),
        dict(changed=True, __zookeeper_instance=inst[1], directories=[dict(path='/e', changed=False)],
             files=[dict(path='/e/myid', label='myid', changed=False), dict(path='/u', label='unit', changed=True)]),
    ])
    assert changed_instances([files]) == ['h/2']
    # The host's base files (zkServer.sh's environment, the login-shell PATH) ride on the first instance's call:
    # they restart nothing.
    files['results'][0]['files'].append(dict(path='/etc/zookeeper/conf_zkops/environment', label='host', changed=True))
    assert changed_instances([files]) == ['h/2']
    files['results'][0]['files'].append(dict(path='/d/java.args', label='java.args', changed=True))
    assert changed_instances([files]) == ['h/1', 'h/2']


ROLES = st.sampled_from(['participant', 'observer'])


@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(-5, 300), st.just('x')), ROLES), min_size=1, max_size=9),
       st.randoms())
def test_member_problems_match_a_direct_reading_of_the_rules(spec, rnd):
    """Generated ensembles, one instance per host: each rule the role's preflight states is found exactly when it
    is broken, and the message names the variable and the value."""
    hv = dict(('h%d' % i, dict(zookeeper_id=sid, zookeeper_role=role)) for i, (sid, role) in enumerate(spec))
    members = build_members(sorted(hv), hv, DEFAULTS)
    host = rnd.choice(sorted(hv))
    found = member_problems(members, host, 'zookeeper')
    text = ' '.join(found['problems'])
    mine = hv[host]['zookeeper_id']
    valid = isinstance(mine, int) and 1 <= mine <= 255
    assert ('zookeeper_id=%s is invalid' % (mine if mine is not None else '(not set)') in text) == (not valid)
    ids = [s for s, _r in spec if s is not None]
    for sid in set(ids):
        assert ('zookeeper_id=%s is set on more than one member' % sid in text) == (ids.count(sid) > 1)
    participants = [r for _s, r in spec].count('participant')
    assert ('no participants' in text) == (participants == 0)
    assert ('tolerates 0 failures' in text) == (participants == 2)
    assert bool(found['ensemble_warnings']) == (participants > 2 and participants % 2 == 0)
    assert 'tolerates 0 failures' not in ' '.join(member_problems(members, host, 'zookeeper', allow_unsafe=True)['problems'])
    if valid and len(set(ids)) == len(ids) and participants not in (0, 2):
        assert found['problems'] == []


def test_member_problems_name_a_host_outside_the_group_and_instance_ports():
    hv = dict(a=dict(zookeeper_id=1), b=dict(zookeeper_id=2), c=dict(zookeeper_id=3))
    members = build_members(['a', 'b', 'c'], hv, DEFAULTS)
    assert member_problems(members, 'z', 'zk')['problems'] == [
        "this host is not in the inventory group zookeeper_ensemble_group='zk' (a, b, c)."]
    hv['a'] = dict(zookeeper_instances=[dict(id=1, client_port=2181, quorum_port=2888, election_port=3888),
                                        dict(id=4, client_port=2182, quorum_port=2888, election_port=70000)])
    members = build_members(['a', 'b', 'c'], hv, DEFAULTS)
    problems = member_problems(members, 'a', 'zk', instances_given=True)['problems']
    assert 'port(s) 2888 used twice in zookeeper_instances' in problems[0], problems
    assert any('a/4 has zookeeper_instances election_port=70000; ports are 1-65535.' == p for p in problems), problems
    assert 'Quorum endpoint a:2888 (zookeeper_address:zookeeper_quorum_port) is used by more than one member: a/1, a/4.' \
        in problems, problems
    # The secure client port is checked only with client TLS.
    assert not any('secure_client_port' in p for p in problems)
    # A group with no hosts in the inventory is named as such, not as a membership change.
    assert member_problems(build_members(['z'], dict(z=dict(zookeeper_id=1)), DEFAULTS), 'z', 'nosuchgroup',
                           group_known='false')['problems'] == [
        "zookeeper_ensemble_group='nosuchgroup' names no group with hosts in the inventory: set it to the inventory "
        "group of the ensemble's members."]


@given(st.sampled_from([True, 'true', 'True', 'yes', 'on', 1, '1']),
       st.sampled_from([(False, False), ('false', False), ('no', False), ('off', False), (0, False), ('0', False),
                        (True, True), ('yes', True), ('true', True)]))
def test_client_tls_and_plaintext_are_read_as_ansible_reads_booleans(tls, plaintext):
    value, expected = plaintext
    hv = dict(a=dict(zookeeper_id=1, zookeeper_client_tls=tls, zookeeper_client_plaintext=value))
    member, = build_members(['a'], hv, dict(DEFAULTS, client_tls=False, secure_client_port=2281,
                                            client_plaintext=True))
    assert member['secure_client_port'] == 2281 and member['plaintext'] is expected
    off, = build_members(['a'], dict(a=dict(hv['a'], zookeeper_client_tls='no')), dict(DEFAULTS, secure_client_port=2281))
    assert off['secure_client_port'] == 0 and off['plaintext'] is True


# Several ensembles in one play (fleet_problems).
from hypothesis import given, strategies as st  # noqa: E402
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import fleet_problems  # noqa: E402


@given(st.lists(st.sets(st.sampled_from(['zk_a', 'zk_b', 'zk_c']), min_size=1, max_size=3), min_size=1, max_size=6))
def test_a_host_in_two_ensembles_of_the_play_is_refused_naming_both(memberships):
    hosts = ['h%d' % i for i in range(len(memberships))]
    groups = dict((g, [h for h, gs in zip(hosts, memberships) if g in gs]) for g in ('zk_a', 'zk_b', 'zk_c'))
    hostvars = dict((h, dict(zookeeper_ensemble_group=sorted(gs)[0], zookeeper_id=1, zookeeper_address='10.0.0.%d' % i))
                    for i, (h, gs) in enumerate(zip(hosts, memberships)))
    named = set(hv['zookeeper_ensemble_group'] for hv in hostvars.values())
    for h, gs in zip(hosts, memberships):
        problems = fleet_problems(h, hosts, hostvars, groups)
        twice = sorted(g for g in gs if g in named)
        assert bool(problems) == (len(twice) > 1), (h, gs, named, problems)
        if len(twice) > 1:
            assert all("'%s'" % g in problems[0] for g in twice)


def test_two_ensembles_on_one_machine_are_refused_only_where_their_ports_meet():
    groups = dict(zk_a=['a1'], zk_b=['b1'])
    hostvars = dict(a1=dict(zookeeper_ensemble_group='zk_a', ansible_host='10.1.1.1', zookeeper_id=1),
                    b1=dict(zookeeper_ensemble_group='zk_b', ansible_host='10.1.1.1', zookeeper_id=1))
    problems = fleet_problems('a1', ['a1', 'b1'], hostvars, groups)
    assert len(problems) == 1 and 'b1' in problems[0] and '2181' in problems[0] and '10.1.1.1' in problems[0]
    hostvars['b1'].update(zookeeper_client_port=2191, zookeeper_quorum_port=2898, zookeeper_election_port=3898,
                          zookeeper_metrics_port=7010, zookeeper_metrics_role_port=7110)
    assert fleet_problems('a1', ['a1', 'b1'], hostvars, groups) == []
    hostvars['b1']['zookeeper_metrics_port'] = 7000
    assert '7000' in fleet_problems('a1', ['a1', 'b1'], hostvars, groups)[0]
    # Other machines never clash.
    hostvars['b1']['ansible_host'] = '10.1.1.2'
    assert fleet_problems('a1', ['a1', 'b1'], hostvars, groups) == []


def test_one_lab_ca_per_play():
    groups = dict(zk_a=['a1'], zk_b=['b1'])
    hostvars = dict(a1=dict(zookeeper_ensemble_group='zk_a', zookeeper_tls_lab_ca=True, zookeeper_tls_lab_ca_dir='/x'),
                    b1=dict(zookeeper_ensemble_group='zk_b', zookeeper_tls_lab_ca=True, zookeeper_tls_lab_ca_dir='/y'))
    assert 'zookeeper_tls_lab_ca_dir=/x' in fleet_problems('a1', ['a1', 'b1'], hostvars, groups)[0]
    hostvars['b1']['zookeeper_tls_lab_ca_dir'] = '/x'
    assert fleet_problems('a1', ['a1', 'b1'], hostvars, groups) == []

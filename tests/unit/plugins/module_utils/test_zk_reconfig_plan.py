"""Safety rules of an incremental reconfig (zk_reconfig_plan), with generated memberships."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import format_server, parse_server
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_reconfig_plan import plan_change, voters


def member(sid, role='participant', port=2888):
    return dict(id=sid, address='zk%d.example' % sid, quorum_port=port, election_port=3888, role=role,
                client_address='0.0.0.0', client_port=2181)


roles = st.sampled_from(['participant', 'observer'])
memberships = st.dictionaries(st.integers(1, 255), roles, min_size=1, max_size=9)


def apply(current, change):
    """What ZooKeeper does with an incremental reconfig."""
    out = dict((s['id'], s) for s in current if s['id'] not in change['leaving'])
    for line in change['joining']:
        key, value = line.split('=', 1)
        server = parse_server(key, value)
        out[server['id']] = server
    return out


@given(memberships, memberships)
def test_the_plan_reaches_the_desired_membership_or_refuses(before, after):
    current = [member(i, r) for i, r in before.items()]
    desired = [member(i, r) for i, r in after.items()]
    change = plan_change(current, desired, allow_two_voters=True)
    if change['errors']:
        return
    result = apply(current, change)
    assert sorted(format_server(s) for s in result.values()) == sorted(format_server(s) for s in desired)
    assert plan_change(list(result.values()), desired, allow_two_voters=True)['joining'] == []


@given(memberships, memberships)
def test_never_loses_a_majority_of_the_current_voters(before, after):
    current = [member(i, r) for i, r in before.items()]
    desired = [member(i, r) for i, r in after.items()]
    change = plan_change(current, desired, allow_two_voters=True)
    old_v, new_v = voters(current), voters(desired)
    if not change['errors'] and old_v and (change['leaving'] or change['role_changes']):
        assert len(old_v & new_v) * 2 > len(old_v)
    if not new_v:
        assert change['errors']


def test_two_voters_need_consent():
    current = [member(i) for i in (4, 9, 17)]
    change = plan_change(current, [member(4), member(9)])
    assert any('2 voters' in e for e in change['errors'])
    assert not plan_change(current, [member(4), member(9)], allow_two_voters=True)['errors']


def test_role_and_port_changes_are_updates():
    current = [member(i) for i in (10, 20, 30)] + [member(40, 'observer')]
    desired = [member(10), member(20), member(30, port=2999), member(40)]
    change = plan_change(current, desired)
    assert change['leaving'] == [] and change['role_changes'] == [40]
    assert sorted(change['joining']) == sorted([format_server(member(30, port=2999)), format_server(member(40))])


def test_duplicate_endpoints_and_ids_are_refused():
    change = plan_change([member(1)], [member(1), dict(member(2), address='zk1.example')])
    assert any('share the quorum endpoint' in e for e in change['errors'])
    change = plan_change([member(1)], [member(1), member(1, 'observer')])
    assert any('more than once' in e for e in change['errors'])

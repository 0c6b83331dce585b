"""Parsers behind zk_host_info, and what the role's firewalld tasks still have to do (zk_firewall.firewalld_changes).

The property that matters: whatever cannot be told for sure counts as "not there", so the role runs the task."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import firewalld_changes, rich_rule
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_host_state import (
    parse_show, unit_down,
    installed_from_dpkg,
    installed_from_rpm,
    missing_packages,
    units_from_systemctl_show,
)

NAMES = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789+-.', min_size=1, max_size=12)
# second letter of dpkg's abbreviated status: i installed; n, c, U, F, h, W, t are not
STATUS = st.sampled_from(['ii ', 'hi ', 'iU ', 'rc ', 'un ', 'iF ', 'pn ', 'iW '])


@given(st.dictionaries(NAMES, STATUS, max_size=6), st.lists(NAMES, max_size=4))
def test_a_package_counts_as_installed_only_when_dpkg_says_so(known, unknown):
    out = ''.join('%s\t%s\n' % (name, status) for name, status in known.items())
    names = list(dict.fromkeys(list(known) + unknown))
    missing = missing_packages(names, installed_from_dpkg(out))
    assert missing == [n for n in names if n not in known or known[n][1] != 'i']


def test_names_with_a_version_arch_or_pattern_are_always_missing():
    installed = {'zookeeper', 'default-jre-headless'}
    names = ['zookeeper=3.8.0-11', 'zookeeper', 'default-jre-headless:amd64', 'openjdk-*', 'zookeeper']
    assert missing_packages(names, installed) == ['zookeeper=3.8.0-11', 'default-jre-headless:amd64', 'openjdk-*']


def test_rpm_lists_only_the_installed_names():
    out = 'java-17-openjdk-headless\npackage zookeeper is not installed\n'
    assert installed_from_rpm(out, ['java-17-openjdk-headless', 'zookeeper']) == {'java-17-openjdk-headless'}


UNIT = st.fixed_dictionaries({'ActiveState': st.sampled_from(['active', 'inactive', 'failed', 'activating']),
                              'UnitFileState': st.sampled_from(['enabled', 'disabled', 'static', '', 'masked']),
                              'FragmentPath': st.sampled_from(['', '/etc/systemd/system/zk.service',
                                                               '/lib/systemd/system/dbus.service']),
                              'Description': st.sampled_from(['', 'D-Bus System Message Bus', 'Apache ZooKeeper'])})


@given(st.lists(st.tuples(NAMES, UNIT), min_size=1, max_size=5, unique_by=lambda t: t[0]))
def test_units_are_read_in_the_order_given_and_anything_else_is_neither(units):
    out = '\n'.join('ActiveState=%s\nUnitFileState=%s\nFragmentPath=%s\nDescription=%s\n'
                    % (u['ActiveState'], u['UnitFileState'], u['FragmentPath'], u['Description']) for _n, u in units)
    names = [n for n, _u in units]
    got = units_from_systemctl_show(out, names)
    for name, unit in units:
        assert got[name] == dict(active=unit['ActiveState'] == 'active', enabled=unit['UnitFileState'] == 'enabled',
                                 fragment_path=unit['FragmentPath'] or None, description=unit['Description'] or None)
    # one block short (systemctl said something else): nothing is taken as active or enabled
    short = units_from_systemctl_show(out.rsplit('ActiveState', 1)[0], names)
    assert all(not u['active'] and not u['enabled'] for u in short.values())


PORT_NUMBERS = st.sampled_from([2181, 2281, 2182, 12181])
RULES = [rich_rule(src, port) for src in ('10.0.0.1', '10.0.0.2', 'fd00::1') for port in (2888, 3888, 2181)]


def zone(ports, rules):
    return dict(ports=['%d/tcp' % p for p in ports] + ['22/tcp'], rich_rules=list(rules))


@given(st.data())
def test_only_what_is_not_in_both_runtime_and_permanent_is_done(data):
    # The plaintext and the TLS client port differ (preflight refuses one port for both).
    local = [dict(client_port=data.draw(PORT_NUMBERS.filter(lambda p: p != 2281)), quorum_port=2888, election_port=3888,
                  plaintext=data.draw(st.booleans()), secure_client_port=data.draw(st.sampled_from([0, 2281])))]
    wanted = data.draw(st.lists(st.sampled_from(RULES), unique=True))
    sources = data.draw(st.sampled_from([[], ['10.9.0.0/16']]))
    runtime = zone(data.draw(st.sets(PORT_NUMBERS)), data.draw(st.sets(st.sampled_from(RULES))))
    permanent = zone(data.draw(st.sets(PORT_NUMBERS)), data.draw(st.sets(st.sampled_from(RULES))))
    todo = firewalld_changes(local, dict(runtime=runtime, permanent=permanent), wanted, sources)
    inst = local[0]
    ports = ([inst['client_port']] if inst['plaintext'] else []) + ([2281] if inst['secure_client_port'] else [])
    ports = list(dict.fromkeys(ports))
    both = set(runtime['ports']) & set(permanent['ports'])
    anywhere = set(runtime['ports']) | set(permanent['ports'])
    assert todo['open_ports'] == ([] if sources else [p for p in ports if '%d/tcp' % p not in both])
    assert todo['close_open_ports'] == ([p for p in ports if '%d/tcp' % p in anywhere] if sources else [])
    off = [] if inst['plaintext'] else [inst['client_port']]
    assert todo['close_plaintext_ports'] == [p for p in off if '%d/tcp' % p in anywhere]
    assert todo['add_rules'] == [r for r in wanted if not (r in runtime['rich_rules'] and r in permanent['rich_rules'])]
    # stale: the role's own rules on this host's ports, permanent, not wanted
    assert set(todo['stale_rules']) <= set(permanent['rich_rules']) - set(wanted)
    # The role's one firewalld task does all of it, in an order that never shuts a client out: every rule of the
    # listed sources is in before a client port stops being open to any source.
    actions = todo['actions']
    assert len(actions) == sum(len(todo[k]) for k in ('open_ports', 'close_plaintext_ports', 'close_open_ports',
                                                      'add_rules'))
    assert [a['rich_rule'] for a in actions if 'rich_rule' in a] == todo['add_rules']
    assert sorted(a['port'] for a in actions if a.get('port') and a['state'] == 'enabled') == \
        sorted('%d/tcp' % p for p in todo['open_ports'])
    last_rule = max([i for i, a in enumerate(actions) if 'rich_rule' in a] or [-1])
    closing = [i for i, a in enumerate(actions) if a.get('port') in ['%d/tcp' % p for p in todo['close_open_ports']]
               and a['state'] == 'disabled']
    assert all(i > last_rule for i in closing), actions


@given(st.sampled_from([None, dict(runtime=None, permanent=None), dict(runtime=zone([2181], RULES), permanent=None)]),
       st.sampled_from([[], ['10.9.0.0/16']]))
def test_firewalld_not_read_hands_everything_to_the_module_and_calls_nothing_stale(state, sources):
    local = [dict(client_port=2181, quorum_port=2888, election_port=3888, plaintext=False, secure_client_port=2281)]
    todo = firewalld_changes(local, state, RULES, sources)
    assert todo['add_rules'] == RULES and todo['stale_rules'] == []
    assert todo['close_plaintext_ports'] == [2181]
    assert (todo['open_ports'], todo['close_open_ports']) == (([], [2281]) if sources else ([2281], []))


ACTIVE_STATES = ['active', 'activating', 'failed', 'inactive', 'deactivating', 'reloading']
SUB_STATES = ['running', 'start', 'auto-restart', 'failed', 'dead', 'exited']
STATES = st.fixed_dictionaries({'ActiveState': st.sampled_from(ACTIVE_STATES),
                                'SubState': st.sampled_from(SUB_STATES),
                                'NRestarts': st.integers(0, 5).map(str), 'ExecMainStatus': st.sampled_from(['0', '1'])})


@given(STATES, st.integers(0, 5))
def test_a_unit_is_down_when_it_exited_waits_to_restart_or_restarted_during_the_wait(now, before):
    why = unit_down(now, {'NRestarts': str(before)})
    crashed = (now['ActiveState'] in ('failed', 'inactive', 'deactivating')
               or now['SubState'] in ('auto-restart', 'failed', 'dead', 'exited') or int(now['NRestarts']) > before)
    assert (why is not None) == crashed
    if why:
        assert now['ActiveState'] in why and 'exit status %s' % now['ExecMainStatus'] in why


def test_systemctl_show_of_one_unit():
    assert parse_show('ActiveState=active\nSubState=running\nNRestarts=0\n') == dict(
        ActiveState='active', SubState='running', NRestarts='0')

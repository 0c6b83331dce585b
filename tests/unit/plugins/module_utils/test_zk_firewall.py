"""The firewalld rich rules the role owns (zk_firewall): wanted, stale, and valid sources."""
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import (
    invalid_sources,
    rich_rule,
    stale_rules,
    wanted_rules,
)

PORTS = dict(client_port=2181, quorum_port=2888, election_port=3888)


def member(host, source):
    return dict(PORTS, host=host, firewall_source=source)


@given(st.lists(st.ip_addresses().map(str), min_size=1, max_size=6, unique=True), st.data())
def test_peers_get_quorum_ports_and_clients_only_what_is_listed(addresses, data):
    members = [member('h%d' % i, a) for i, a in enumerate(addresses)]
    me = data.draw(st.sampled_from(members))
    sources = data.draw(st.lists(st.sampled_from(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']), unique=True))
    rules = wanted_rules([me], members, sources, me['host'])
    others = [m['firewall_source'] for m in members if m['host'] != me['host']]
    assert set(rules) >= set(rich_rule(s, p) for s in others for p in (2888, 3888))
    assert not any(rich_rule(me['firewall_source'], p) in rules for p in (2888, 3888)) or me['firewall_source'] in others
    client = [r for r in rules if 'port="2181"' in r]
    if sources:
        # listed sources, plus every member, so the members' own checks reach each other
        assert set(client) == set(rich_rule(s, 2181) for s in set(sources) | set(addresses))
    else:
        assert client == []   # the plain open-to-all port rule covers it
    assert len(rules) == len(set(rules))


def test_only_the_roles_rules_on_its_ports_are_stale():
    me = member('h1', '10.0.0.1')
    wanted = wanted_rules([me], [me, member('h2', '10.0.0.2')], [], 'h1')
    current = wanted + [
        rich_rule('10.0.0.9', 2888),                        # a departed member: stale
        rich_rule('10.0.0.9', 2181),                        # an old client source: stale
        rich_rule('10.0.0.9', 22),                          # not a ZooKeeper port: left alone
        'rule family="ipv4" source address="10.0.0.9" reject',  # not the role's form: left alone
    ]
    assert stale_rules(current, wanted, [me]) == [rich_rule('10.0.0.9', 2888), rich_rule('10.0.0.9', 2181)]


def test_invalid_sources_are_named_as_given():
    assert invalid_sources(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']) == []
    assert invalid_sources(['10.0.0.300', 'zk1.example.net', '10.0.0.0/33', '', 'fd00::/129']) == [
        '10.0.0.300', 'zk1.example.net', '10.0.0.0/33', '', 'fd00::/129']


@given(st.lists(st.sampled_from(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']), unique=True, min_size=1),
       st.integers(1024, 65535).filter(lambda p: p not in (2181, 2888, 3888)))
def test_the_tls_client_port_gets_the_same_sources_and_is_owned(sources, secure):
    me = dict(member('h1', '10.0.0.1'), secure_client_port=secure)
    rules = wanted_rules([me], [me], sources, 'h1')
    assert set(r for r in rules if 'port="%d"' % secure in r) == set(rich_rule(s, secure) for s in sources + ['10.0.0.1'])
    # When TLS is turned off, its rules are the role's to remove.
    plain = dict(me, secure_client_port=0)
    assert set(stale_rules(rules, wanted_rules([plain], [plain], sources, 'h1'), [me])) == \
        set(r for r in rules if 'port="%d"' % secure in r)


def test_the_plaintext_client_port_is_not_wanted_when_off_and_its_rules_are_stale():
    me = dict(member('h0', '10.0.0.1'), secure_client_port=2281, plaintext=False)
    rules = wanted_rules([me], [me], ['10.9.0.0/16'], 'h0')
    assert rich_rule('10.9.0.0/16', 2281) in rules and not any('port="2181"' in r for r in rules)
    assert stale_rules([rich_rule('10.9.0.0/16', 2181), rich_rule('10.9.0.0/16', 2281)], rules, [me]) == \
        [rich_rule('10.9.0.0/16', 2181)]


@given(st.lists(st.ip_addresses().map(str), max_size=4, unique=True), st.sampled_from(['none', 'exporter', 'native']),
       st.booleans())
def test_the_metrics_ports_are_open_to_the_metrics_sources_only_and_stale_when_off(sources, provider, metrics):
    local = [dict(member('zk1', '10.0.0.1'), metrics=metrics, metrics_port=7000, metrics_role_port=7100)]
    members = local + [member('zk2', '10.0.0.2')]
    wanted = wanted_rules(local, members, [], 'zk1', sources, provider)
    on = metrics and provider != 'none'
    ports = ([7000] + ([7100] if provider == 'native' else [])) if on else []
    assert [r for r in wanted if 'port="7' in r] == [rich_rule(s, p) for p in ports for s in sources]
    # Whatever is on, rules of the metrics ports that are not wanted are the role's, and stale.
    current = [rich_rule(s, p) for s in sources + ['192.0.2.9'] for p in (7000, 7100)]
    assert sorted(stale_rules(current, wanted, local)) == sorted(r for r in current if r not in wanted)

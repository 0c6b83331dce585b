"""Where an address meets a port (zk_endpoint), and every parser that reads what it writes, over generated addresses:
IPv4, IPv6 (full, compressed, IPv4-mapped, upper case) and host names."""
import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import format_server, parse_server
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import split_hosts
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import (
    address_problem, canonical, endpoint, is_ipv6, split_endpoint)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import build_members
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import rich_rule

ipv4 = st.ip_addresses(v=4).map(str)
ipv6_full = st.ip_addresses(v=6).map(lambda a: a.exploded)
ipv6_short = st.ip_addresses(v=6).map(lambda a: a.compressed)
ipv6_upper = st.ip_addresses(v=6).map(lambda a: a.compressed.upper())
ipv6_mapped = st.ip_addresses(v=4).map(lambda a: '::ffff:%s' % a)
label = st.from_regex(r'\A[a-z]([a-z0-9-]{0,10}[a-z0-9])?\Z')
hostname = st.lists(label, min_size=1, max_size=3).map('.'.join).filter(lambda h: not h.replace('.', '').isdigit())
ipv6 = st.one_of(ipv6_full, ipv6_short, ipv6_upper, ipv6_mapped)
address = st.one_of(ipv4, ipv6, hostname)
port = st.integers(1, 65535)


@given(address, port)
def test_an_endpoint_reads_back_as_its_address_and_port(addr, p):
    text = endpoint(addr, p)
    host, back = split_endpoint(text)
    assert (host, back) == (addr, p)
    assert text.startswith('[') == is_ipv6(addr)


@given(st.lists(st.tuples(address, port), min_size=1, max_size=5, unique_by=lambda t: (canonical(t[0]).lower(), t[1])))
def test_a_hosts_string_of_endpoints_splits_into_them(pairs):
    hosts = ','.join(endpoint(a, p) for a, p in pairs)
    assert split_hosts(hosts) == list(pairs)


@given(ipv6)
def test_a_bare_ipv6_literal_in_hosts_is_refused_with_the_bracketed_form(addr):
    with pytest.raises(ValueError, match=r'write it in brackets'):
        split_hosts('%s' % addr)


@given(st.integers(1, 255), address, port, port, st.sampled_from(['participant', 'observer']),
       st.one_of(st.none(), st.tuples(st.one_of(st.just('0.0.0.0'), st.just('::'), ipv4, ipv6_short), port)))
def test_a_server_line_reads_back_as_the_server(sid, addr, qport, eport, role, client):
    server = dict(id=sid, address=addr, quorum_port=qport, election_port=eport, role=role,
                  client_address=client[0] if client else None, client_port=client[1] if client else None)
    line = format_server(server)
    key, _sep, value = line.partition('=')
    assert parse_server(key, value) == dict(server, address=canonical(addr),
                                            client_address=canonical(client[0]) if client else None)
    if is_ipv6(addr):
        assert value.startswith('[%s]:%d:%d' % (addr, qport, eport))
    # ZooKeeper writes an IPv6 address out in full in its dynamic file: it reads back as the same member.
    if is_ipv6(addr):
        full = value.replace('[%s]' % addr, '[%s]' % ipaddress.ip_address(addr).exploded)
        assert parse_server(key, full)['address'] == canonical(addr)


@given(ipv6, ipv6)
def test_canonical_forms_are_equal_exactly_when_the_addresses_are(a, b):
    assert (canonical(a) == canonical(b)) == (ipaddress.ip_address(a) == ipaddress.ip_address(b))


@given(st.lists(st.tuples(st.one_of(ipv4, ipv6), st.integers(1, 255)), min_size=1, max_size=5,
                unique_by=(lambda t: canonical(t[0]), lambda t: t[1])), st.booleans())
def test_the_model_writes_every_endpoint_through_the_helper(members, tls):
    hostvars = dict(('h%d' % i, dict(zookeeper_address=a, zookeeper_id=sid, zookeeper_client_tls=tls))
                    for i, (a, sid) in enumerate(members))
    for m, (a, _sid) in zip(build_members(sorted(hostvars, key=lambda h: int(h[1:])), hostvars), members):
        assert m['address'] == canonical(a)
        for key in ('remote_client', 'endpoint') + (('remote_secure_client',) if tls else ()):
            assert split_endpoint(m[key])[0] == canonical(a)
        assert split_hosts(m['remote_client'])[0][0] == canonical(a)
        assert m['firewall_source'] == canonical(a)
        assert m['listen_any'] == ('::' if is_ipv6(a) else '0.0.0.0')


@given(st.one_of(ipv4, ipv6), port)
def test_a_rich_rule_has_the_family_and_the_form_firewalld_lists(addr, p):
    rule = rich_rule(addr, p)
    assert ('family="ipv6"' in rule) == is_ipv6(addr)
    assert 'address="%s"' % ipaddress.ip_address(addr).compressed in rule


@settings(max_examples=50)
@given(address)
def test_members_addresses_are_accepted(addr):
    assert address_problem(addr) is None


@pytest.mark.parametrize('bad, why', [
    ('fe80::1%eth0', 'zone index'),
    ('[fd00::2]', 'without brackets'),
    ('fd00::2::3', 'not an IPv6 address'),
    (' zk1', 'without spaces'),
])
def test_addresses_no_member_could_reach_are_refused(bad, why):
    assert why in address_problem(bad)


@pytest.mark.parametrize('text, why', [
    ('[fd00::2', 'not [IPv6]:port'),
    ('[zk1]:2181', 'not an IPv6 address'),
    ('[fd00::2]:', 'empty port'),
    ('[fd00::2]x', 'not [IPv6]:port'),
    ('zk1:99999', 'out of range'),
    ('zk1:+1', 'out of range'),
    ('zk1:abc', 'not a number'),
    (':2181', 'no host name'),
])
def test_malformed_endpoints_are_refused_naming_the_text(text, why):
    with pytest.raises(ValueError, match=re.escape(why)) as e:
        split_endpoint(text)
    assert text.strip() in str(e.value)

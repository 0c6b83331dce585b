# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld rich rules the role owns: exactly these, on exactly its ports."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

_RULE = re.compile(r'^rule family="(ipv4|ipv6)" source address="([^"]+)" port port="([0-9]+)" protocol="tcp" accept$')


def invalid_sources(sources):
    """The entries of a source list that are not an IPv4/IPv6 address or CIDR range, as given."""
    bad = []
    for source in sources:
        try:
            ipaddress.ip_network(str(source), strict=False)
        except ValueError:
            bad.append(source)
    return bad


def _source(source):
    """(family, source) with an IP literal or CIDR range in its compressed, lower-case form, as firewalld lists it."""
    text = str(source).strip()
    try:
        value = ipaddress.ip_interface(text)
    except ValueError:
        return ('ipv6' if ':' in text else 'ipv4'), text
    shown = value.with_prefixlen if '/' in text else value.ip.compressed
    return 'ipv%d' % value.version, shown


def rich_rule(source, port):
    family, source = _source(source)
    return 'rule family="%s" source address="%s" port port="%d" protocol="tcp" accept' % (family, source, int(port))


def client_ports(inst):
    """The client ports an instance listens on: plaintext (unless turned off) and TLS (when on)."""
    return (([int(inst['client_port'])] if inst.get('plaintext', True) else [])
            + ([int(inst['secure_client_port'])] if inst.get('secure_client_port') else []))


def metrics_ports(inst, provider='exporter'):
    """The metrics ports an instance serves on with ``provider`` (zk_metrics.choose_provider's): the exporter's or
    the native provider's port, and beside the native provider the exporter's port of the role's series."""
    if provider not in ('exporter', 'native') or not inst.get('metrics', True) or not inst.get('metrics_port'):
        return []
    return [int(inst['metrics_port'])] + ([int(inst['metrics_role_port'])] if provider == 'native' else [])


def wanted_rules(local, members, client_sources, this_host, metrics_sources=(), metrics_provider='none'):
    """Client ports: the listed sources plus every member (when sources are listed);
    quorum and election ports: the other members' sources; metrics ports: the metrics sources only."""
    peers = []
    for m in members:
        if m['host'] != this_host and m['firewall_source'] and m['firewall_source'] not in peers:
            peers.append(m['firewall_source'])
    everyone = sorted(set(m['firewall_source'] for m in members if m['firewall_source']))
    rules = []
    for inst in local:
        if client_sources:
            for port in client_ports(inst):
                for source in list(client_sources) + [s for s in everyone if s not in client_sources]:
                    rules.append(rich_rule(source, port))
        for source in peers:
            rules.append(rich_rule(source, inst['quorum_port']))
            rules.append(rich_rule(source, inst['election_port']))
        for port in metrics_ports(inst, metrics_provider):
            for source in metrics_sources:
                rules.append(rich_rule(str(source), port))
    out = []
    for rule in rules:
        if rule not in out:
            out.append(rule)
    return out


def stale_rules(current, wanted, local):
    """Rules in ``current`` (firewall-cmd --list-rich-rules lines) on this host's ZooKeeper ports
    that are not wanted.  Anything else is not the role's and is left alone."""
    ports = set()
    for inst in local:
        ports.update(int(inst[k]) for k in ('quorum_port', 'election_port', 'client_port'))
        # The metrics ports are the role's whether metrics are on or not: turned off, their rules are stale.
        ports.update(int(inst[k]) for k in ('metrics_port', 'metrics_role_port') if str(inst.get(k, '')).isdigit())
        ports.update(client_ports(inst))
    keep = set(wanted)
    stale = []
    for line in current:
        line = line.strip()
        match = _RULE.match(line)
        if match and int(match.group(3)) in ports and line not in keep:
            stale.append(line)
    return stale


def firewalld_changes(local, firewalld, wanted, client_sources):
    """What the role's firewalld tasks still have to do, given what firewalld holds now.

    ``firewalld`` is zk_host_info's answer: ``runtime`` and ``permanent`` each hold ``ports`` (``2181/tcp``) and
    ``rich_rules``, or are None when firewalld could not be read. A port or rule counts as there only when it is in
    both; unknown state counts as "maybe there", so every port and rule is then handed to ansible.posix.firewalld,
    which decides, and no rule is called stale."""
    runtime = (firewalld or {}).get('runtime')
    permanent = (firewalld or {}).get('permanent')
    known = runtime is not None and permanent is not None
    ports_both = set(runtime['ports']).intersection(permanent['ports']) if known else set()
    ports_any = set(runtime['ports']).union(permanent['ports']) if known else None
    rules_both = set(runtime['rich_rules']).intersection(permanent['rich_rules']) if known else set()
    ports = []
    for inst in local:
        ports.extend(p for p in client_ports(inst) if p not in ports)
    plaintext_off = [int(i['client_port']) for i in local if not i.get('plaintext', True)]

    def there(port):
        return ports_any is None or '%d/tcp' % port in ports_any

    changes = dict(
        open_ports=[] if client_sources else [p for p in ports if '%d/tcp' % p not in ports_both],
        close_plaintext_ports=[p for p in plaintext_off if there(p)],
        close_open_ports=[p for p in ports if there(p)] if client_sources else [],
        add_rules=[r for r in wanted if r not in rules_both],
        stale_rules=stale_rules(permanent['rich_rules'], wanted, local) if known else [],
    )
    changes['actions'] = firewalld_actions(changes)
    return changes


def firewalld_actions(changes):
    """The changes as ansible.posix.firewalld items, in the order that never shuts a client out: the plaintext port
    that is off closes, client ports open (no sources listed), the rules of the listed sources and the members go
    in, and only then the client ports stop being open to any source."""
    return ([dict(port='%d/tcp' % p, state='disabled') for p in changes['close_plaintext_ports']]
            + [dict(port='%d/tcp' % p, state='enabled') for p in changes['open_ports']]
            + [dict(rich_rule=r, state='enabled') for r in changes['add_rules']]
            + [dict(port='%d/tcp' % p, state='disabled') for p in changes['close_open_ports']])

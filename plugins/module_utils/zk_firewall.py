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


def rich_rule(source, port):
    family = 'ipv6' if ':' in source else 'ipv4'
    return 'rule family="%s" source address="%s" port port="%d" protocol="tcp" accept' % (family, source, int(port))


def client_ports(inst):
    """The client ports an instance listens on: plaintext (unless turned off) and TLS (when on)."""
    return (([int(inst['client_port'])] if inst.get('plaintext', True) else [])
            + ([int(inst['secure_client_port'])] if inst.get('secure_client_port') else []))


def wanted_rules(local, members, client_sources, this_host):
    """Client ports: the listed sources plus every member (when sources are listed);
    quorum and election ports: the other members' sources."""
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
        ports.update(client_ports(inst))
    keep = set(wanted)
    stale = []
    for line in current:
        line = line.strip()
        match = _RULE.match(line)
        if match and int(match.group(3)) in ports and line not in keep:
            stale.append(line)
    return stale

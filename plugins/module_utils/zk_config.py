# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZooKeeper's configuration formats: server lines, dynamic config, zoo.cfg.

Pure functions, shared by the zk_reconfig module and the role's filters.

A server line (3.5+ format) reads
``server.<id>=<address>:<quorum port>:<election port>[:<role>][;[<client address>:]<client port>]``.
ZooKeeper rewrites zoo.cfg itself once dynamic reconfiguration is on (it
keeps the keys as Java properties, drops comments and points
``dynamicConfigFile`` at the newest ``zoo.cfg.dynamic.<version>``), so the
role compares zoo.cfg by its keys, ignoring those ZooKeeper owns.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import re

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import canonical, endpoint

ROLES = ('participant', 'observer')
# Keys ZooKeeper moves out of, or rewrites in, the static file.
ZK_OWNED_KEYS = ('dynamicConfigFile',)
_SERVER_KEY = re.compile(r'^server\.([0-9]+)$')


class ConfigError(ValueError):
    """A configuration line that cannot be understood."""


def _split_host_port(text, what):
    text = text.strip()
    if text.startswith('['):
        host, sep, rest = text[1:].partition(']')
        if not sep or not rest.startswith(':'):
            raise ConfigError('%s %r: an IPv6 address needs the form [address]:port' % (what, text))
        return host, rest[1:]
    host, sep, port = text.rpartition(':')
    if not sep:
        return None, text
    return host, port


def _port(value, what):
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ConfigError('%s: port %r is not a number' % (what, value))
    if not 0 < port < 65536:
        raise ConfigError('%s: port %d is out of range 1-65535' % (what, port))
    return port


def parse_server(key, value):
    """Parse one ``server.N=...`` entry into a dict (id, address, ports, role, client)."""
    match = _SERVER_KEY.match(key.strip())
    if not match:
        raise ConfigError('%r is not a server.<id> key' % key)
    sid = int(match.group(1))
    what = 'server.%d' % sid
    spec, sep, client = value.strip().partition(';')
    parts = spec.strip()
    role = 'participant'
    # address may be [ipv6]; the ports and the role follow the last ']'
    head, tail = '', parts
    if parts.startswith('['):
        close = parts.find(']')
        if close < 0:
            raise ConfigError('%s=%s: unclosed [' % (what, value))
        head, tail = parts[1:close], parts[close + 1:].lstrip(':')
        fields = [head] + (tail.split(':') if tail else [])
    else:
        fields = parts.split(':')
    if len(fields) == 4:
        role = fields[3].strip()
        fields = fields[:3]
    if len(fields) != 3 or not fields[0]:
        raise ConfigError('%s=%s: expected address:quorum_port:election_port[:role]' % (what, value))
    if role not in ROLES:
        raise ConfigError('%s=%s: role %r is not participant or observer' % (what, value, role))
    # An IP literal in one spelling (zk_endpoint.canonical): ZooKeeper may write an IPv6 address it was given
    # compressed (fd00::7) out in full (fd00:0:0:0:0:0:0:7) in its dynamic configuration.
    server = dict(id=sid, address=canonical(fields[0].strip()), quorum_port=_port(fields[1], what),
                  election_port=_port(fields[2], what), role=role,
                  client_address=None, client_port=None)
    if sep and client.strip():
        caddr, cport = _split_host_port(client, what)
        server['client_address'] = canonical(caddr) if caddr is not None else None
        server['client_port'] = _port(cport, what)
    return server


def format_server(server):
    """The server line ZooKeeper itself writes for ``server`` (a dict as from parse_server)."""
    line = 'server.%d=%s:%d:%s' % (int(server['id']), endpoint(server['address'], server['quorum_port']),
                                   int(server['election_port']), server.get('role') or 'participant')
    if server.get('client_port'):
        line += ';' + endpoint(server.get('client_address') or '0.0.0.0', server['client_port'])
    return line


def parse_properties(text):
    """Java-properties-like parse of zoo.cfg: key=value lines, comments and blanks skipped."""
    props = {}
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#!':
            continue
        key, sep, value = line.partition('=')
        if not sep:
            continue
        props[key.strip()] = value.strip()
    return props


def parse_dynamic(text):
    """Parse a dynamic config (or /zookeeper/config): {'servers': {id: server}, 'version': str|None}."""
    servers, version = {}, None
    for key, value in parse_properties(text).items():
        if key == 'version':
            version = value
        elif key.startswith('server.'):
            server = parse_server(key, value)
            servers[server['id']] = server
    return dict(servers=servers, version=version)


def servers_from_static(props):
    """Server entries written straight into zoo.cfg (the pre-3.5, static form)."""
    servers = {}
    for key, value in props.items():
        if key.startswith('server.'):
            server = parse_server(key, value)
            servers[server['id']] = server
    return servers


def render_dynamic(servers):
    """Dynamic config text for servers (dicts), sorted by id, as ZooKeeper writes it."""
    return ''.join(format_server(s) + '\n' for s in sorted(servers, key=lambda s: int(s['id'])))


def static_digest(props):
    """SHA-256 of zoo.cfg's keys and values, sorted, without the keys ZooKeeper rewrites."""
    canon = ''.join('%s=%s\n' % (k, props[k]) for k in sorted(props) if k not in ZK_OWNED_KEYS)
    return hashlib.sha256(canon.encode('utf-8')).hexdigest()


def static_config(desired_text, current_digest, current_pointer, dynamic_file):
    """Whether to write zoo.cfg, and what.

    ``desired_text`` is the role's rendering without ``dynamicConfigFile``.
    ``current_digest``/``current_pointer`` describe the file on disk (see
    static_digest), ``dynamic_file`` is where it must point: None for a
    standalone server, '' to keep what ZooKeeper chose (falling back to nothing),
    or a path.  When the keys already match and the pointer needs no change,
    nothing is written, so ZooKeeper's own rewrite of the file is not fought.
    Returns dict(write=bool, content=str).
    """
    pointer = None
    if dynamic_file is not None:
        pointer = dynamic_file or current_pointer
    text = desired_text if desired_text.endswith('\n') else desired_text + '\n'
    same_keys = current_digest == static_digest(parse_properties(desired_text))
    if pointer:
        text += 'dynamicConfigFile=%s\n' % pointer
    return dict(write=not (same_keys and (current_pointer or None) == (pointer or None)), content=text)

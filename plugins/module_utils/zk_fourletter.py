# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Four-letter words (srvr) over TCP, and the ensemble summary built from them.

No ZooKeeper session is opened, so this works when the ensemble has no quorum,
and it needs no third-party library.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import re
import socket
import ssl
import time

try:
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import endpoint
except ImportError:  # installed on a member as a plain program (the metrics exporter), beside zk_endpoint.py
    from zk_endpoint import endpoint  # pylint: disable=import-error

NOT_SERVING = 'This ZooKeeper instance is not currently serving requests'
SERVING_MODES = ('leader', 'follower', 'observer', 'standalone')
PARTICIPANT_MODES = ('leader', 'follower')


class FourLetterWordNotAllowed(Exception):
    """The server refused the command: it is not in 4lw.commands.whitelist."""


# Short names of the attributes of a distinguished name, as openssl prints them.
_DN_NAMES = dict(commonName='CN', organizationName='O', organizationalUnitName='OU', countryName='C',
                 localityName='L', stateOrProvinceName='ST', emailAddress='emailAddress')


def _dn(rdns):
    return ', '.join('%s=%s' % (_DN_NAMES.get(key, key), value) for rdn in rdns or () for key, value in rdn) or None


def peer_certificate(sock, now=None):
    """What the certificate a server presented on a TLS socket says.

    The SHA-256 fingerprint is always known. The expiry (UTC), the days left, the subject, the issuer and
    the subject alternative names are decoded by the standard library, which does so only for a
    certificate it verified (a ``ca`` was given): without verification they are None."""
    der = sock.getpeercert(binary_form=True)
    if not der:
        return None
    info = sock.getpeercert() or {}
    cert = dict(sha256=hashlib.sha256(der).hexdigest(), not_after=None, days_left=None,
                subject=None, issuer=None, names=[])
    if info.get('notAfter'):
        expires = ssl.cert_time_to_seconds(info['notAfter'])
        cert.update(not_after=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(expires)),
                    days_left=round((expires - (time.time() if now is None else now)) / 86400.0, 1),
                    subject=_dn(info.get('subject')), issuer=_dn(info.get('issuer')),
                    names=[value for _kind, value in info.get('subjectAltName', ())])
    return cert


def send_command(host, port, command, timeout, tls_context=None, peer=None):
    """Send a four-letter word and return the whole reply as text.

    Over TLS, ``peer`` (a dict, when given) receives the server's certificate (peer_certificate)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        if tls_context is not None:
            sock = tls_context.wrap_socket(sock, server_hostname=host)
            if peer is not None:
                peer['certificate'] = peer_certificate(sock)
                peer['der'] = sock.getpeercert(binary_form=True)
        sock.settimeout(timeout)
        sock.sendall(command.encode('ascii'))
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b''.join(chunks).decode('utf-8', 'replace')
    finally:
        sock.close()


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_srvr(text, server):
    """Parse a srvr reply into a status dict.

    Handles 3.4-style replies (integer latency), 3.5+ replies, servers that
    are not serving, and servers that refuse srvr (not whitelisted).
    """
    result = dict(server=server, mode=None, version=None, zxid=None, node_count=None,
                  latency_min=None, latency_avg=None, latency_max=None, outstanding=None,
                  connections=None, message=None)
    stripped = text.strip()
    if stripped.startswith(NOT_SERVING):
        result.update(mode='not-serving', message=stripped)
        return result
    if 'not in the whitelist' in stripped or 'not executed because' in stripped:
        raise FourLetterWordNotAllowed(stripped)
    fields = {}
    for line in stripped.splitlines():
        key, sep, value = line.partition(':')
        if sep:
            fields[key.strip().lower()] = value.strip()
    if 'mode' not in fields:
        result.update(mode='unreachable', message='unexpected srvr reply: %r' % stripped[:200])
        return result
    result['mode'] = fields['mode']
    version = fields.get('zookeeper version', '')
    match = re.match(r'([0-9]+(?:\.[0-9]+)*)', version)
    result['version'] = match.group(1) if match else (version or None)
    result['zxid'] = fields.get('zxid')
    result['node_count'] = _int(fields.get('node count'))
    result['outstanding'] = _int(fields.get('outstanding'))
    result['connections'] = _int(fields.get('connections'))
    latency = fields.get('latency min/avg/max', '').split('/')
    if len(latency) == 3:
        try:
            result['latency_min'], result['latency_avg'], result['latency_max'] = [float(x) for x in latency]
        except ValueError:
            pass
    return result


def server_status(host, port, timeout, tls_context=None, peer=None):
    """Status of one server; unreachable servers are reported, not raised.

    Over TLS, ``certificate`` is what the server presented (peer_certificate); otherwise None. ``peer`` (a dict,
    when given) also receives ``der``, the certificate's DER bytes, even when the server then refuses to answer."""
    server = endpoint(host, port)
    peer = {} if peer is None else peer
    try:
        text = send_command(host, port, 'srvr', timeout, tls_context, peer)
    except (socket.error, socket.timeout, ssl.SSLError, OSError) as e:
        status = parse_srvr('', server)
        status.update(mode='unreachable', message=str(e) or e.__class__.__name__)
    else:
        if text.strip():
            status = parse_srvr(text, server)
        else:
            status = parse_srvr('', server)
            status.update(mode='unreachable', message='the server closed the connection without an answer')
    status['certificate'] = peer.get('certificate')
    return status


def parse_mntr(text):
    """mntr's tab-separated key/value lines as a dict of strings (empty when refused)."""
    fields = {}
    for line in (text or '').splitlines():
        key, sep, value = line.partition('\t')
        if sep and key.startswith('zk_'):
            fields[key.strip()] = value.strip()
    return fields


def leader_sync(host, port, timeout, tls_context=None):
    """The leader's view of its learners from mntr, or None when mntr is not answered."""
    try:
        fields = parse_mntr(send_command(host, port, 'mntr', timeout, tls_context))
    except (socket.error, socket.timeout, ssl.SSLError, OSError):
        return None
    if 'zk_synced_followers' not in fields:
        return None
    return dict(synced_followers=_int(fields.get('zk_synced_followers')),
                synced_observers=_int(fields.get('zk_synced_observers')),
                outstanding_requests=_int(fields.get('zk_outstanding_requests')),
                approximate_data_size=_int(fields.get('zk_approximate_data_size')),
                max_latency=_int(fields.get('zk_max_latency')))


def summarize(servers, observers=(), sync=None):
    """Ensemble view: leader, followers, observers and whether a quorum holds.

    A quorum holds when exactly one server is leader and more than half of the
    participants are leader or follower.  Participants are the listed servers
    that are neither in observer mode nor named in ``observers``; unreachable
    ones count (they may be voters).  Two leaders mean split views: no quorum.
    A single standalone server is its own quorum.  ``sync`` is the leader's
    mntr view (leader_sync), when known.
    """
    declared = set(observers or ())
    leader = [s['server'] for s in servers if s['mode'] == 'leader']
    followers = [s['server'] for s in servers if s['mode'] == 'follower']
    in_observer_mode = [s['server'] for s in servers if s['mode'] == 'observer']
    standalone = [s['server'] for s in servers if s['mode'] == 'standalone']
    participants = [s['server'] for s in servers
                    if s['mode'] != 'observer' and s['server'] not in declared]
    voting = len([x for x in leader + followers if x not in declared])
    quorum = len(leader) == 1 and voting * 2 > len(participants)
    if standalone and len(servers) == 1:
        quorum = True
    synced = None
    if sync is not None and len(leader) == 1:
        learners = len(servers) - 1
        synced = ((sync.get('synced_followers') or 0) + (sync.get('synced_observers') or 0)) >= learners
    return dict(
        leader=leader[0] if len(leader) == 1 else None,
        leaders=leader,
        followers=followers,
        observers=in_observer_mode,
        standalone=standalone,
        serving=[s['server'] for s in servers if s['mode'] in SERVING_MODES],
        quorum=quorum,
        synced=synced,
        leader_sync=sync,
    )


def condition_met(wait_for, servers, summary):
    if wait_for == 'serving':
        return all(s['mode'] in SERVING_MODES for s in servers)
    if wait_for == 'leader':
        return summary['leader'] is not None or (len(servers) == 1 and servers[0]['mode'] == 'standalone')
    if wait_for == 'quorum':
        return summary['quorum']
    if wait_for == 'synced':
        if len(servers) == 1 and servers[0]['mode'] == 'standalone':
            return True
        return bool(summary['quorum'] and summary['synced'])
    return True

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's TLS and SASL variables: what is wrong with them (preflight), and the subject
alternative names of a member certificate (the lab CA)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible.module_utils.parsing.convert_bool import boolean


def subject_alt_names(names):
    """``DNS:``/``IP:`` entries for a member certificate, from host names and addresses, deduplicated in order."""
    out = []
    for name in names:
        name = str(name or '').strip().strip('[]')
        if not name:
            continue
        try:
            entry = 'IP:%s' % ipaddress.ip_address(name)
        except ValueError:
            entry = 'DNS:%s' % name
        if entry not in out:
            out.append(entry)
    return out


_USER = re.compile(r'^[A-Za-z0-9_.-]+$')


def security_settings(values):
    """The input of security_problems from the role's variables by name (``zookeeper_*``, as the
    inventory gives them: booleans may be strings)."""
    v = values.get

    def flag(name, default=False):
        return boolean(v(name, default), strict=False)

    return dict(client_tls=flag('zookeeper_client_tls'), quorum_tls=flag('zookeeper_quorum_tls'),
                quorum_sasl=flag('zookeeper_quorum_sasl'), sasl_user=v('zookeeper_quorum_sasl_user'),
                sasl_password=v('zookeeper_quorum_sasl_password'), lab_ca=flag('zookeeper_tls_lab_ca'),
                client_sasl_users=v('zookeeper_client_sasl_users') or [],
                client_plaintext=flag('zookeeper_client_plaintext', True),
                cert=v('zookeeper_tls_cert') or '', key=v('zookeeper_tls_key') or '', ca=v('zookeeper_tls_ca') or '',
                instances=len(v('zookeeper_instances') or []), secure_client_port=v('zookeeper_secure_client_port'),
                other_ports=[v('zookeeper_client_port'), v('zookeeper_quorum_port'), v('zookeeper_election_port')])


def _pem_kind(text):
    """The kinds of PEM blocks in ``text`` (CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY...)."""
    return re.findall(r'-----BEGIN ([A-Z0-9 ]+)-----', text or '')


def security_problems(s):
    """What is wrong with the role's TLS and SASL variables, each message naming the variable.
    ``s`` holds client_tls, quorum_tls, quorum_sasl, sasl_user, sasl_password, lab_ca, cert, key, ca,
    instances (how many zookeeper_instances), secure_client_port, other_ports, client_sasl_users and
    client_plaintext.
    Secrets are never quoted."""
    out = []
    tls = [name for name in ('client_tls', 'quorum_tls') if s.get(name)]
    given = dict((k, (s.get(k) or '').strip()) for k in ('cert', 'key', 'ca'))
    if tls and not (s.get('lab_ca') and not given['cert']):
        missing = ['zookeeper_tls_%s' % k for k in ('cert', 'key', 'ca') if not given[k]]
        if missing:
            out.append('%s needs %s (PEM text), or zookeeper_tls_lab_ca=true in a lab.'
                       % (' and '.join('zookeeper_%s=true' % n for n in tls), ', '.join(missing)))
    if given['cert'] and 'CERTIFICATE' not in _pem_kind(given['cert']):
        out.append('zookeeper_tls_cert holds no PEM certificate (-----BEGIN CERTIFICATE-----).')
    if given['ca'] and 'CERTIFICATE' not in _pem_kind(given['ca']):
        out.append('zookeeper_tls_ca holds no PEM certificate (-----BEGIN CERTIFICATE-----).')
    if given['key']:
        kinds = [k for k in _pem_kind(given['key']) if k.endswith('PRIVATE KEY')]
        if kinds != ['PRIVATE KEY']:
            out.append('zookeeper_tls_key must be one unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----), which is '
                       'what ZooKeeper\'s PEM key store reads; it holds %s. Convert it with '
                       '"openssl pkcs8 -topk8 -nocrypt -in old.key".' % (', '.join(kinds) or 'no private key'))
    if s.get('quorum_sasl') and not s.get('sasl_password'):
        out.append('zookeeper_quorum_sasl=true needs zookeeper_quorum_sasl_password (keep it in a vault).')
    if s.get('quorum_sasl') and not _USER.match(str(s.get('sasl_user') or '')):
        out.append('zookeeper_quorum_sasl_user=%r must be letters, digits, "_", "." or "-".' % s.get('sasl_user'))
    if s.get('client_tls') and int(s.get('instances') or 0) > 0:
        out.append('zookeeper_client_tls is not supported with zookeeper_instances (one secure port per host).')
    if s.get('client_tls') and int(s.get('secure_client_port') or 0) in [int(p) for p in s.get('other_ports') or []]:
        out.append('zookeeper_secure_client_port=%s is already the client, quorum or election port.'
                   % s.get('secure_client_port'))
    if not s.get('client_plaintext', True) and not s.get('client_tls'):
        out.append('zookeeper_client_plaintext=false needs zookeeper_client_tls=true: without either port, no client '
                   'could connect.')
    users = s.get('client_sasl_users') or {}
    if not isinstance(users, dict):
        out.append('zookeeper_client_sasl_users must be a mapping of user name to password.')
        users = {}
    for user in sorted(users, key=str):
        if not _USER.match(str(user)):
            out.append('zookeeper_client_sasl_users: user name %r must be letters, digits, "_", "." or "-".' % (user,))
        if not isinstance(users[user], str) or not users[user]:
            out.append('zookeeper_client_sasl_users: user %r needs a password (a non-empty string).' % (user,))
    return out

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quorum TLS and quorum SASL as stages, and the rolling path between them.

ZooKeeper switches a running ensemble to TLS or SASL on the quorum ports only
through intermediate configurations, each applied by a rolling restart
(zookeeperAdmin "Upgrading existing non-TLS cluster with no downtime", and the
quorum SASL rolling upgrade). Each feature is a number 0-3:

TLS  0 plaintext                     SASL 0 off
     1 portUnification (accepts both)     1 enableSasl (sends, requires nothing)
     2 sslQuorum + portUnification        2 + learnerRequireSasl
     3 sslQuorum (TLS only)               3 + serverRequireSasl

Members one stage apart always talk to each other; two apart may not. So a
rolling restart moves every member by at most one stage of each feature.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

FEATURES = ('tls', 'sasl')
TOP = 3


def _true(props, key):
    return str(props.get(key, '')).strip().lower() == 'true'


def stages_of(props):
    """The (tls, sasl) stages of a zoo.cfg, given as a dict of its keys."""
    ssl, unified = _true(props, 'sslQuorum'), _true(props, 'portUnification')
    tls = (2 if unified else 3) if ssl else (1 if unified else 0)
    sasl = 0
    if _true(props, 'quorum.auth.enableSasl'):
        learner = _true(props, 'quorum.auth.learnerRequireSasl')
        sasl = 1 + int(learner) + int(learner and _true(props, 'quorum.auth.serverRequireSasl'))
    return dict(tls=tls, sasl=sasl)


def config_keys(stages, files):
    """zoo.cfg keys for ``stages`` (dict tls, sasl); ``files`` has keystore and truststore (PEM paths)."""
    keys = []
    tls, sasl = int(stages['tls']), int(stages['sasl'])
    if tls:
        keys += [('sslQuorum', 'true' if tls >= 2 else 'false'),
                 ('portUnification', 'true' if tls <= 2 else 'false'),
                 ('ssl.quorum.keyStore.location', files['keystore']),
                 ('ssl.quorum.keyStore.type', 'PEM'),
                 ('ssl.quorum.trustStore.location', files['truststore']),
                 ('ssl.quorum.trustStore.type', 'PEM')]
    if sasl:
        keys += [('quorum.auth.enableSasl', 'true'),
                 ('quorum.auth.learnerRequireSasl', 'true' if sasl >= 2 else 'false'),
                 ('quorum.auth.serverRequireSasl', 'true' if sasl >= 3 else 'false')]
    return keys


def _path(low, high, want):
    """Stages one feature goes through, from the members' current ones (low..high) to ``want``."""
    start = high if want >= high else low
    step = 1 if want >= start else -1
    return list(range(start, want + step, step))


def switch_steps(current, desired):
    """Rolling steps that take the members from ``current`` (list of stage dicts, one per member,
    read from their zoo.cfg; ``owed: True`` when the running server has not loaded it yet) to
    ``desired`` (a stage dict).

    Returns dict(steps=[stage dict, ...], errors=[...]). ``steps`` are the intermediate stages,
    each to be applied to every member with a rolling restart; the role applies ``desired``
    itself afterwards. A member left one stage behind (an interrupted switch) is brought
    level first.
    """
    errors, paths = [], {}
    for f in FEATURES:
        want = int(desired[f])
        if not 0 <= want <= TOP:
            errors.append('quorum %s stage %r is not 0-%d' % (f, want, TOP))
            continue
        have = [int(c[f]) for c in current] or [want]
        low, high = min(have), max(have)
        if high - low > 1:
            errors.append('the members are %d quorum %s stages apart (%s): they cannot all talk to each other, '
                          'and this role never leaves them so; set them level by hand first'
                          % (high - low, f.upper(), ', '.join(str(h) for h in have)))
        paths[f] = (_path(low, high, want), low == high)
    if errors:
        return dict(steps=[], errors=errors)
    count = max(len(path) for path, level in paths.values())
    steps = [dict((f, path[min(i, len(path) - 1)]) for f, (path, level) in paths.items()) for i in range(count)]
    if all(level for path, level in paths.values()) and not any(c.get('owed') for c in current):
        steps = steps[1:]         # the first is where every member already is
    return dict(steps=steps[:-1], errors=[])


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

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
                 ('ssl.quorum.trustStore.type', 'PEM'),
                 # New quorum connections use a renewed key or trust store without a restart (3.5.5+).
                 ('sslQuorumReloadCertFiles', 'true')]
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


def observer_sasl_problems(members, desired):
    """Observers that could never join with quorum SASL required (``desired`` SASL stage 3, serverRequireSasl).

    ZooKeeper keeps a quorum connection only when the server with the higher id made it, and a server
    authenticates its connection only towards a voting member (QuorumCnxManager.startConnection looks the
    other side up in the voting view and skips SASL for an observer). An observer that requires SASL therefore
    refuses every participant whose id is higher than its own, never hears a quorum in the election, and never
    serves: measured on 3.9.3 with a fresh ensemble. ``members``: dicts with host, id and role. Returns messages."""
    if int(dict(desired).get('sasl', 0)) < TOP:
        return []
    voters = sorted(int(m['id']) for m in members if m.get('role') != 'observer')
    problems = []
    for m in members:
        higher = [v for v in voters if v > int(m['id'])]
        if m.get('role') == 'observer' and higher:
            problems.append(
                'Host %s: the observer has zookeeper_id=%s, lower than participant id(s) %s. With quorum SASL required, '
                'ZooKeeper participants do not authenticate when they connect to an observer, so it would never join. '
                'Give every observer a zookeeper_id above every participant\'s.'
                % (m.get('host'), m['id'], ', '.join(str(v) for v in higher)))
    return problems


def switch_refusals(steps, sasl_password_set, tls_material, blockers):
    """Why a planned switch cannot run now, as messages (none when it can): the switch back still needs the
    SASL password or the TLS material for its intermediate stages, and it restarts every member, so no member
    may be down that the role did not leave down (``blockers``, from zk_ensemble_model.restart_blockers)."""
    out = []
    sasl = [str(s['sasl']) for s in steps if s.get('sasl')]
    if sasl and not sasl_password_set:
        out.append('Quorum SASL is still on in the members (stages %s of the switch back): keep '
                   'zookeeper_quorum_sasl_password set until a run has turned it off.' % ', '.join(sasl))
    if [s for s in steps if s.get('tls')] and not tls_material:
        out.append('Quorum TLS is still on in the members: keep zookeeper_tls_cert, zookeeper_tls_key and zookeeper_tls_ca '
                   '(or zookeeper_tls_lab_ca) until a run has turned it off.')
    if steps and blockers:
        out.append('The quorum TLS/SASL switch restarts every member, and %s Start it (or take it out of the ensemble), '
                   'then rerun.' % ' '.join(blockers))
    return out

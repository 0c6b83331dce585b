# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A table of the ensemble for operators, from a zk_status result and the ensemble model."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

COLUMNS = ('host', 'id', 'mode', 'zxid', 'synced', 'version')
# Added when the certificates the members present on their TLS client ports were read.
EXPIRY = 'certificate expires'


def _synced(server, status):
    """yes/no/unknown for one server, from what the leader's mntr can tell."""
    mode = server.get('mode')
    if mode == 'leader':
        return '-'
    if mode not in ('follower', 'observer'):
        return 'no'
    sync = status.get('leader_sync') or {}
    counted = sync.get('synced_observers' if mode == 'observer' else 'synced_followers')
    serving = len([s for s in status.get('servers', []) if s.get('mode') == mode])
    if counted is None or status.get('leader') is None:
        return 'unknown'
    # The leader gives counts, not names: when it counts every serving one, each is synced.
    return 'yes' if counted >= serving else 'unknown'


def _expiry(certificate):
    """'2027-03-01 (88 days)' for a certificate a zk_status result holds, '-' when unknown."""
    if not certificate or not certificate.get('not_after'):
        return '-'
    days = certificate['days_left']
    when = certificate['not_after'][:10]
    return '%s (EXPIRED)' % when if days < 0 else '%s (%d days)' % (when, int(days))


def status_rows(members, status, certificates=None):
    """One row (dict of COLUMNS) per member, in the order of ``members``.

    With ``certificates`` (a zk_status result over the members' TLS client ports), each row also has
    EXPIRY: when the certificate the member presents expires."""
    by_server = dict((s.get('server'), s) for s in status.get('servers', []))
    by_tls = dict((s.get('server'), s) for s in (certificates or {}).get('servers', []))
    rows = []
    for member in members:
        server = by_server.get(member['remote_client'], {'mode': 'unknown'})
        row = dict(host=member['host'], id=str(member['id']), mode=server.get('mode') or 'unknown',
                   zxid=server.get('zxid') or '-', synced=_synced(server, status),
                   version=server.get('version') or '-')
        if certificates is not None:
            row[EXPIRY] = _expiry(by_tls.get(member.get('remote_secure_client'), {}).get('certificate'))
        rows.append(row)
    return rows


def status_table(members, status, certificates=None):
    """The rows as aligned text lines, a header first, then a line per version in a known advisory's range, then
    one verdict line."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_advisories import status_lines
    rows = status_rows(members, status, certificates)
    columns = COLUMNS + ((EXPIRY,) if certificates is not None else ())
    widths = dict((c, max([len(c)] + [len(r[c]) for r in rows])) for c in columns)
    lines = ['  '.join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ['  '.join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    # Known advisories of the versions the members report (module_utils/zk_advisories.py), before the verdict.
    lines += status_lines([s.get('version') for s in status.get('servers') or []])
    leaders = status.get('leaders') or []
    verdict = 'quorum' if status.get('quorum') else 'NO QUORUM'
    if len(leaders) > 1:
        verdict += ', %d leaders (split views): %s' % (len(leaders), ', '.join(leaders))
    elif not leaders:
        verdict += ', no leader'
    else:
        verdict += ', leader %s' % leaders[0]
    if status.get('synced') is not None:
        verdict += ', every member synced' if status['synced'] else ', not every member synced'
    lines.append(verdict)
    return lines

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuilding an ensemble from one member's data: from a backup (restore) or from the member whose files are
newest after a quorum was lost for good (recover).

Both end the same way, so that no member without data ever decides an election:
 1. every member is stopped; the data and ZooKeeper's configuration of every member but the seed are moved aside;
 2. the seed alone starts as a one-voter quorum with the data (the role, on an ensemble of the seed only);
 3. the other members join it as empty observers and become voters by reconfig (the role's membership path).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

SERVING = ('leader', 'follower', 'observer', 'standalone')
# Znodes of a tree that holds nothing but ZooKeeper's own (/, /zookeeper, quota, config), as srvr counts them.
EMPTY_TREE_NODES = 5


def _zxid(value):
    return int(value, 16) if value else None


def _describe(member, info):
    if info.get('mode') in SERVING:
        return '%s (%s, zxid %s, %s nodes)' % (member['name'], info['mode'], info.get('zxid'), info.get('node_count'))
    if info.get('has_data'):
        return '%s (stopped, data up to zxid %s)' % (member['name'], info.get('logged_zxid') or hex(info['data_zxid']))
    return '%s (no data)' % member['name']


def _common(members, infos, errors):
    missing = [m['name'] for m in members if m['name'] not in infos]
    if missing:
        errors.append('no state was read from %s (unreachable, or outside --limit); every member must be read '
                      'before the ensemble is rebuilt.' % ', '.join(missing))
    multi = sorted(set(m['host'] for m in members if m['name'] != m['host']))
    if multi:
        errors.append('%s run several instances (zookeeper_instances); rebuilding a pseudo-cluster is not supported.'
                      % ', '.join(multi))
    participants = [m for m in members if m['role'] == 'participant']
    if not participants:
        errors.append('the ensemble has no participant to rebuild from.')
    return participants


def backup_plan(members, infos):
    """The member a backup copies its files from: a serving follower first, then an observer, a standalone server,
    the leader; the lowest id among equals. Returns dict(seed, errors)."""
    order = ('follower', 'observer', 'standalone', 'leader')
    serving = [m for m in members if infos.get(m['name'], {}).get('mode') in order]
    if not serving:
        return dict(seed=None, errors=['no member serves (%s); a backup is taken from a serving member.' % ', '.join(
            '%s: %s' % (m['name'], infos.get(m['name'], {}).get('mode') or 'not read') for m in members)])
    best = sorted(serving, key=lambda m: (order.index(infos[m['name']]['mode']), int(m['id'])))[0]
    return dict(seed=best['name'], errors=[])


def restore_plan(members, infos, manifest, force=False, superuser=False):
    """Whether the inventory's ensemble may be rebuilt from a backup, and from which seed.
    ``infos``: name -> zk_server_info entry (with node_count from srvr when serving).
    Returns dict(seed, holds_data: [descriptions], comparison: str, errors)."""
    errors = []
    participants = _common(members, infos, errors)
    plan = dict(seed=None, holds_data=[], comparison='', errors=errors)
    if errors:
        return plan
    plan['seed'] = sorted(participants, key=lambda m: int(m['id']))[0]['name']
    holding = []
    for m in members:
        info = infos[m['name']]
        if info.get('mode') in SERVING:
            if (info.get('node_count') or 0) > EMPTY_TREE_NODES:
                holding.append(_describe(m, info))
        elif info.get('has_data'):
            holding.append(_describe(m, info))
    plan['holds_data'] = holding
    plan['comparison'] = 'live: %s; backup: zxid %s, %s nodes, taken %s on ZooKeeper %s' % (
        ', '.join(_describe(m, infos[m['name']]) for m in members), manifest.get('zxid'), manifest.get('node_count'),
        manifest.get('created'), manifest.get('zookeeper_version'))
    if holding and not force:
        errors.append('the ensemble holds data: %s. A restore replaces it with the backup (zxid %s, %s nodes); the old '
                      'data would be moved aside, not deleted. Set zookeeper_restore_force=true to restore anyway.'
                      % ('; '.join(holding), manifest.get('zxid'), manifest.get('node_count')))
    if len(members) > 1 and not superuser:
        errors.append('the other members join the restored one by reconfig, as the digest superuser: set '
                      'zookeeper_superuser_password (vaulted).')
    return plan


def recover_plan(members, infos, superuser=False):
    """Which member's data rebuilds an ensemble that lost its quorum for good.
    ``infos`` must come from zk_server_info with scan_logs. The winner is the member whose files replay to the
    highest zxid (a participant wins a tie, then the lowest id). Returns dict(seed, why, errors)."""
    errors = []
    _common(members, infos, errors)
    plan = dict(seed=None, why='', errors=errors)
    if errors:
        return plan
    serving = [m for m in members if infos[m['name']].get('mode') in SERVING]
    if serving:
        errors.append('a quorum still serves (%s): recover only rebuilds an ensemble that lost its quorum. Replace lost '
                      'members with the ordinary membership change instead.'
                      % ', '.join(_describe(m, infos[m['name']]) for m in serving))
        return plan
    damaged = [m for m in members if infos[m['name']].get('data_problems')]
    with_data = [m for m in members if _zxid(infos[m['name']].get('logged_zxid')) is not None]
    if not with_data:
        errors.append('no member holds data to recover from (%s).' % ', '.join(m['name'] for m in members))
        return plan

    def rank(m):
        return (_zxid(infos[m['name']]['logged_zxid']), m['role'] == 'participant', -int(m['id']))

    ordered = sorted(with_data, key=rank, reverse=True)
    winner = ordered[0]
    if winner in damaged:
        errors.append('the newest data, on %s, cannot be replayed: %s. Repair or remove it first.'
                      % (winner['name'], '; '.join(infos[winner['name']]['data_problems'])))
        return plan
    if winner['role'] != 'participant':
        errors.append('the newest data (zxid %s) is on %s, an observer: a recovery starts from a voter. Make it a '
                      'participant in the inventory for the recovery.' % (infos[winner['name']]['logged_zxid'],
                                                                          winner['name']))
        return plan
    plan['seed'] = winner['name']
    others = ', '.join('%s zxid %s' % (m['name'], infos[m['name']]['logged_zxid']) for m in ordered[1:]) or 'none'
    empty = [m['name'] for m in members if m not in with_data]
    plan['why'] = ('%s wins: its files replay to zxid %s, the highest (other members with data: %s; without data: %s). '
                   'Writes that only the lost members had are gone.'
                   % (winner['name'], infos[winner['name']]['logged_zxid'], others, ', '.join(empty) or 'none'))
    if len(members) > 1 and not superuser:
        errors.append('the other members join the recovered one by reconfig, as the digest superuser: set '
                      'zookeeper_superuser_password (vaulted).')
    return plan

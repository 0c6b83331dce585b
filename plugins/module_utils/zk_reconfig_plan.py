# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an incremental reconfig must do to turn the live membership into the desired one.

Pure functions over server dicts (see zk_config.parse_server), so that every
safety rule is unit-tested without a server.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import format_server
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import canonical, endpoint as format_endpoint


def voters(servers):
    return set(int(s['id']) for s in servers if s.get('role', 'participant') == 'participant')


def validate_members(members):
    """Errors in a desired member list: duplicate ids or quorum endpoints, no participant."""
    errors = []
    seen_ids, seen_endpoints = set(), {}
    for m in members:
        sid = int(m['id'])
        if not 1 <= sid <= 255:
            errors.append('members: id %d is out of range 1-255' % sid)
        if sid in seen_ids:
            errors.append('members: id %d is given more than once' % sid)
        seen_ids.add(sid)
        endpoint = format_endpoint(canonical(m['address']), m['quorum_port'])
        if endpoint in seen_endpoints:
            errors.append('members: ids %d and %d share the quorum endpoint %s'
                          % (seen_endpoints[endpoint], sid, endpoint))
        seen_endpoints[endpoint] = sid
        if int(m['quorum_port']) == int(m['election_port']):
            errors.append('members: id %d uses port %d for both quorum and election' % (sid, int(m['quorum_port'])))
    if members and not voters(members):
        errors.append('members: no participant; observers need participants to follow')
    if not members:
        errors.append('members: the list is empty; an ensemble needs at least one participant')
    return errors


def plan_change(current, desired, allow_two_voters=False):
    """Compute an incremental reconfig.

    ``current`` and ``desired`` are lists of server dicts.  Returns a dict with
    ``joining`` (server lines to add or update), ``leaving`` (ids to remove),
    ``role_changes`` (ids whose role changes) and ``errors`` (why the change is
    refused; nothing is applied when there is any).
    """
    cur = dict((int(s['id']), s) for s in current)
    want = dict((int(s['id']), s) for s in desired)
    errors = validate_members(desired)
    leaving = sorted(set(cur) - set(want))
    joining = [format_server(want[i]) for i in sorted(want)
               if i not in cur or format_server(want[i]) != format_server(cur[i])]
    role_changes = sorted(i for i in want if i in cur
                          and want[i].get('role', 'participant') != cur[i].get('role', 'participant'))
    old_v, new_v = voters(current), voters(desired)
    kept = old_v & new_v
    if old_v and (leaving or role_changes) and len(kept) * 2 <= len(old_v):
        errors.append(
            'the change keeps %d of the %d current voters (%s): removing or demoting a majority at once '
            'would lose the quorum; change at most %d voter(s) per run'
            % (len(kept), len(old_v), ', '.join(str(i) for i in sorted(old_v)), (len(old_v) - 1) // 2))
    if len(new_v) == 2 and not allow_two_voters and new_v != old_v:
        errors.append('the change leaves 2 voters (%s): a quorum of 2 needs both, so it tolerates no failure; '
                      'use 1 or 3, or allow it explicitly' % ', '.join(str(i) for i in sorted(new_v)))
    return dict(joining=joining, leaving=leaving, role_changes=role_changes, errors=errors,
                voters_before=sorted(old_v), voters_after=sorted(new_v))

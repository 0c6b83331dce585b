# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's membership plan: from the inventory and what the servers report, what each instance must do.

Rule that protects the data: members without data never decide an election.
 - A running ensemble is found from the servers themselves (mode and on-disk
   configuration), never assumed from the inventory.
 - New members join a running ensemble as observers of the live configuration
   (they sync from its leader, and cannot form a quorum of their own), and
   only then become voters through reconfig.
 - With no member serving, members with data are only started with the
   membership they already have, and only if the members without data are
   not a quorum.

Actions per instance:
 bootstrap  new ensemble, nobody has data: write the whole membership
 start      ensemble is down, same membership: (re)start it as it is
 member     in the live configuration: its dynamic file is ZooKeeper's, untouched
 convert    in the live ensemble, but standalone or static zoo.cfg: rewrite as
            dynamic (same membership) and restart (rolling, leader last)
 join       not in the live configuration: start with live config + itself as observer
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import format_server, render_dynamic
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import canonical, endpoint
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_reconfig_plan import plan_change

SERVING = ('leader', 'follower', 'observer', 'standalone')
QUORUM_MODES = ('leader', 'follower', 'observer')


def server_of(member, role=None):
    """The server entry (zk_config form) of an inventory member; client port 0 (no client
    address in the line) when its plaintext client port is off."""
    return dict(id=int(member['id']), address=member['address'], quorum_port=int(member['quorum_port']),
                election_port=int(member['election_port']), role=role or member['role'],
                client_address=member.get('line_client_address') or '0.0.0.0',
                client_port=int(member['client_port']) if member.get('plaintext', True) else 0)


def _find_live(members, infos, errors):
    """The live configuration: {'servers': {id: server}, 'standalone': name|None, 'version': int,
    'form': standalone|static|dynamic} or None."""
    serving = [m for m in members if infos.get(m['name'], {}).get('mode') in SERVING]
    standalone = [m for m in serving if infos[m['name']]['mode'] == 'standalone']
    quorum = [m for m in serving if infos[m['name']]['mode'] in QUORUM_MODES]
    if len(standalone) > 1 or (standalone and quorum):
        errors.append('separate ensembles are running: %s. Merging them would replace the data of all but one; '
                      'keep one ensemble in the group and add the others only after moving their dataDir aside.'
                      % ', '.join('%s (%s)' % (m['name'], infos[m['name']]['mode']) for m in serving))
        return None
    if standalone:
        m = standalone[0]
        return dict(servers={int(m['id']): server_of(m)}, standalone=m['name'], version=0, form='standalone')
    best = None
    for m in quorum:
        info = infos[m['name']]
        version = int(info.get('version') or '0', 16)
        if info.get('servers') and (best is None or version > best['version']):
            best = dict(servers=dict((int(k), v) for k, v in info['servers'].items()), standalone=None,
                        version=version, form=info.get('form'))
    if best is None:
        return None
    for m in quorum:
        ids = set(int(k) for k in infos[m['name']].get('servers') or {})
        if ids and not ids & set(best['servers']):
            errors.append('%s serves in another ensemble (servers %s) than the live one (servers %s).'
                          % (m['name'], sorted(ids), sorted(best['servers'])))
    return best


def _plan_down(members, infos, plan, errors):
    """No member serves: a new ensemble, or a stopped one that keeps its membership."""
    with_data = [m for m in members if infos.get(m['name'], {}).get('has_data')]
    if not with_data:
        for m in members:
            plan['instances'][m['name']] = dict(action='bootstrap', dynamic=plan['full_dynamic'])
        return
    desired_ids = sorted(int(m['id']) for m in members)
    for m in with_data:
        on_disk = sorted(int(k) for k in infos[m['name']].get('servers') or {}) or [int(m['id'])]
        if on_disk != desired_ids:
            errors.append(
                'no member serves, and %s holds data with the membership %s, but the inventory asks for %s. '
                'Starting members without data beside it could elect an empty leader and replace its data. Start the '
                'existing ensemble first (with its current members), then change the membership.'
                % (m['name'], on_disk, desired_ids))
            return
    voters = [m for m in members if m['role'] == 'participant']
    empty_voters = [m for m in voters if not infos.get(m['name'], {}).get('has_data')]
    if len(empty_voters) * 2 > len(voters):
        errors.append('no member serves, and the voters without data (%s) are a majority: they could elect an empty '
                      'leader. Start the members that hold data first.' % ', '.join(m['name'] for m in empty_voters))
        return
    for m in members:
        keep = infos.get(m['name'], {}).get('form') == 'dynamic'
        plan['instances'][m['name']] = dict(action='start', dynamic=None if keep else plan['full_dynamic'])


def _plan_client_addresses(members, infos, current, desired, plan, errors):
    """Turning the plaintext client port off removes the client addresses from the live server lines
    (then every member restarts); it needs the TLS client port serving on every running member.
    Giving them back by reconfig is refused: ZooKeeper 3.8/3.9 then stops serving TLS on members."""
    live = dict((int(s['id']), s) for s in current)
    dropped = sorted(s['id'] for s in desired if s['id'] in live and live[s['id']].get('client_port')
                     and not s.get('client_port'))
    names = dict((int(m['id']), m['name']) for m in members)
    back = ['%s (id %d)' % (names[s['id']], s['id']) for s in sorted(desired, key=lambda s: s['id'])
            if s['id'] in live and s.get('client_port') and not live[s['id']].get('client_port')]
    plan['client_addresses_dropped'] = dropped
    if back:
        errors.append('%s serve clients on the TLS port only in the live ensemble; giving them the plaintext client '
                      'port back by reconfig makes ZooKeeper stop serving TLS clients until the members restart, so '
                      'the role refuses it: keep zookeeper_client_plaintext=false.' % ', '.join(back))
    if dropped:
        not_tls = ['%s (%s)' % (m['name'], infos[m['name']].get('tls_mode') or 'not read')
                   for m in members if infos.get(m['name'], {}).get('mode') in SERVING
                   and infos[m['name']].get('tls_mode') not in SERVING]
        if not_tls:
            errors.append('zookeeper_client_plaintext=false: the TLS client port does not serve on %s yet. Turn '
                          'zookeeper_client_tls on in a run of its own first (keeping the plaintext port), then turn '
                          'the plaintext port off.' % ', '.join(not_tls))


def _plan_live(members, infos, live, params, plan, errors):
    live_servers = live['servers']
    by_id = dict((int(m['id']), m) for m in members)
    for sid, server in sorted(live_servers.items()):
        m = by_id.get(sid)
        if m and (canonical(m['address']), int(m['quorum_port'])) != (canonical(server['address']), int(server['quorum_port'])) \
                and not infos.get(m['name'], {}).get('has_data'):
            errors.append('id %d belongs to %s in the live ensemble, but the inventory gives it to %s. A new server '
                          'needs a new id: remove id %d and add the new host with an unused id.'
                          % (sid, endpoint(server['address'], server['quorum_port']), m['name'], sid))
    # The live servers; static lines have no client ports: as the inventory gives them.
    current = []
    for sid, server in sorted(live_servers.items()):
        entry = dict(server)
        if sid in by_id and not entry.get('client_port') and live.get('form') == 'static':
            entry.update(client_port=server_of(by_id[sid])['client_port'],
                         client_address=by_id[sid].get('line_client_address') or '0.0.0.0')
        current.append(entry)
    live_text = render_dynamic(current)
    for m in members:
        sid, info = int(m['id']), infos.get(m['name'], {})
        if sid in live_servers:
            if live['standalone'] or info.get('form') == 'static':
                action = 'convert'
            else:
                action = 'member'
            dynamic = live_text if action == 'convert' or info.get('form') != 'dynamic' else None
            plan['instances'][m['name']] = dict(action=action, dynamic=dynamic)
        else:
            on_disk = set(int(k) for k in info.get('servers') or {})
            if info.get('has_data') and not on_disk & set(live_servers):
                errors.append('%s holds data but is not a member of the live ensemble (servers %s): joining would '
                              'replace its data with the ensemble\'s. Move its dataDir aside to confirm.'
                              % (m['name'], sorted(live_servers)))
            own = format_server(server_of(m, role='observer')) + '\n'
            plan['instances'][m['name']] = dict(action='join', dynamic=live_text + own)
    desired = [server_of(m) for m in members]
    _plan_client_addresses(members, infos, current, desired, plan, errors)
    change = plan_change(current, desired, params.get('allow_two_voters', False))
    if change['joining'] or change['leaving']:
        plan['reconfig'] = True
        errors.extend(change['errors'])
        if not params.get('superuser'):
            errors.append('the membership changes (joining %s, leaving %s), which needs reconfig as the digest '
                          'superuser: set zookeeper_superuser_password (vaulted).'
                          % (change['joining'] or '-', change['leaving'] or '-'))
    plan['leaving'] = [live_servers[i] for i in change['leaving']]
    voters = [s for s in current if s['role'] == 'participant']
    serving_voters = [s for s in voters if s['id'] in by_id
                      and infos.get(by_id[s['id']]['name'], {}).get('mode') in SERVING]
    if plan['reconfig'] and not live['standalone'] and len(serving_voters) * 2 <= len(voters):
        errors.append('the live ensemble has no quorum (%d of %d voters serve); it cannot be reconfigured.'
                      % (len(serving_voters), len(voters)))


def myid_problems(members, infos):
    """A member whose ``myid`` on disk is not its id while data is kept beside it: changing a member's id under its
    data confuses the ensemble, so the run is refused, naming the host, the file and both ids. Debian's
    ``zookeeper`` package leaves a placeholder sentence in its myid: not an id, and with no data beside it
    (``has_data``), nothing to protect, so it is replaced. A number, or anything beside data, is kept."""
    out = []
    for member in members:
        info = infos.get(member['name']) or {}
        myid = info.get('myid')
        if myid is None or str(myid) == str(member['id']):
            continue
        if not re.match(r'^[0-9]+$', str(myid)) and not info.get('has_data'):
            continue
        # zk_ensemble_model.build_members names the instances of zookeeper_instances host/id.
        variable = 'the instance id' if '/' in member['name'] else 'zookeeper_id'
        out.append("Host %s: %s/myid holds %s, but %s=%s. Changing a member's id while it keeps its data confuses "
                   "the ensemble. If this is intended, stop the service, move %s aside, and run again."
                   % (member['host'], member['data_dir'], myid, variable, member['id'], member['data_dir']))
    return out


def plan_membership(members, infos, params):
    """Plan the run.  ``infos`` maps instance name -> zk_server_info entry; ``params`` holds
    standalone_enabled, allow_two_voters and superuser (whether a superuser password is set).
    Returns dict(quorum_mode, live, reconfig, instances={name: {action, dynamic}}, leaving,
    client_addresses_dropped (ids whose plaintext client address the reconfig removes), errors)."""
    errors = []
    missing = [m['name'] for m in members if m['name'] not in infos]
    plan = dict(live=False, reconfig=False, instances={}, leaving=[], errors=errors, client_addresses_dropped=[],
                full_dynamic=render_dynamic([server_of(m) for m in members]))
    was_quorum = any(infos.get(m['name'], {}).get('form') in ('dynamic', 'static') for m in members)
    plan['quorum_mode'] = len(members) > 1 or was_quorum or not params.get('standalone_enabled', True)
    if missing:
        errors.append('no state was read from %s (not in this play, for example through --limit); the membership '
                      'plan needs every member.' % ', '.join(missing))
        return plan
    errors.extend(myid_problems(members, infos))
    if errors:
        return plan
    live = _find_live(members, infos, errors)
    if errors:
        return plan
    if live is None:
        _plan_down(members, infos, plan, errors)
    else:
        plan['live'] = True
        _plan_live(members, infos, live, params, plan, errors)
    if not plan['quorum_mode']:
        for entry in plan['instances'].values():
            entry['dynamic'] = None
            if entry['action'] == 'convert':
                entry['action'] = 'member'
    return plan

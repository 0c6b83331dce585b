#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_reconfig
short_description: Make a running ZooKeeper ensemble's membership match a list, with dynamic reconfiguration
version_added: 0.2.0
description:
  - Reads the live membership from C(/zookeeper/config) and compares it with O(members).
  - Servers that are new, or whose ports or role differ, are added with an incremental C(reconfig) (C(joining));
    servers that are not in O(members) are removed (C(leaving)). Both happen in one C(reconfig) call, through the
    current leader; no server is restarted.
  - Changing a server's role between V(participant) and V(observer) is an update of its line. When ZooKeeper refuses
    to turn an observer into a participant in one step (C(NewConfigNoQuorum)), the module removes the server and adds
    it back, as the ZooKeeper manual advises.
  - Before anything is applied the change is checked, and refused with a message naming the servers, when it would
    remove or demote a majority of the current voters at once, leave 2 voters (unless O(allow_two_voters=true)),
    or add a server that is not yet connected to the ensemble (unless O(require_joiners_serving=false)).
  - After a change that removes servers, a write is committed so that the new configuration is active before the
    removed servers are stopped.
  - The ensemble must run with C(reconfigEnabled=true), and the session must be allowed to write
    C(/zookeeper/config), normally as the digest superuser (give its credential in O(auth)).
author:
  - zkops.zookeeper contributors (@zkops)
requirements:
  - kazoo >= 2.8 on the host that runs the module
  - pure-sasl on the host that runs the module, for O(sasl)
extends_documentation_fragment:
  - zkops.zookeeper.connection
attributes:
  check_mode:
    support: full
    description: Reads the live configuration and reports the change it would make, without applying it.
  diff_mode:
    support: full
    description: Shows the dynamic configuration (server lines) before and after.
  idempotent:
    support: full
    description: When the live configuration already matches O(members), nothing is sent.
options:
  members:
    description:
      - The complete desired membership. Every server of the ensemble must be listed; a server left out is removed.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: Server id (its C(myid)), 1-255.
        type: int
        required: true
      address:
        description: Host name or IP address the other servers use to reach it.
        type: str
        required: true
      quorum_port:
        description: Port followers use to connect to the leader.
        type: int
        default: 2888
      election_port:
        description: Port used for leader election.
        type: int
        default: 3888
      role:
        description: V(participant) votes; V(observer) serves clients and does not vote.
        type: str
        choices: [participant, observer]
        default: participant
      client_port:
        description:
          - Client port of the server, as written in its server line.
          - V(0) writes no client address, for servers that serve clients only on a TLS C(secureClientPort).
            ZooKeeper refuses such lines in an incremental reconfig, so the module then sends the whole member
            list (a non-incremental reconfig). Servers stop listening on a removed client port when they restart.
          - Giving a client address back to a live server that has none is refused, because ZooKeeper 3.8 and 3.9
            then stop serving TLS clients on members until they restart.
        type: int
        default: 2181
      secure_client_port:
        description:
          - The server's TLS client port (C(secureClientPort), which is not part of the server line).
          - With O(members[].client_port=0), O(require_joiners_serving) reads C(srvr) here, with the TLS options.
        type: int
        default: 0
      client_address:
        description: Address the client port is bound to, as written in its server line.
        type: str
        default: 0.0.0.0
  allow_two_voters:
    description:
      - Allow a change that leaves exactly 2 participants. A quorum of 2 needs both, so such an ensemble tolerates no failure.
    type: bool
    default: false
  require_joiners_serving:
    description:
      - Before adding a server, check that it answers C(srvr) as a follower or observer on O(members[].address) and
        its client port, that is, that it is already connected and synced to the leader as a non-voting follower.
    type: bool
    default: true
notes:
  - A joining server must already run, started with the current configuration plus itself listed as an observer,
    so that it syncs from the current leader and can never form a quorum of its own. The zkops.zookeeper.zookeeper
    role does this.
  - Only the majority quorum system is supported (incremental reconfiguration).
seealso:
  - module: zkops.zookeeper.zk_status
  - name: ZooKeeper Dynamic Reconfiguration
    description: The ZooKeeper manual on reconfig.
    link: https://zookeeper.apache.org/doc/current/zookeeperReconfig.html
'''

EXAMPLES = r'''
- name: Grow the ensemble to 3 participants and 1 observer
  zkops.zookeeper.zk_reconfig:
    hosts: 127.0.0.1:2181
    auth:
      - credential: "super:{{ vault_zookeeper_superuser_password }}"
    members:
      - {id: 1, address: zk1.example.net}
      - {id: 2, address: zk2.example.net}
      - {id: 3, address: zk3.example.net}
      - {id: 4, address: zk4.example.net, role: observer}

- name: Preview a change
  zkops.zookeeper.zk_reconfig:
    hosts: zk1.example.net:2181
    auth: [{credential: "super:{{ vault_zookeeper_superuser_password }}"}]
    members: "{{ wanted }}"
  check_mode: true
  diff: true
  register: preview
'''

RETURN = r'''
joining:
  description: Server lines that were (or in check mode would be) added or updated.
  returned: always
  type: list
  elements: str
  sample: ["server.4=zk4:2888:3888:participant;0.0.0.0:2181"]
leaving:
  description: Ids of the servers that were (or would be) removed.
  returned: always
  type: list
  elements: int
  sample: [5]
version_before:
  description: Version of the configuration read before the change (hexadecimal, as ZooKeeper writes it).
  returned: always
  type: str
  sample: "100000000"
version:
  description: Version of the configuration after the change (the same as RV(version_before) when nothing changed).
  returned: always
  type: str
  sample: "100000004"
config:
  description: The dynamic configuration after the change, one server line each (before it, in check mode).
  returned: always
  type: list
  elements: str
voters:
  description: Ids of the participants after the change.
  returned: always
  type: list
  elements: int
'''

import traceback

from ansible.module_utils.basic import AnsibleModule

try:
    from kazoo.retry import KazooRetry
except ImportError:  # reported by zk_connect through missing_required_lib
    KazooRetry = None

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import (
    ConfigError,
    format_server,
    parse_dynamic,
    render_dynamic,
)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import (
    check_connection_params,
    zk_common_argument_spec,
    zk_connect,
)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import endpoint
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_reconfig_plan import plan_change


class _NotInThisKazoo(Exception):
    """Stands for an exception class this kazoo version lacks; never raised."""


try:
    from kazoo import exceptions as _kazoo_exceptions
except ImportError:  # reported by zk_connect through missing_required_lib
    _kazoo_exceptions = None


def _kazoo_error(name):
    # Older kazoo (Debian 13 ships 2.9.0.dev0) lacks some names, such as ReconfigDisabledError.
    return getattr(_kazoo_exceptions, name, _NotInThisKazoo) if _kazoo_exceptions else _NotInThisKazoo


BadArgumentsError = _kazoo_error('BadArgumentsError')
BadVersionError = _kazoo_error('BadVersionError')
ConnectionLoss = _kazoo_error('ConnectionLoss')
NewConfigNoQuorumError = _kazoo_error('NewConfigNoQuorumError')
NoAuthError = _kazoo_error('NoAuthError')
ReconfigDisabledError = _kazoo_error('ReconfigDisabledError')
ReconfigInProcessError = _kazoo_error('ReconfigInProcessError')
SessionExpiredError = _kazoo_error('SessionExpiredError')
UnimplementedError = _kazoo_error('UnimplementedError')

CONFIG_NODE = '/zookeeper/config'
LEARNER_MODES = ('follower', 'observer', 'leader')


def argument_spec():
    spec = zk_common_argument_spec()
    spec.update(
        members=dict(type='list', elements='dict', required=True, options=dict(
            id=dict(type='int', required=True),
            address=dict(type='str', required=True),
            quorum_port=dict(type='int', default=2888),
            election_port=dict(type='int', default=3888),
            role=dict(type='str', default='participant', choices=['participant', 'observer']),
            client_port=dict(type='int', default=2181),
            client_address=dict(type='str', default='0.0.0.0'),
            secure_client_port=dict(type='int', default=0),
        )),
        allow_two_voters=dict(type='bool', default=False),
        require_joiners_serving=dict(type='bool', default=True),
    )
    return spec


def read_config(client):
    client.sync(CONFIG_NODE)
    data, _stat = client.get(CONFIG_NODE)
    return parse_dynamic(data.decode('utf-8'))


def port_errors(members):
    errors = []
    for m in members:
        for key in ('quorum_port', 'election_port', 'client_port', 'secure_client_port'):
            if key in ('client_port', 'secure_client_port') and m[key] == 0:
                continue
            if not 0 < m[key] < 65536:
                errors.append('members: id %d has %s=%d, out of range 1-65535' % (m['id'], key, m[key]))
        if not m['address'].strip():
            errors.append('members: id %d has an empty address' % m['id'])
    return errors


def joiners_not_serving(members, current_ids, timeout, tls_context=None):
    """Joining servers that do not answer srvr as a learner of an ensemble: on the client port,
    or, without one, on the TLS client port with the module's TLS options."""
    missing = []
    for m in members:
        if m['id'] in current_ids:
            continue
        port, context = (m['client_port'], None) if m['client_port'] else (m['secure_client_port'], tls_context)
        if not port or (not m['client_port'] and context is None):
            missing.append('%d (no client port, and no secure_client_port with use_tls to read srvr on)' % m['id'])
            continue
        status = server_status(m['address'], port, timeout, context)
        if status['mode'] not in LEARNER_MODES:
            missing.append('%d (%s: %s)' % (m['id'], endpoint(m['address'], port), status['mode']))
    return missing


def reconfig_error(e, joining, leaving):
    what = 'reconfig (joining=%s, leaving=%s)' % (joining or '-', leaving or '-')
    if isinstance(e, NoAuthError):
        return ('%s was refused: NoAuth. The session may not write /zookeeper/config; authenticate as the digest '
                'superuser (auth: [{credential: "super:<password>"}]) on servers started with its superDigest.' % what)
    if isinstance(e, (ReconfigDisabledError, UnimplementedError)) or 'ReconfigDisabled' in e.__class__.__name__:
        return '%s was refused: reconfiguration is disabled; set reconfigEnabled=true on every server.' % what
    if isinstance(e, NewConfigNoQuorumError):
        return ('%s was refused: NewConfigNoQuorum, a majority of the new voters is not connected and synced '
                'with the leader. Start the joining servers first and check that the voters serve.' % what)
    if isinstance(e, ReconfigInProcessError):
        return '%s was refused: another reconfiguration is in progress; run again.' % what
    if isinstance(e, BadVersionError):
        return '%s was refused: the configuration changed while this module ran; run again.' % what
    if isinstance(e, BadArgumentsError):
        return ('%s was refused: BadArguments (for example fewer than 2 participants with standaloneEnabled=true, '
                'or a server line ZooKeeper cannot parse).' % what)
    return '%s failed: %s: %s' % (what, e.__class__.__name__, e)


def send_reconfig(client, joining, leaving, version=-1, new_members=None):
    """One reconfig call; a connection lost during it (the leader was removed and handed off) is
    recovered by reading the configuration again, and judged by it, never assumed.  The read
    gives up after a minute rather than waiting for ever."""
    try:
        client.reconfig(joining=joining, leaving=leaving, new_members=new_members, from_config=version)
    except (ConnectionLoss, SessionExpiredError):
        pass
    return KazooRetry(max_tries=-1, delay=0.2, max_delay=2.0, deadline=60)(read_config, client)


def needs_whole_list(change):
    """ZooKeeper refuses incremental server lines without a client address (servers that serve
    clients on their TLS port only): such a change is sent as the whole new member list."""
    return any(';' not in line for line in change['joining'])


def client_addresses_added(current, members):
    """Refusals for live servers without a client address that the change would give one: on
    ZooKeeper 3.8 and 3.9 that reconfig makes members stop serving on their TLS port (measured)."""
    return ['id %d has no client address in the live configuration; giving it one (client_port %d) by reconfig '
            'makes ZooKeeper stop serving TLS clients until the members restart' % (m['id'], m['client_port'])
            for m in members if m['id'] in current and m.get('client_port') and not current[m['id']].get('client_port')]


def apply_change(client, change, version, current, members):
    """Send the reconfig and return the configuration read back afterwards.

    Observer -> participant falls back to the manual's two steps (remove, then add)
    when ZooKeeper answers NewConfigNoQuorum.
    """
    joining = ','.join(change['joining']) or None
    leaving = ','.join(str(i) for i in change['leaving']) or None
    promoted = [i for i in change['role_changes'] if current[i]['role'] == 'observer']
    version = int(version, 16) if version else -1
    if needs_whole_list(change):
        after = send_reconfig(client, None, None, version, ','.join(format_server(m) for m in members))
    else:
        try:
            after = send_reconfig(client, joining, leaving, version)
        except NewConfigNoQuorumError:
            if not promoted:
                raise
            send_reconfig(client, None, ','.join(str(i) for i in promoted))
            after = send_reconfig(client, joining, leaving)
    if change['leaving']:
        # Commit a write so the new configuration is active before removed servers are stopped.
        barrier = client.retry(client.create, '/zkops-reconfig-barrier-', ephemeral=True, sequence=True)
        client.retry(client.delete, barrier)
    left = plan_change(list(after['servers'].values()), members, allow_two_voters=True)
    if left['joining'] or left['leaving']:
        raise RuntimeError('the live configuration after reconfig still differs: joining=%s leaving=%s'
                           % (left['joining'], left['leaving']))
    return after


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    members = module.params['members']
    errors = port_errors(members)
    try:
        tls_context = check_connection_params(module.params)
    except ValueError as e:
        errors.append(str(e))
    if errors:
        module.fail_json(msg='; '.join(errors))
    with zk_connect(module) as client:
        try:
            before = read_config(client)
        except ConfigError as e:
            module.fail_json(msg='Cannot parse %s: %s' % (CONFIG_NODE, e))
        except Exception as e:  # kazoo raises several types; name the node and the cause
            module.fail_json(msg='Cannot read %s: %s: %s' % (CONFIG_NODE, e.__class__.__name__, e),
                             exception=traceback.format_exc())
        current = before['servers']
        change = plan_change(list(current.values()), members, module.params['allow_two_voters'])
        change['errors'].extend(client_addresses_added(current, members))
        if change['errors']:
            module.fail_json(msg='Refused, nothing changed: ' + '; '.join(change['errors']),
                             joining=change['joining'], leaving=change['leaving'])
        joining_members = [m for m in members if m['id'] not in current]
        if change['joining'] and module.params['require_joiners_serving']:
            missing = joiners_not_serving(joining_members, current, min(module.params['timeout'], 5), tls_context)
            if missing:
                module.fail_json(msg='Refused, nothing changed: the joining servers %s are not connected to the '
                                     'ensemble as followers. Start each with the current configuration plus itself '
                                     'as an observer first.' % ', '.join(missing),
                                 joining=change['joining'], leaving=change['leaving'])
        changed = bool(change['joining'] or change['leaving'])
        after = before
        if changed and not module.check_mode:
            try:
                after = apply_change(client, change, before['version'], current, members)
            except Exception as e:  # mapped to a message naming the change and the cause
                module.fail_json(msg=reconfig_error(e, change['joining'], change['leaving']),
                                 exception=traceback.format_exc(), joining=change['joining'],
                                 leaving=change['leaving'])
    before_text = render_dynamic(current.values())
    after_text = render_dynamic(after['servers'].values())
    result = dict(changed=changed, joining=change['joining'], leaving=change['leaving'],
                  version_before=before['version'] or '', version=after['version'] or '',
                  config=after_text.splitlines(), voters=change['voters_after'])
    if module._diff:
        planned = render_dynamic(members) if module.check_mode else after_text
        result['diff'] = dict(before=before_text, after=planned,
                              before_header=CONFIG_NODE, after_header=CONFIG_NODE)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

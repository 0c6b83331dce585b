#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_status
short_description: Report the mode of each ZooKeeper server and the health of the ensemble
version_added: 0.1.0
description:
  - Sends the C(srvr) four-letter word to every server in O(hosts) over TCP and reports each server's mode.
  - No ZooKeeper session is opened, so the module works when the ensemble has lost its quorum.
  - Servers that are down are reported with mode C(unreachable); the module does not fail for them unless O(wait_for) is set.
  - A server that answers C(This ZooKeeper instance is not currently serving requests) is reported as C(not-serving).
  - Read-only; it never changes anything.
  - C(srvr) must be in the server's C(4lw.commands.whitelist) (the default of ZooKeeper 3.5 and later).
author:
  - zkops.zookeeper contributors (@zkops)
extends_documentation_fragment:
  - zkops.zookeeper.connection
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs normally in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  idempotent:
    support: full
    description: Reading the state twice changes nothing.
options:
  wait_for:
    description:
      - Block until this state holds, polling every second, and fail when it does not hold within O(timeout) seconds.
      - V(serving) waits until every server in O(hosts) is leader, follower, observer or standalone.
      - V(leader) waits until one server is leader (or the only server is standalone).
      - V(quorum) waits until exactly one leader serves and more than half of the participants are leader or follower.
      - V(synced) waits for a quorum and for the leader to count every other listed server as synced
        (C(zk_synced_followers) + C(zk_synced_observers) of its C(mntr)); needs C(mntr) in the whitelist.
      - When not set, the module reports the current state once.
    type: str
    choices: [serving, leader, quorum, synced]
  observers:
    description:
      - Servers of O(hosts), as C(host:port), that are observers. They do not vote, so their absence does not count
        against the quorum, even when they are unreachable and cannot say so themselves.
    type: list
    elements: str
    default: []
  units:
    description:
      - systemd units of servers in O(hosts) that run on the host where the module runs (for example a member that
        was just restarted). With O(wait_for), the wait fails at once, instead of at O(timeout), when one of them exits
        or crash-loops (failed, inactive, waiting to restart, or restarted while waiting); the message has its state,
        exit status and the last lines of its journal.
    type: list
    elements: str
    default: []
notes:
  - O(auth) is accepted so that the connection options can be set once with C(module_defaults) for the whole group.
    C(srvr) needs no authentication, so it is ignored.
  - With O(use_tls=true) the four-letter word is sent over TLS, to a C(secureClientPort).
  - O(timeout) is both the time allowed for each server to answer and, with O(wait_for), the time allowed for the state to hold.
    All servers are asked at once, so the module ends within about O(timeout) plus a second however many servers hang.
  - Needs only Python's standard library on the host that runs it; kazoo is not needed.
seealso:
  - module: zkops.zookeeper.zk_znode
'''

EXAMPLES = r'''
- name: Show the mode of every member
  zkops.zookeeper.zk_status:
    hosts: zk1:2181,zk2:2181,zk3:2181
  register: ensemble

- name: Exactly one leader
  ansible.builtin.assert:
    that:
      - ensemble.quorum
      - ensemble.leader is not none

- name: After restarting a member, wait until the ensemble has a quorum again
  zkops.zookeeper.zk_status:
    hosts: "{{ groups['zookeeper'] | map('regex_replace', '$', ':2181') | join(',') }}"
    wait_for: quorum
    timeout: 120

- name: Wait for the local server to serve
  zkops.zookeeper.zk_status:
    hosts: 127.0.0.1:2181
    wait_for: serving
    timeout: 60
'''

RETURN = r'''
servers:
  description: One entry per server in O(hosts), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    server:
      description: The server as C(host:port).
      type: str
      sample: zk1:2181
    mode:
      description: C(leader), C(follower), C(observer), C(standalone), C(read-only), C(not-serving) or C(unreachable).
      type: str
      sample: follower
    version:
      description: ZooKeeper version, or null when unknown.
      type: str
      sample: 3.8.0
    zxid:
      description: Last processed transaction id, as reported.
      type: str
      sample: "0x100000002"
    node_count:
      description: Number of znodes.
      type: int
      sample: 5
    latency_min:
      description: Minimum request latency in ms.
      type: float
    latency_avg:
      description: Average request latency in ms.
      type: float
      sample: 0.1
    latency_max:
      description: Maximum request latency in ms.
      type: float
    outstanding:
      description: Outstanding requests.
      type: int
      sample: 0
    connections:
      description: Client connections.
      type: int
      sample: 1
    message:
      description: Why the server is not serving or unreachable; null otherwise.
      type: str
    certificate:
      description:
        - With O(use_tls=true), the certificate the server presented on its TLS client port; null otherwise,
          or when no TLS session was made.
        - The dates and names are decoded only for a certificate verified against O(ca); with
          O(verify_certs=false) only RV(servers[].certificate.sha256) is known.
      type: dict
      version_added: 0.2.0
      contains:
        sha256:
          description: SHA-256 fingerprint of the certificate (DER), lowercase hex. Tells which certificate a member presents.
          type: str
        not_after:
          description: When it expires, UTC, as C(YYYY-MM-DDTHH:MM:SSZ).
          type: str
          sample: "2027-03-01T12:00:00Z"
        days_left:
          description: Days until it expires (negative once expired), to one decimal.
          type: float
          sample: 88.5
        subject:
          description: Its subject, for example C(CN=zk1).
          type: str
        issuer:
          description: Its issuer, for example C(CN=zkops lab CA).
          type: str
        names:
          description: Its subject alternative names (DNS names and IP addresses).
          type: list
          elements: str
leader:
  description: The leader as C(host:port), or null when there is none (or more than one, which means split views).
  returned: always
  type: str
  sample: zk2:2181
leaders:
  description: Every server that says it is leader. More than one means split views, and RV(quorum) is false.
  returned: always
  type: list
  elements: str
synced:
  description:
    - True when the leader counts every other listed server as a synced follower or observer (its C(mntr)).
    - Null when there is no single leader or its C(mntr) is not answered.
  returned: always
  type: bool
leader_sync:
  description: The leader's C(mntr) figures, or null when unknown.
  returned: always
  type: dict
  contains:
    synced_followers:
      description: C(zk_synced_followers).
      type: int
    synced_observers:
      description: C(zk_synced_observers) (null before 3.6).
      type: int
    outstanding_requests:
      description: C(zk_outstanding_requests).
      type: int
    approximate_data_size:
      description: C(zk_approximate_data_size), in bytes.
      type: int
    max_latency:
      description: C(zk_max_latency), in ms.
      type: int
followers:
  description: Servers in follower mode.
  returned: always
  type: list
  elements: str
observers:
  description: Servers in observer mode.
  returned: always
  type: list
  elements: str
standalone:
  description: Servers in standalone mode.
  returned: always
  type: list
  elements: str
serving:
  description: Servers that serve clients (leader, follower, observer or standalone).
  returned: always
  type: list
  elements: str
quorum:
  description:
    - True when exactly one leader serves and more than half of the participants are leader or follower.
    - Participants are the listed servers that are neither in observer mode nor named in O(observers), unreachable ones included.
    - True for a single standalone server.
  returned: always
  type: bool
is_available:
  description: True when at least one server serves.
  returned: always
  type: bool
'''

import threading
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import (
    check_connection_params,
    split_hosts,
    zk_common_argument_spec,
)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import endpoint
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_host_state import parse_show, unit_down
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import (
    FourLetterWordNotAllowed,
    condition_met,
    leader_sync,
    server_status,
    summarize,
)


def poll(hosts, per_server_timeout, tls_context, observers, want_sync):
    """Ask every server at once; a hung server costs per_server_timeout, not its share of a sum."""
    servers = [None] * len(hosts)
    errors = []

    def ask(index, host, port):
        try:
            servers[index] = server_status(host, port, per_server_timeout, tls_context)
        except FourLetterWordNotAllowed as e:
            errors.append(e)
            servers[index] = dict(server=endpoint(host, port), mode='unreachable', message=str(e))

    threads = [threading.Thread(target=ask, args=(i, h, p)) for i, (h, p) in enumerate(hosts)]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join(per_server_timeout + 1)
    if errors:
        raise errors[0]
    for i, (h, p) in enumerate(hosts):
        if servers[i] is None:
            servers[i] = dict(server=endpoint(h, p), mode='unreachable', message='no answer in time')
    sync = None
    leaders = [i for i, s in enumerate(servers) if s['mode'] == 'leader']
    if want_sync and len(leaders) == 1:
        host, port = hosts[leaders[0]]
        sync = leader_sync(host, port, per_server_timeout, tls_context)
    return servers, summarize(servers, observers, sync)


UNIT_PROPERTIES = ['ActiveState', 'SubState', 'NRestarts', 'ExecMainStatus']


def unit_states(module, units):
    systemctl = module.get_bin_path('systemctl')
    states = {}
    for unit in units:
        if not systemctl:
            break
        rc, out, _err = module.run_command([systemctl, 'show', '--'] + [a for p in UNIT_PROPERTIES for a in ('-p', p)]
                                           + [unit])
        if rc == 0:
            states[unit] = parse_show(out)
    return states


def failed_units(module, units, before):
    """Messages for the units that exited or crash-loop, with the tail of their journals."""
    found = []
    for unit, now in unit_states(module, units).items():
        why = unit_down(now, before.get(unit))
        if why:
            journal = module.get_bin_path('journalctl')
            tail = module.run_command([journal, '-u', unit, '-n', '15', '--no-pager', '-o', 'cat'])[1] if journal else ''
            found.append('unit %s is %s; its journal ends:\n%s' % (unit, why, tail.strip()))
    return found


def normalise(entries):
    return [endpoint(h, p) for h, p in split_hosts(','.join(entries))] if entries else []


def main():
    argument_spec = zk_common_argument_spec()
    argument_spec.update(
        wait_for=dict(type='str', choices=['serving', 'leader', 'quorum', 'synced']),
        observers=dict(type='list', elements='str', default=[]),
        units=dict(type='list', elements='str', default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    params = module.params
    try:
        tls_context = check_connection_params(params)
        hosts = split_hosts(params['hosts'])
        observers = normalise(params['observers'])
        unknown = [o for o in observers if o not in normalise([params['hosts'].partition('/')[0]])]
        if unknown:
            raise ValueError("observers %s are not in hosts '%s'; list each observer in hosts too"
                             % (', '.join(unknown), params['hosts']))
    except ValueError as e:
        module.fail_json(msg=str(e))
    timeout = params['timeout']
    wait_for = params['wait_for']

    deadline = time.time() + timeout
    units_before = unit_states(module, params['units']) if wait_for else {}
    down = []
    try:
        while True:
            remaining = max(deadline - time.time(), 0.5)
            servers, summary = poll(hosts, min(timeout, remaining) if wait_for else timeout, tls_context,
                                    observers, True)
            if not wait_for or condition_met(wait_for, servers, summary) or time.time() >= deadline:
                break
            down = failed_units(module, params['units'], units_before)
            if down:
                break
            time.sleep(min(1, max(deadline - time.time(), 0)))
    except FourLetterWordNotAllowed as e:
        module.fail_json(msg="The server refused 'srvr' (%s). Add srvr to 4lw.commands.whitelist in zoo.cfg"
                             " (zookeeper_4lw_whitelist in the zkops.zookeeper.zookeeper role)." % e)

    result = dict(changed=False, servers=servers, is_available=bool(summary['serving']), **summary)
    if down:
        module.fail_json(msg='ZooKeeper stopped before it reached %r (not waiting for the %s s timeout): %s'
                             % (wait_for, timeout, ' '.join(down)), **result)
    if wait_for and not condition_met(wait_for, servers, summary):
        modes = ', '.join('%s=%s' % (s['server'], s['mode']) for s in servers)
        module.fail_json(msg="ZooKeeper did not reach '%s' within %s seconds: %s%s."
                         % (wait_for, timeout, modes,
                            '; the leader counts %s as synced' % summary['leader_sync'] if wait_for == 'synced' else ''),
                         **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_znode
short_description: Create, update and delete ZooKeeper znodes idempotently, one or many over one connection
version_added: 0.1.0
description:
  - Ensures that a znode, or a whole list of znodes (O(znodes)), is present with the given data and ACL, or absent.
  - Data is compared as bytes, so a node that is already as asked is not written and keeps its data version.
  - A batch given with O(znodes) is applied over one ZooKeeper session, which makes seeding trees of hundreds of znodes fast.
  - Replaces C(community.general.znode), adding check mode, diff mode, ACLs, binary values, TLS options and batches.
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
    description: Reports what would change and writes nothing.
  diff_mode:
    support: full
    description: Shows the value and ACL of each changed znode before and after.
  idempotent:
    support: full
    description: Data is compared as bytes and ACLs as sets; a second run with the same input changes nothing.
options:
  path:
    description:
      - Absolute path of the znode, such as C(/app/config). No trailing slash, no empty or relative components.
      - Mutually exclusive with O(znodes).
    type: str
  state:
    description:
      - V(present) creates the znode or updates its data and ACL; V(absent) deletes it.
      - In O(znodes), the default of each item that sets no state.
    type: str
    choices: [present, absent]
    default: present
  value:
    description:
      - Data of the znode, as UTF-8 text.
      - When neither O(value) nor O(value_b64) is given, a new node is created empty and the data of an existing node is left alone.
    type: str
  value_b64:
    description:
      - Data of the znode as base64, for binary data.
    type: str
  acl:
    description:
      - The complete ACL of the znode. When unset, new nodes get C(world:anyone:rwcda) and existing nodes keep their ACL.
      - In O(znodes), the default of each item that sets no ACL.
    type: list
    elements: dict
    suboptions:
      scheme:
        description:
          - ACL scheme. V(sasl) grants a SASL user (see O(sasl)).
          - V(auth) grants the session's own users, the digest users of O(auth) and the user of O(sasl).
        type: str
        required: true
        choices: [world, digest, ip, sasl, auth]
      id:
        description:
          - V(anyone) for C(world) (the default), an address or CIDR for C(ip).
          - A user name (with O(acl[].password)) or C(user:base64hash) for C(digest).
          - The SASL user name for C(sasl).
          - Not given for C(auth).
        type: str
      password:
        description: Password of a C(digest) user; the stored hash is computed from it.
        type: str
      perms:
        description: Permissions, letters from C(r) (read), C(w) (write), C(c) (create), C(d) (delete), C(a) (admin), or V(all).
        type: str
        required: true
  makepath:
    description:
      - Create missing parent znodes (empty, with C(world:anyone:rwcda)). When false, a missing parent fails the task.
    type: bool
    default: true
  recursive:
    description:
      - With O(state=absent), delete the znode together with all of its children.
      - Without it, a node with children is not deleted and the task fails with NotEmpty.
    type: bool
    default: false
  version:
    description:
      - Expected data version of the znode for an update or delete (compare-and-set). A write is refused with BadVersion when the node has another version.
      - V(-1) means any version. With O(state=present), a node that does not exist is not at any version, and the task fails.
      - A node that already holds the wanted data and ACL is not written, so its version is not compared either; a rerun
        after the write reports ok rather than BadVersion.
      - With O(recursive=true), the version is the one of the node itself; its children are deleted at any version.
    type: int
  allow_system_tree:
    description:
      - Allow paths in ZooKeeper's own C(/zookeeper) tree (quotas, the dynamic configuration).
      - Without it such paths are refused before anything is written.
    type: bool
    default: false
  jute_maxbuffer:
    description:
      - The servers' C(jute.maxbuffer) in bytes, the largest request they accept.
      - A value that cannot fit in one request (with its path, ACL and the request headers, counted as ZooKeeper
        serializes them) is refused before anything is written.
      - A batch is split into transactions that each fit.
    type: int
    default: 1048575
  return_value_limit:
    description:
      - Values larger than this many bytes are not returned in RV(value), RV(value_b64), the previous values or the diff;
        their size and SHA-256 are.
    type: int
    default: 4096
  znodes:
    description:
      - A batch of znodes, applied in order over one connection. Each item takes the per-node options of this module.
      - Items that do not set O(znodes[].state), O(znodes[].acl), O(znodes[].makepath) or O(znodes[].recursive) take the module's values.
      - O(value), O(value_b64) and O(version) belong to one node and are refused together with O(znodes).
      - A path may appear only once in a batch.
    type: list
    elements: dict
    suboptions:
      path:
        description: Absolute path of the znode.
        type: str
        required: true
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
      value:
        description: Data as UTF-8 text.
        type: str
      value_b64:
        description: Data as base64.
        type: str
      acl:
        description: The complete ACL, as in O(acl).
        type: list
        elements: dict
        suboptions:
          scheme:
            description: ACL scheme.
            type: str
            required: true
            choices: [world, digest, ip, sasl, auth]
          id:
            description: Identity, as in O(acl[].id).
            type: str
          password:
            description: Password of a C(digest) user.
            type: str
          perms:
            description: Permissions, letters from C(rwcda), or V(all).
            type: str
            required: true
      makepath:
        description: Create missing parents.
        type: bool
      recursive:
        description: Delete with children.
        type: bool
      version:
        description: Expected data version.
        type: int
notes:
  - >-
    What is atomic. The whole batch is planned against the server's tree before anything is written, and every
    refusal the module can see (bad input, a missing parent without O(makepath), a version mismatch, a node with
    children) fails the task with nothing written. Creates (with their ACL), data changes and deletes are then sent as
    one ZooKeeper multi-op transaction, which the server applies completely or not at all.
  - >-
    A batch larger than one request (O(jute_maxbuffer)) is split into several transactions, in order; each is atomic,
    and a failure in one leaves the earlier ones applied, which RV(results) and the task's C(changed) report.
  - >-
    ACL changes of nodes that existed before the task cannot be part of a transaction. The server is asked first,
    without changing anything, whether it accepts each new ACL from this session (valid ACL, admin right); then
    the transaction is committed and the ACL changes follow right after it, each bound to the ACL version that was read.
  - >-
    Check mode sends each transaction with a final operation that always fails, so the server checks every operation
    (rights, versions, ACLs) and applies none. It reports what the real run would do, refusals included. A check-mode
    batch split into several transactions is predicted from the plan alone.
  - A failure names the item in the task's C(msg) and in RV(results[].failed).
seealso:
  - module: zkops.zookeeper.zk_status
  - name: ZooKeeper access control
    description: ACL schemes and permissions.
    link: https://zookeeper.apache.org/doc/current/zookeeperProgrammers.html#sc_ZooKeeperAccessControl
'''

EXAMPLES = r'''
- name: Ensure a configuration value
  zkops.zookeeper.zk_znode:
    hosts: zk1:2181,zk2:2181,zk3:2181
    path: /app/config/feature_x
    value: "enabled"

- name: Binary data and an ACL readable by all, writable by one user
  zkops.zookeeper.zk_znode:
    hosts: zk1:2181
    auth:
      - credential: "admin:{{ vault_zk_admin_password }}"
    path: /app/secret
    value_b64: "AAEC/w=="
    acl:
      - scheme: world
        perms: r
      - scheme: auth
        perms: all

- name: Seed a tree in one task over one connection
  zkops.zookeeper.zk_znode:
    hosts: zk1:2181
    znodes:
      - path: /app/config/a
        value: "1"
      - path: /app/config/b
        value: "2"
      - path: /app/obsolete
        state: absent
        recursive: true

- name: A node only the SASL user app may change, over TLS with a SASL login
  zkops.zookeeper.zk_znode:
    hosts: zk1:2281
    use_tls: true
    ca: /etc/zookeeper/tls/ca.pem
    sasl:
      username: app
      password: "{{ vault_zk_app_password }}"
    path: /app/owned
    value: "1"
    acl:
      - scheme: world
        perms: r
      - scheme: sasl
        id: app
        perms: all

- name: Delete a subtree
  zkops.zookeeper.zk_znode:
    hosts: zk1:2181
    path: /app/old
    state: absent
    recursive: true

- name: Set connection options once for the whole collection
  module_defaults:
    group/zkops.zookeeper.zookeeper:
      hosts: zk1:2181,zk2:2181
      timeout: 5
  block:
    - name: Ensure a node
      zkops.zookeeper.zk_znode:
        path: /app
'''

RETURN = r'''
path:
  description: The znode path (single-node form).
  returned: when O(path) is given
  type: str
  sample: /app/config/feature_x
exists:
  description: Whether the znode exists after the task (or would, in check mode).
  returned: when O(path) is given
  type: bool
stat:
  description: The znode's stat after the task; null when it does not exist. In check mode, the stat before.
  returned: when O(path) is given
  type: dict
  contains:
    version:
      description: Data version.
      type: int
    aversion:
      description: ACL version.
      type: int
    cversion:
      description: Children version.
      type: int
    data_length:
      description: Length of the data in bytes.
      type: int
    num_children:
      description: Number of children.
      type: int
    mzxid:
      description: zxid of the last data change.
      type: int
value:
  description: The data after the task as text, or null when it is not UTF-8 (see RV(value_b64)).
  returned: when O(path) is given
  type: str
value_b64:
  description: The data after the task, base64-encoded.
  returned: when O(path) is given
  type: str
value_size:
  description: Size of the data after the task in bytes; null when the node does not exist.
  returned: when O(path) is given
  type: int
value_sha256:
  description: SHA-256 of the data after the task, hex; null when the node does not exist.
  returned: when O(path) is given
  type: str
previous_value:
  description: The data before the task as text; null when the node did not exist or the data is not UTF-8.
  returned: when O(path) is given
  type: str
previous_value_b64:
  description: The data before the task, base64-encoded; null when the node did not exist.
  returned: when O(path) is given
  type: str
state:
  description: The state asked for, V(present) or V(absent).
  returned: when O(path) is given
  type: str
acl:
  description:
    - The ACL after the task, as C(scheme:id:perms) strings.
    - Digest ids show the user only, as C(digest:user:<hash hidden>:perms).
  returned: when O(path) is given
  type: list
  elements: str
  sample: ["world:anyone:rwcda"]
results:
  description: One entry per item of O(znodes), in order, each with the keys returned in the single-node form plus RV(results[].changed).
  returned: when O(znodes) is given
  type: list
  elements: dict
  contains:
    changed:
      description: Whether this item changed the server (when the task failed, whether it did before the failure).
      type: bool
    failed:
      description: True for the item that stopped a failed batch.
      returned: when the task failed
      type: bool
    msg:
      description: Why the item stopped the batch.
      returned: on the failed item
      type: str
diff:
  description: Before and after, per changed node, when run with C(--diff).
  returned: in diff mode
  type: raw
'''

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import (
    zk_common_argument_spec,
    zk_connect,
)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_apply import BatchFailed, ZnodeApplier
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_spec import (
    JUTE_MAXBUFFER,
    ZnodeError,
    ZnodeSpecError,
    check_request_size,
    desired_data,
    normalize_acl,
    validate_path,
)

ACL_ENTRY = dict(
    scheme=dict(type='str', required=True, choices=['world', 'digest', 'ip', 'sasl', 'auth']),
    id=dict(type='str'),
    password=dict(type='str', no_log=True),
    perms=dict(type='str', required=True),
)
# Options of one node: refused at the top level together with znodes, where they would be ignored.
NODE_ONLY = ('value', 'value_b64', 'version')


def argument_spec():
    spec = zk_common_argument_spec()
    spec.update(
        path=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        value=dict(type='str'),
        value_b64=dict(type='str'),
        acl=dict(type='list', elements='dict', options=ACL_ENTRY),
        makepath=dict(type='bool', default=True),
        recursive=dict(type='bool', default=False),
        version=dict(type='int'),
        allow_system_tree=dict(type='bool', default=False),
        jute_maxbuffer=dict(type='int', default=JUTE_MAXBUFFER),
        return_value_limit=dict(type='int', default=4096),
        znodes=dict(
            type='list', elements='dict',
            options=dict(
                path=dict(type='str', required=True),
                state=dict(type='str', choices=['present', 'absent']),
                value=dict(type='str'),
                value_b64=dict(type='str'),
                acl=dict(type='list', elements='dict', options=ACL_ENTRY),
                makepath=dict(type='bool'),
                recursive=dict(type='bool'),
                version=dict(type='int'),
            ),
            mutually_exclusive=[('value', 'value_b64')],
        ),
    )
    return spec


def _refuse_ignored(src, state, where, single):
    """Options that would have no effect for this item are refused, not silently dropped."""
    if state == 'absent':
        given = [k for k in ('value', 'value_b64', 'acl') if src.get(k) is not None]
        if not single and src.get('makepath') is not None:
            given.append('makepath')
        if given:
            raise ZnodeSpecError("%s: %s has no effect with state absent; remove it" % (where, ', '.join(given)))
    elif src.get('recursive'):
        raise ZnodeSpecError("%s: recursive has no effect with state present; remove it" % where)
    version = src.get('version')
    if version is not None and version < -1:
        raise ZnodeSpecError("%s: version %d is not a data version (0 or more, or -1 for any)" % (where, version))


def check_params(params):
    """Module-wide checks, before any item."""
    if params['jute_maxbuffer'] < 1024 * 2:
        raise ZnodeSpecError("jute_maxbuffer %d is too small: ZooKeeper's default is %d bytes"
                             % (params['jute_maxbuffer'], JUTE_MAXBUFFER))
    if params['return_value_limit'] < 0:
        raise ZnodeSpecError("return_value_limit %d must be 0 or more" % params['return_value_limit'])
    if params['znodes'] is not None:
        given = [k for k in NODE_ONLY if params.get(k) is not None]
        if given:
            raise ZnodeSpecError("%s belongs to one node and would be ignored with znodes; set it on each item instead"
                                 % ', '.join(given))
        if not params['znodes']:
            raise ZnodeSpecError("znodes is empty; give at least one item, or use path")


def desired_items(params):
    """The list of wanted nodes, validated, before anything is contacted."""
    check_params(params)
    raw = params['znodes'] if params['znodes'] is not None else [dict(path=params['path'])]
    single = params['znodes'] is None
    items, seen = [], {}
    for index, item in enumerate(raw):
        where = "path" if single else "znodes[%d]" % index
        src = params if single else item

        def pick(key):
            value = src.get(key)
            return params[key] if value is None else value
        try:
            path = validate_path(item['path'], params['allow_system_tree'])
        except ZnodeSpecError as e:
            raise ZnodeSpecError('%s: %s' % (where, e))
        if path in seen:
            raise ZnodeSpecError("%s: '%s' is already znodes[%d]; a path may appear once in a batch"
                                 % (where, path, seen[path]))
        seen[path] = index
        state = pick('state')
        if state == 'absent' and path == '/':
            raise ZnodeSpecError("%s: the root znode / cannot be deleted" % where)
        _refuse_ignored(src, state, where, single)
        data = desired_data(src.get('value'), src.get('value_b64'), where)
        check_request_size(path, data, where, params['jute_maxbuffer'])
        items.append(dict(
            path=path,
            state=state,
            data=data,
            acl=normalize_acl(pick('acl'), params['auth'], "%s '%s'" % (where, path), params.get('sasl')),
            makepath=pick('makepath'),
            recursive=pick('recursive'),
            version=src.get('version'),
        ))
    return items


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[('path', 'znodes'), ('value', 'value_b64')],
        required_one_of=[('path', 'znodes')],
    )
    params = module.params
    try:
        items = desired_items(params)
    except ZnodeSpecError as e:
        module.fail_json(msg=str(e))

    single = params['znodes'] is None
    pairs, applier = [], None
    try:
        with zk_connect(module) as client:
            applier = ZnodeApplier(client, check_mode=module.check_mode, maxbuffer=params['jute_maxbuffer'],
                                   value_limit=params['return_value_limit'])
            pairs = applier.apply(items)
    except BatchFailed as e:
        msg = ("path '%s': %s" % (items[0]['path'], e.results[0]['msg'])) if single else str(e)
        module.fail_json(msg=msg, changed=e.changed, results=e.results)
    except ZnodeError as e:
        module.fail_json(msg=str(e), changed=bool(applier and applier.committed is not False))
    except Exception as e:  # pylint: disable=broad-except
        # Anything unforeseen still says what happened and to what.
        module.fail_json(msg="zk_znode on '%s' (%s): %s: %s" % (
            params['hosts'], items[0]['path'] if single else '%d znodes' % len(items), type(e).__name__, e),
            changed=bool(applier and applier.committed is not False), exception=traceback.format_exc())

    results = [r for r, _d in pairs]
    diffs = [d for _r, d in pairs if d is not None]
    changed = any(r['changed'] for r in results)
    output = dict(changed=changed)
    if single:
        output.update(results[0])
    else:
        output['results'] = results
    if module._diff:
        output['diff'] = diffs[0] if (single and diffs) else diffs
    module.exit_json(**output)


if __name__ == '__main__':
    main()

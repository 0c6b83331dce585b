# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a planned batch of znodes over one kazoo client, atomically.

* Reads are pipelined: every request of a round is sent, then the answers are
  collected, so a batch of thousands of unchanged nodes costs a few round trips.
* Creates, data changes and deletes go in ZooKeeper multi-op transactions: a
  failure in one applies nothing of it.  A batch larger than one request
  (jute.maxbuffer) is split into transactions, each atomic on its own.
* A multi cannot carry setACL.  Before the first transaction, every ACL change
  of an existing node is sent with a version that cannot match: the server
  checks the ACL and the session's admin right first and answers BadVersion
  when both are fine, so a change it would refuse is found before anything is
  written.  The ACL changes are applied right after the transactions.
* Check mode sends each transaction with a last operation that always fails:
  the server checks every operation and applies none, so check mode predicts
  the real run, refusals included.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_plan import BatchPlan, PlanError
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_spec import (
    CHECK_PROBE,
    MULTI_OVERHEAD,
    op_request_size,
    ZnodeError,
    acl_to_strings,
    build_diff,
    describe_data,
)

try:
    from kazoo import exceptions as kz
    from kazoo.security import ACL, Id
except ImportError:  # reported by zk_connection.ensure_required_libs
    kz = None

NEVER_A_VERSION = -2
NEEDS_CREDENTIALS = "credentials that the ACL grants are needed (auth option)"
WHAT = {
    'NoAuthError': "the ACL of the node or of its parent does not allow this session to do it; " + NEEDS_CREDENTIALS,
    'NodeExistsError': "the node was created by another client while the task ran",
    'NoNodeError': "the node or its parent was removed by another client while the task ran",
    'BadVersionError': "the node is not at the expected data version",
    'NotEmptyError': "the node has children created by another client while the task ran",
    'InvalidACLError': "the server refused the ACL",
    'BadArgumentsError': "the server refused the request's arguments",
    'NoChildrenForEphemeralsError': "its parent is an ephemeral node, which cannot have children",
}


def stat_to_dict(stat):
    if stat is None:
        return None
    return dict(version=stat.version, aversion=stat.aversion, cversion=stat.cversion,
                data_length=stat.dataLength, num_children=stat.numChildren, mzxid=stat.mzxid)


def acl_to_kazoo(acl):
    return [ACL(bits, Id(scheme, ident)) for scheme, ident, bits in acl]


def explain(error, acl=None):
    """What a refusal means; for a refused ACL, its entries and the likely cause."""
    name = type(error).__name__
    text = '%s: %s' % (name.replace('Error', ''), WHAT.get(name, str(error) or 'no detail from the server'))
    if name == 'InvalidACLError' and acl:
        schemes = sorted(set(scheme for scheme, _ident, _bits in acl))
        text += (' %s (scheme %s). Likely causes: a scheme the server has no authentication provider for (sasl needs '
                 'authProvider.sasl, that is zookeeper_client_sasl_users or Kerberos; x509 needs client TLS), an id '
                 'not in its scheme\'s form (digest: user:base64(sha1(user:password)); ip: an address or CIDR), or '
                 'scheme auth in a session without credentials'
                 % (acl_to_strings(acl), ', '.join(schemes)))
    return text


class KazooReader(object):
    """The plan's reader: pipelined reads of data, ACL, stat and children."""

    def __init__(self, client):
        self.client = client

    def read_nodes(self, paths):
        pending = [(p, self.client.get_async(p), self.client.get_acls_async(p)) for p in paths]
        out = {}
        for path, data_result, acl_result in pending:
            try:
                data, stat = data_result.get()
                acls, _stat = acl_result.get()
            except kz.NoNodeError:
                out[path] = None
                continue
            except kz.NoAuthError:
                raise ZnodeError("NoAuth: the ACL of '%s' does not allow this session to read it; %s"
                                 % (path, NEEDS_CREDENTIALS))
            acl = sorted((a.id.scheme, a.id.id, a.perms) for a in acls)
            out[path] = (data, acl, stat_to_dict(stat))
        return out

    def read_children(self, paths):
        pending = [(p, self.client.get_children_async(p)) for p in paths]
        out = {}
        for path, result in pending:
            try:
                out[path] = result.get()
            except kz.NoNodeError:
                out[path] = []
            except kz.NoAuthError:
                raise ZnodeError("NoAuth: the ACL of '%s' does not allow this session to list its children; %s"
                                 % (path, NEEDS_CREDENTIALS))
        return out


def op_size(op):
    kind = op[0]
    return op_request_size(kind, op[1], op[2] if kind in ('create', 'set') else None,
                           op[3] if kind == 'create' else None)


def chunks(ops, maxbuffer, reserve=0):
    """Split (op, index) pairs into transactions that each fit in one request (less ``reserve`` bytes); an
    operation that cannot fit in a request of its own (a create whose ACL tips it over) is refused, naming its item."""
    budget = maxbuffer - MULTI_OVERHEAD - reserve
    out, current, size = [], [], 0
    for pair in ops:
        cost = op_size(pair[0])
        if cost > budget:
            raise PlanError(pair[1], "%s of '%s' would be a request of %d bytes with its path, ACL and headers, more "
                                     "than jute_maxbuffer (%d bytes)" % (pair[0][0], pair[0][1],
                                                                         cost + MULTI_OVERHEAD, maxbuffer))
        if current and size + cost > budget:
            out.append(current)
            current, size = [], 0
        current.append(pair)
        size += cost
    if current:
        out.append(current)
    return out


class BatchFailed(ZnodeError):
    """The batch stopped at item ``index``; ``results`` says what each item did (most often: nothing)."""

    def __init__(self, index, message, results, changed):
        super(BatchFailed, self).__init__(message)
        self.index, self.results, self.changed = index, results, changed


class ZnodeApplier(object):
    def __init__(self, client, check_mode=False, maxbuffer=0xfffff, value_limit=None):
        self.client = client
        self.check_mode = check_mode
        self.maxbuffer = maxbuffer
        self.value_limit = value_limit
        self.committed = False   # whether the server changed
        self.applied = set()     # indexes of items with an operation the server applied

    def _transaction(self, chunk):
        txn = self.client.transaction()
        for op, _index in chunk:
            kind = op[0]
            if kind == 'create':
                txn.create(op[1], op[2], acl=acl_to_kazoo(op[3]))
            elif kind == 'set':
                txn.set_data(op[1], op[2], version=op[3])
            elif kind == 'delete':
                txn.delete(op[1], version=op[2])
            else:
                txn.check(op[1], op[2])
        if self.check_mode:
            txn.check('/', NEVER_A_VERSION)
        try:
            results = txn.commit()
        except (kz.ConnectionLoss, kz.SessionExpiredError) as e:
            # The server may have applied the transaction before the answer was lost.
            if not self.check_mode:
                self.committed = None
            raise PlanError(chunk[0][1], "the connection was lost while a transaction was committed (%s); it may or "
                            "may not have been applied: run the task again" % type(e).__name__)
        for position, result in enumerate(results[:len(chunk)]):
            if isinstance(result, Exception) and not isinstance(result, (kz.RolledBackError, kz.RuntimeInconsistency)):
                op, index = chunk[position]
                raise PlanError(index, "%s of '%s' refused, nothing of this transaction was applied: %s"
                                % (op[0], op[1], explain(result, op[3] if op[0] == 'create' else None)))
        if not self.check_mode:
            self.committed = True
            self.applied.update(index for _op, index in chunk)

    def _probe_acls(self, acl_ops):
        pending = [(a, self.client.set_acls_async(a[0], acl_to_kazoo(a[1]), version=NEVER_A_VERSION)) for a in acl_ops]
        for (path, acl, _aversion, index), result in pending:
            try:
                result.get()
            except kz.BadVersionError:
                continue   # allowed: the ACL is valid and the session has the admin right
            except (kz.NoAuthError, kz.InvalidACLError) as e:
                raise PlanError(index, "the ACL %s of '%s' would be refused, nothing was written: %s"
                                % (acl_to_strings(acl), path, explain(e, acl)))
            raise PlanError(index, "the server accepted an ACL probe of '%s' it should have refused" % path)

    def _set_acls(self, acl_ops):
        pending = [(a, self.client.set_acls_async(a[0], acl_to_kazoo(a[1]), version=a[2])) for a in acl_ops]
        for (path, _acl, _aversion, index), result in pending:
            try:
                result.get()
            except kz.KazooException as e:
                raise PlanError(index, "the ACL of '%s' could not be set after the transaction was applied: %s"
                                % (path, explain(e)))
            self.committed = True
            self.applied.add(index)

    def apply(self, items):
        """Plan, check and apply; return [(result, diff or None)] per item.

        Raises BatchFailed naming the item that stopped the batch, with what each item did."""
        try:
            return self._apply(items)
        except PlanError as e:
            message = "znodes[%d] '%s': %s" % (e.index, items[e.index]['path'], e)
            results = []
            for index, item in enumerate(items):
                entry = dict(path=item['path'], state=item['state'], changed=index in self.applied,
                             failed=index == e.index)
                if index == e.index:
                    entry['msg'] = str(e)
                results.append(entry)
            raise BatchFailed(e.index, message, results, self.committed is not False)

    def _apply(self, items):
        plan = BatchPlan(KazooReader(self.client)).plan(items)
        self._probe_acls(plan.acl_ops)
        pieces = chunks(plan.ops, self.maxbuffer)
        if self.check_mode:
            try:
                pieces = chunks(plan.ops, self.maxbuffer, CHECK_PROBE)
            except PlanError:
                pieces = []   # fits a real request, but not with check mode's probe of /
        if self.check_mode and len(pieces) > 1:
            pieces = []   # later transactions depend on earlier ones; the plan alone predicts them
        for chunk in pieces:
            self._transaction(chunk)
        if not self.check_mode:
            self._set_acls(plan.acl_ops)
        stats = self._stats_after(plan)
        return [self._result(r, stats) for r in plan.results]

    def _stats_after(self, plan):
        if self.check_mode:
            return {}
        paths = [r['item']['path'] for r in plan.results if r['after'][0]]
        pending = [(p, self.client.exists_async(p)) for p in paths]
        return dict((p, stat_to_dict(res.get())) for p, res in pending)

    def _result(self, planned, stats):
        path = planned['item']['path']
        exists, data, acl = planned['after']
        before = planned['before']
        shown = describe_data(data, self.value_limit)
        previous = describe_data(before[1], self.value_limit)
        stat = stats.get(path) if stats else (before[3] if exists else None)
        result = dict(
            path=path, state=planned['item']['state'], changed=planned['changed'], exists=exists, stat=stat,
            value=shown['value'], value_b64=shown['value_b64'], value_size=shown['size'],
            value_sha256=shown['sha256'], previous_value=previous['value'],
            previous_value_b64=previous['value_b64'], acl=acl_to_strings(acl),
        )
        diff = None
        if planned['changed']:
            diff = build_diff(path, before[:3], planned['after'], self.value_limit)
        return result, diff

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a list of desired znodes over one kazoo client.

Reads for the whole batch are pipelined (all requests sent, then all answers
collected), so a batch of a thousand unchanged nodes costs a few round trips.
Writes happen in order.  Every mutation is guarded by check mode.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_spec import (
    ZnodeError,
    acl_to_strings,
    build_diff,
    describe_data,
    parent_paths,
)

try:
    from kazoo.exceptions import BadVersionError, NoAuthError, NoNodeError, NotEmptyError, InvalidACLError
    from kazoo.security import ACL, Id
except ImportError:  # reported by zk_connection.ensure_required_libs
    pass

OPEN_ACL = [('world', 'anyone', 31)]


def stat_to_dict(stat):
    if stat is None:
        return None
    return dict(version=stat.version, aversion=stat.aversion, cversion=stat.cversion,
                data_length=stat.dataLength, num_children=stat.numChildren, mzxid=stat.mzxid)


def acl_from_server(acls):
    return sorted((a.id.scheme, a.id.id, a.perms) for a in acls)


def acl_to_kazoo(acl):
    return [ACL(bits, Id(scheme, ident)) for scheme, ident, bits in acl]


class ZnodeApplier(object):
    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode
        self.known = set(['/'])      # paths known to exist, to skip parent checks
        self.written = set()         # paths written (or simulated) in this batch, and their ancestors
        self.deleted = set()         # paths deleted in this batch
        self.overlay = {}            # check mode: path -> (exists, data, acl, stat) as simulated

    # -- reading -------------------------------------------------------
    def _prefetch(self, items):
        """Send every read first, then collect: one round trip for the batch."""
        pending = [(self.client.get_async(i['path']), self.client.get_acls_async(i['path'])) for i in items]
        return pending

    def _collect(self, path, pending):
        get_result, acl_result = pending
        try:
            data, stat = get_result.get()
        except NoNodeError:
            return False, None, None, None
        except NoAuthError:
            raise ZnodeError("NoAuth: the ACL of '%s' does not allow this session to read it; "
                             "credentials that the ACL grants are needed (auth option)" % path)
        try:
            acls, _astat = acl_result.get()
        except NoNodeError:
            return False, None, None, None
        except NoAuthError:
            raise ZnodeError("NoAuth: the ACL of '%s' does not allow this session to read its ACL; "
                             "credentials with read or admin permission are needed (auth option)" % path)
        return True, data, acl_from_server(acls), stat

    def _stale(self, path):
        """Whether an earlier item of this batch may have changed what was prefetched."""
        if path in self.written:
            return True
        return any(p in self.deleted for p in parent_paths(path) + [path])

    def _current(self, path, pending):
        if not self._stale(path):
            return self._collect(path, pending)
        if path in self.overlay:
            return self.overlay[path]
        if self.check_mode and any(p in self.deleted for p in parent_paths(path) + [path]):
            return False, None, None, None
        return self._collect(path, (self.client.get_async(path), self.client.get_acls_async(path)))

    def _mark(self, path, state):
        self.written.add(path)
        self.written.update(parent_paths(path))
        if state is None:
            self.deleted.add(path)
        else:
            self.deleted.discard(path)
            self.known.add(path)
            if self.check_mode:
                self.overlay[path] = state

    # -- writing -------------------------------------------------------
    def _ensure_parents(self, item):
        for parent in parent_paths(item['path']):
            if parent in self.known:
                continue
            if not item['makepath']:
                if self.client.exists(parent) is None:
                    raise ZnodeError("the parent '%s' of '%s' does not exist; set makepath: true to create it"
                                     % (parent, item['path']))
            elif not self.check_mode:
                self.client.ensure_path(parent)
            self._mark(parent, (True, b'', OPEN_ACL, None))

    def _present(self, item, exists, data, acl, stat):
        path = item['path']
        if not exists:
            new_data = item['data'] if item['data'] is not None else b''
            new_acl = item['acl'] if item['acl'] is not None else OPEN_ACL
            self._ensure_parents(item)
            if not self.check_mode:
                _path, stat = self.client.create(path, new_data, acl=acl_to_kazoo(new_acl), include_data=True)
            self._mark(path, (True, new_data, new_acl, None))
            return True, (True, new_data, new_acl, stat)
        data_change = item['data'] is not None and item['data'] != data
        acl_change = item['acl'] is not None and item['acl'] != acl
        if not (data_change or acl_change):
            self.known.add(path)
            return False, (True, data, acl, stat)
        self._check_version(item, stat)
        new_data = item['data'] if data_change else data
        new_acl = item['acl'] if acl_change else acl
        if not self.check_mode:
            if data_change:
                stat = self.client.set(path, new_data, version=self._version(item))
            if acl_change:
                stat = self.client.set_acls(path, acl_to_kazoo(new_acl))
        self._mark(path, (True, new_data, new_acl, stat))
        return True, (True, new_data, new_acl, stat)

    def _absent(self, item, exists, stat):
        path = item['path']
        if not exists:
            return False, (False, None, None, None)
        if stat is not None and stat.numChildren and not item['recursive']:
            raise ZnodeError("NotEmpty: '%s' has %d children; set recursive: true to delete it with its children"
                             % (path, stat.numChildren))
        if not item['recursive']:
            self._check_version(item, stat)
        if not self.check_mode:
            self.client.delete(path, version=self._version(item), recursive=item['recursive'])
        self._mark(path, None)
        self.known.discard(path)
        return True, (False, None, None, None)

    @staticmethod
    def _version(item):
        return -1 if item['version'] is None else item['version']

    @staticmethod
    def _check_version(item, stat):
        if item['version'] is not None and stat is not None and stat.version != item['version']:
            raise ZnodeError("BadVersion: '%s' is at data version %d, not the expected version %d"
                             % (item['path'], stat.version, item['version']))

    # -- driver --------------------------------------------------------
    def apply(self, items):
        """Yield (result, diff or None) per item, in order."""
        pending = self._prefetch(items)
        for item, reads in zip(items, pending):
            path = item['path']
            try:
                exists, data, acl, stat = self._current(path, reads)
                if item['state'] == 'present':
                    changed, after = self._present(item, exists, data, acl, stat)
                else:
                    changed, after = self._absent(item, exists, stat)
            except NoAuthError:
                raise ZnodeError("NoAuth: the ACL of '%s' (or of its parent) does not allow this change; "
                                 "credentials that the ACL grants are needed (auth option)" % path)
            except BadVersionError:
                raise ZnodeError("BadVersion: '%s' is not at the expected data version %s" % (path, item['version']))
            except NotEmptyError:
                raise ZnodeError("NotEmpty: '%s' has children; set recursive: true to delete it with its children" % path)
            except InvalidACLError:
                raise ZnodeError("InvalidACL: the server refused the ACL %s for '%s'"
                                 % (acl_to_strings(item['acl']), path))
            except NoNodeError:
                raise ZnodeError("NoNode: a parent of '%s' was removed while the task ran" % path)
            result = self._result(path, item['state'], changed, (exists, data, acl, stat), after)
            diff = build_diff(path, (exists, data, acl), after[:3]) if changed else None
            yield result, diff

    @staticmethod
    def _result(path, state, changed, before, after):
        exists, data, acl, stat = after
        shown = describe_data(data)
        previous = describe_data(before[1])
        return dict(
            path=path, state=state, changed=changed, exists=exists,
            stat=stat_to_dict(stat if stat is not None else (before[3] if exists else None)),
            value=shown['value'], value_b64=shown['value_b64'],
            previous_value=previous['value'], previous_value_b64=previous['value_b64'],
            acl=acl_to_strings(acl),
        )

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a batch of znodes against the server's tree, in memory, before anything is written.

The same plan serves check mode and the real run, so check mode predicts the
real run for every batch shape.  It holds:

* ``ops``: the multi-op transaction, in order: ``('create', path, data, acl)``,
  ``('set', path, data, version)``, ``('delete', path, version)`` and
  ``('check', path, version)``, each with the index of the item it serves;
* ``acl_ops``: ACL changes of nodes that existed before the batch, which a
  multi cannot carry: ``(path, acl, aversion, item index)``;
* one result per item: whether it changes, and the node before and after.

The tree is read through a ``reader`` with ``read_nodes(paths)`` (path ->
``(data, acl, stat)`` or None) and ``read_children(paths)`` (path -> names);
the caller pipelines those reads.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_spec import ZnodeError, parent_paths

OPEN_ACL = [('world', 'anyone', 31)]
ANY_VERSION = -1


class PlanError(ZnodeError):
    """An item cannot be applied; ``index`` names it."""

    def __init__(self, index, message):
        super(PlanError, self).__init__(message)
        self.index = index


class Node(object):
    """A znode as the plan sees it: read from the server, or created by the batch."""
    __slots__ = ('data', 'acl', 'stat', 'created', 'base_children', 'added')

    def __init__(self, data, acl, stat, created=False):
        self.data, self.acl, self.stat, self.created = data, acl, stat, created
        self.base_children = set() if created else None   # names on the server, read when needed
        self.added = set()                                 # names created by the batch

    @property
    def version(self):
        return 0 if self.stat is None else self.stat['version']


def same_acl(wanted, current):
    """ACLs as sets. A session without the admin right reads digest ids as user:x; those compare by user."""
    if sorted(wanted) == sorted(current or []):
        return True
    if not any(s == 'digest' and i.endswith(':x') for s, i, _b in current or []):
        return False

    def masked(acl):
        return sorted((s, i.partition(':')[0] + ':x' if s == 'digest' else i, b) for s, i, b in acl)
    return masked(wanted) == masked(current)


def child(path, name):
    return (path if path != '/' else '') + '/' + name


class BatchPlan(object):
    def __init__(self, reader):
        self.reader = reader
        self.nodes = {}
        self.ops = []
        self.acl_ops = []
        self.results = []
        self._create_op = {}   # path -> index in ops of its create

    # -- the tree --------------------------------------------------------
    def prefetch(self, paths):
        wanted = []
        for path in paths:
            if path not in self.nodes and path not in wanted and self._ancestor_state(path) is None:
                wanted.append(path)
        if wanted:
            for path, found in self.reader.read_nodes(wanted).items():
                self.nodes[path] = None if found is None else Node(*found)

    def _ancestor_state(self, path):
        """'absent' when the batch removed an ancestor or created it (so nothing is below it on the server)."""
        for parent in parent_paths(path):
            node = self.nodes.get(parent, False)
            if node is None or (node is not False and node.created):
                return 'absent'
        return None

    def node(self, path):
        if path in self.nodes:
            return self.nodes[path]
        if self._ancestor_state(path):
            return None
        self.prefetch([path])
        return self.nodes[path]

    def _children_of(self, paths):
        """Current children names of existing nodes, reading unknown ones in one round."""
        unknown = [p for p in paths if self.nodes[p].base_children is None]
        if unknown:
            for path, names in self.reader.read_children(unknown).items():
                self.nodes[path].base_children = set(names)
        out = {}
        for path in paths:
            node = self.nodes[path]
            names = node.base_children | node.added
            out[path] = sorted(n for n in names if self.nodes.get(child(path, n), True) is not None)
        return out

    def _subtree(self, path):
        """Descendants of an existing node, parents before children."""
        order, level = [], [path]
        while level:
            kids = self._children_of(level)
            level = [child(p, n) for p in level for n in kids[p]]
            for p in level:
                if p not in self.nodes:
                    self.nodes[p] = Node(None, None, None)   # exists; its data is not needed to delete it
            order.extend(level)
        return order

    # -- changes ---------------------------------------------------------
    def _create(self, path, data, acl, index):
        self._create_op[path] = len(self.ops)
        self.ops.append((('create', path, data, acl), index))
        self.nodes[path] = Node(data, acl, None, created=True)
        if path != '/':
            parent = self.nodes.get(parent_paths(path)[-1] if parent_paths(path) else '/')
            if parent is not None:
                parent.added.add(path.rsplit('/', 1)[1])

    def _delete(self, path, version, index):
        for desc in reversed(self._subtree(path)):
            self.ops.append((('delete', desc, ANY_VERSION), index))
            self.nodes[desc] = None
        self.ops.append((('delete', path, version), index))
        self.nodes[path] = None
        gone = path + '/'
        self.acl_ops = [a for a in self.acl_ops if a[0] != path and not a[0].startswith(gone)]

    def _present(self, index, item, node):
        path, version = item['path'], item['version']
        if node is None:
            if version not in (None, ANY_VERSION):
                raise PlanError(index, "BadVersion: '%s' does not exist, so it is not at the expected data version %d"
                                % (path, version))
            for parent in parent_paths(path):
                if self.node(parent) is None:
                    if not item['makepath']:
                        raise PlanError(index, "the parent '%s' of '%s' does not exist; set makepath: true to create it"
                                        % (parent, path))
                    self._create(parent, b'', OPEN_ACL, index)
            data = item['data'] if item['data'] is not None else b''
            acl = item['acl'] if item['acl'] is not None else OPEN_ACL
            self._create(path, data, acl, index)
            return True, (True, data, acl)
        data_change = item['data'] is not None and item['data'] != node.data
        acl_change = item['acl'] is not None and not same_acl(item['acl'], node.acl)
        if not (data_change or acl_change):
            # Already as asked: nothing is written, whatever its version (a rerun is ok, not BadVersion).
            return False, (True, node.data, node.acl)
        self._check_version(index, item, node)
        new_data = item['data'] if data_change else node.data
        new_acl = item['acl'] if acl_change else node.acl
        if node.created:
            # created earlier in this batch (a parent): the create op carries the final data and ACL
            at = self._create_op[path]
            self.ops[at] = (('create', path, new_data, new_acl), self.ops[at][1])
        else:
            if data_change:
                self.ops.append((('set', path, new_data, ANY_VERSION if version is None else version), index))
            elif version not in (None, ANY_VERSION):
                self.ops.append((('check', path, version), index))
            if acl_change:
                self.acl_ops.append((path, new_acl, node.stat['aversion'], index))
        node.data, node.acl = new_data, new_acl
        if data_change and node.stat is not None:
            node.stat = dict(node.stat, version=node.stat['version'] + 1)
        return True, (True, new_data, new_acl)

    def _absent(self, index, item, node):
        path = item['path']
        if node is None:
            return False, (False, None, None)
        self._check_version(index, item, node)
        if not item['recursive']:
            kids = self._children_of([path])[path]
            if kids:
                raise PlanError(index, "NotEmpty: '%s' has %d children; set recursive: true to delete it with its "
                                "children" % (path, len(kids)))
        version = item['version']
        self._delete(path, ANY_VERSION if version is None else version, index)
        return True, (False, None, None)

    @staticmethod
    def _check_version(index, item, node):
        if item['version'] not in (None, ANY_VERSION) and node.version != item['version']:
            raise PlanError(index, "BadVersion: '%s' is at data version %d, not the expected version %d"
                            % (item['path'], node.version, item['version']))

    # -- driver ------------------------------------------------------------
    def plan(self, items):
        """Plan every item in order; raises PlanError naming the first item that cannot be applied."""
        paths = []
        for item in items:
            paths.extend(parent_paths(item['path']) + [item['path']])
        self.prefetch(paths)
        for index, item in enumerate(items):
            node = self.node(item['path'])
            before = (False, None, None, None) if node is None else (True, node.data, node.acl, node.stat)
            if item['state'] == 'present':
                changed, after = self._present(index, item, node)
            else:
                changed, after = self._absent(index, item, node)
            self.results.append(dict(item=item, changed=changed, before=before, after=after))
        return self

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of zk_znode: path validation, ACL normalisation, desired state and diff.

Nothing here talks to ZooKeeper, so it is unit tested without a server.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import hashlib

PERM_BITS = (('r', 1), ('w', 2), ('c', 4), ('d', 8), ('a', 16))
ACL_SCHEMES = ('world', 'digest', 'ip', 'auth')


class ZnodeError(Exception):
    """A failure reported to the user as a clean message, not a traceback."""


class ZnodeSpecError(ZnodeError, ValueError):
    """Invalid user input; the message names the option and value."""


def validate_path(path):
    """Return the path when it is a valid absolute znode path, else raise."""
    if not isinstance(path, str) or not path:
        raise ZnodeSpecError("path '%s' is empty; a znode path is absolute, such as /app/config" % path)
    if not path.startswith('/'):
        raise ZnodeSpecError("path '%s' is not absolute: it must start with /" % path)
    if path == '/':
        return path
    if path.endswith('/'):
        raise ZnodeSpecError("path '%s' ends with /: remove the trailing slash" % path)
    for part in path[1:].split('/'):
        if part == '':
            raise ZnodeSpecError("path '%s' has an empty component (//)" % path)
        if part in ('.', '..'):
            raise ZnodeSpecError("path '%s' has a relative component '%s'" % (path, part))
        if '\x00' in part:
            raise ZnodeSpecError("path '%s' contains a NUL character" % path)
    return path


def parent_paths(path):
    """'/a/b/c' -> ['/a', '/a/b'] (ancestors below the root, outermost first)."""
    parts = path.strip('/').split('/')[:-1]
    return ['/' + '/'.join(parts[:i]) for i in range(1, len(parts) + 1)]


def perms_to_bits(perms, where):
    perms = (perms or '').lower()
    if perms == 'all':
        perms = 'rwcda'
    bits = 0
    known = dict(PERM_BITS)
    for ch in perms:
        if ch not in known:
            raise ZnodeSpecError("%s perms '%s' has '%s': use letters from r, w, c, d, a (or 'all')" % (where, perms, ch))
        bits |= known[ch]
    if not bits:
        raise ZnodeSpecError("%s perms is empty: use letters from r, w, c, d, a (or 'all')" % where)
    return bits


def bits_to_perms(bits):
    return ''.join(ch for ch, bit in PERM_BITS if bits & bit)


def digest_id(username, password):
    """The id ZooKeeper stores for digest credentials: user:base64(sha1(user:password))."""
    raw = ('%s:%s' % (username, password)).encode('utf-8')
    return '%s:%s' % (username, base64.b64encode(hashlib.sha1(raw).digest()).decode('ascii'))


def normalize_acl(entries, auth, where):
    """Turn the user's acl list into sorted (scheme, id, bits) tuples as the server stores them.

    auth entries are expanded to the digest ids of the session's digest
    credentials, which is what the server records for them.
    """
    if entries is None:
        return None
    result = set()
    for index, entry in enumerate(entries):
        label = '%s acl[%d]' % (where, index)
        scheme = entry.get('scheme')
        if scheme not in ACL_SCHEMES:
            raise ZnodeSpecError("%s scheme '%s' is not one of %s" % (label, scheme, ', '.join(ACL_SCHEMES)))
        bits = perms_to_bits(entry.get('perms'), label)
        ident = entry.get('id')
        if scheme == 'world':
            result.add(('world', ident or 'anyone', bits))
        elif scheme == 'ip':
            if not ident:
                raise ZnodeSpecError("%s scheme ip needs an id such as 10.0.0.0/8" % label)
            result.add(('ip', ident, bits))
        elif scheme == 'digest':
            if not ident:
                raise ZnodeSpecError("%s scheme digest needs an id: a user name with password, or user:hash" % label)
            if entry.get('password') is not None:
                ident = digest_id(ident, entry['password'])
            elif ':' not in ident:
                raise ZnodeSpecError("%s scheme digest id '%s' has no hash: give password, or id as user:base64hash" % (label, ident))
            result.add(('digest', ident, bits))
        else:  # auth
            digests = [a['credential'] for a in (auth or []) if a.get('scheme', 'digest') == 'digest']
            if not digests:
                raise ZnodeSpecError("%s scheme auth needs digest credentials in the auth option" % label)
            for credential in digests:
                user, _sep, password = credential.partition(':')
                result.add(('digest', digest_id(user, password), bits))
    if not result:
        raise ZnodeSpecError("%s acl is empty: give at least one entry, or leave acl unset" % where)
    return sorted(result)


def acl_to_strings(acl):
    """[('world', 'anyone', 31)] -> ['world:anyone:rwcda']"""
    if acl is None:
        return None
    return ['%s:%s:%s' % (scheme, ident, bits_to_perms(bits)) for scheme, ident, bits in acl]


def desired_data(value, value_b64, where):
    if value is not None:
        return value.encode('utf-8')
    if value_b64 is not None:
        try:
            return base64.b64decode(value_b64, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ZnodeSpecError("%s value_b64 is not valid base64: %s" % (where, e))
    return None


def describe_data(data):
    """Readable form of znode data for results and diffs: text when it is UTF-8."""
    if data is None:
        return dict(value=None, value_b64=None)
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    return dict(value=text, value_b64=base64.b64encode(data).decode('ascii'))


def diff_state(path, exists, data, acl):
    """One side of a diff: what the node looks like."""
    if not exists:
        return {}
    shown = describe_data(data)
    state = dict(path=path, value=shown['value'] if shown['value'] is not None else 'base64:' + shown['value_b64'])
    if acl is not None:
        state['acl'] = acl_to_strings(acl)
    return state


def build_diff(path, before, after):
    """A diff dict for Ansible: before/after with a header naming the path."""
    return dict(before_header=path, after_header=path,
                before=diff_state(path, *before), after=diff_state(path, *after))

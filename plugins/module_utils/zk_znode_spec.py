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
import ipaddress

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import split_digest_credential

PERM_BITS = (('r', 1), ('w', 2), ('c', 4), ('d', 8), ('a', 16))
ACL_SCHEMES = ('world', 'digest', 'ip', 'sasl', 'auth')
# ZooKeeper's default jute.maxbuffer: the largest request a server accepts.
JUTE_MAXBUFFER = 0xfffff
# What a multi request carries besides its operations, as ZooKeeper reads it (jute): the request header
# (xid, type) and the closing multi header (type, done, err). Check mode adds a check of / (CHECK_PROBE).
MULTI_OVERHEAD = 8 + 9
CHECK_PROBE = 9 + 4 + 1 + 4
SYSTEM_TREE = '/zookeeper'


class ZnodeError(Exception):
    """A failure reported to the user as a clean message, not a traceback."""


class ZnodeSpecError(ZnodeError, ValueError):
    """Invalid user input; the message names the option and value."""


def _bad_code_point(ch):
    """Code points ZooKeeper's PathUtils refuses (it works on UTF-16 units, so beyond U+FFFF is refused too)."""
    c = ord(ch)
    return (0 < c <= 0x1f or 0x7f <= c <= 0x9f or 0xd800 <= c <= 0xf8ff or c >= 0xfff0)


def validate_path(path, allow_system_tree=False):
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
            raise ZnodeSpecError("path %r contains a NUL character" % path)
        bad = [ch for ch in part if _bad_code_point(ch)]
        if bad:
            raise ZnodeSpecError("path %r contains U+%04X, a character ZooKeeper does not allow in paths"
                                 % (path, ord(bad[0])))
    if not allow_system_tree and (path == SYSTEM_TREE or path.startswith(SYSTEM_TREE + '/')):
        raise ZnodeSpecError("path '%s' is in ZooKeeper's own /zookeeper tree (quotas, configuration); "
                             "set allow_system_tree: true to change it anyway" % path)
    return path


def op_request_size(kind, path, data=None, acl=None):
    """Bytes one operation takes in a multi request: its multi header (type, done, err) and its record,
    each string and buffer with its 4-byte length, as ZooKeeper's jute serializes them."""
    size = 9 + 4 + len(path.encode('utf-8'))
    if kind == 'create':
        size += 4 + len(data or b'') + 4 + sum(12 + len(scheme) + len(ident) for scheme, ident, _bits in acl or []) + 4
    elif kind == 'set':
        size += 4 + len(data or b'') + 4
    else:
        size += 4   # delete, check: the version
    return size


def check_request_size(path, data, where, maxbuffer):
    """Refuse data that cannot fit in one request of the server (jute.maxbuffer), even as the smallest write
    (a set); a create, with its ACL, is checked exactly when the batch is planned."""
    size = MULTI_OVERHEAD + op_request_size('set', path, data)
    if size > maxbuffer:
        raise ZnodeSpecError("%s '%s': the value is %d bytes; the request would be %d bytes with its path and "
                             "headers, more than jute_maxbuffer (%d bytes), so the server would refuse it"
                             % (where, path, len(data or b''), size, maxbuffer))


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


def split_credential(credential, where):
    """'user:password' -> (user, password); the connection helper's check, as a ZnodeSpecError."""
    try:
        return split_digest_credential(credential, where)
    except ValueError as e:
        raise ZnodeSpecError(str(e))


def _ip_id(ident, label):
    if not ident:
        raise ZnodeSpecError("%s scheme ip needs an id such as 10.0.0.0/8" % label)
    try:
        ipaddress.ip_network(ident, strict=False)
    except ValueError:
        raise ZnodeSpecError("%s scheme ip id '%s' is not an address or a CIDR range such as 10.0.0.0/8" % (label, ident))
    return ident


def _digest_acl_id(ident, password, label):
    if not ident:
        raise ZnodeSpecError("%s scheme digest needs an id: a user name with password, or user:hash" % label)
    if password is not None:
        if ':' in ident:
            raise ZnodeSpecError("%s scheme digest: with password, id is the user name alone, without a colon" % label)
        return digest_id(ident, password)
    user, sep, hashed = ident.partition(':')
    if not sep:
        raise ZnodeSpecError("%s scheme digest id '%s' has no hash: give password, or id as user:base64hash"
                             % (label, ident))
    try:
        valid = len(base64.b64decode(hashed, validate=True)) == 20
    except (binascii.Error, ValueError):
        valid = False
    if not user or ':' in hashed or not valid:
        raise ZnodeSpecError("%s scheme digest id for user '%s' is not user:base64(sha1(user:password)), "
                             "28 characters after the colon" % (label, user))
    return ident


def _session_ids(ident, auth, sasl, label, bits):
    """What the server stores for an acl entry of scheme auth: one entry per identity of the session."""
    if ident:
        raise ZnodeSpecError("%s scheme auth takes no id (it grants the session's users: the digest users of auth "
                             "and the user of sasl); remove id '%s'" % (label, ident))
    ids = set()
    for credential in [a['credential'] for a in (auth or []) if a.get('scheme', 'digest') == 'digest']:
        user, password = split_credential(credential, 'auth')
        ids.add(('digest', digest_id(user, password), bits))
    if sasl:
        ids.add(('sasl', sasl['username'], bits))
    if not ids:
        raise ZnodeSpecError("%s scheme auth needs digest credentials in the auth option, or a sasl login" % label)
    return ids


def normalize_acl(entries, auth, where, sasl=None):
    """Turn the user's acl list into sorted (scheme, id, bits) tuples as the server stores them.

    auth entries are expanded to the identities of the session, which is what
    the server records for them: the digest ids of its digest credentials, and
    the user of a DIGEST-MD5 SASL login (``sasl``, the modules' sasl option).
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
            if ident not in (None, 'anyone'):
                raise ZnodeSpecError("%s scheme world has id '%s': its only id is anyone" % (label, ident))
            result.add(('world', 'anyone', bits))
        elif scheme == 'ip':
            result.add(('ip', _ip_id(ident, label), bits))
        elif scheme == 'digest':
            result.add(('digest', _digest_acl_id(ident, entry.get('password'), label), bits))
        elif scheme == 'sasl':
            if not ident:
                raise ZnodeSpecError("%s scheme sasl needs an id: the SASL user name" % label)
            result.add(('sasl', ident, bits))
        else:  # auth
            result.update(_session_ids(ident, auth, sasl, label, bits))
    if not result:
        raise ZnodeSpecError("%s acl is empty: give at least one entry, or leave acl unset" % where)
    return sorted(result)


def acl_to_strings(acl):
    """[('world', 'anyone', 31)] -> ['world:anyone:rwcda']; digest hashes are never shown."""
    if acl is None:
        return None
    return ['%s:%s:%s' % (scheme, _shown_id(scheme, ident), bits_to_perms(bits)) for scheme, ident, bits in acl]


def _shown_id(scheme, ident):
    if scheme == 'digest':
        return ident.partition(':')[0] + ':<hash hidden>'
    return ident


def desired_data(value, value_b64, where):
    if value is not None:
        return value.encode('utf-8')
    if value_b64 is not None:
        try:
            return base64.b64decode(value_b64, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ZnodeSpecError("%s value_b64 is not valid base64: %s" % (where, e))
    return None


def describe_data(data, limit=None):
    """Readable form of znode data for results and diffs: text when it is UTF-8.

    Always its size and sha256; the value itself only up to ``limit`` bytes.
    """
    if data is None:
        return dict(value=None, value_b64=None, size=None, sha256=None)
    digest = hashlib.sha256(data).hexdigest()
    if limit is not None and len(data) > limit:
        return dict(value=None, value_b64=None, size=len(data), sha256=digest)
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    return dict(value=text, value_b64=base64.b64encode(data).decode('ascii'), size=len(data), sha256=digest)


def diff_state(path, exists, data, acl, limit=None):
    """One side of a diff: what the node looks like."""
    if not exists:
        return {}
    shown = describe_data(data, limit)
    if shown['value'] is not None:
        value = shown['value']
    elif shown['value_b64'] is not None:
        value = 'base64:' + shown['value_b64']
    else:
        value = '<%d bytes, sha256 %s>' % (shown['size'], shown['sha256'])
    state = dict(path=path, value=value)
    if acl is not None:
        state['acl'] = acl_to_strings(acl)
    return state


def build_diff(path, before, after, limit=None):
    """A diff dict for Ansible: before/after with a header naming the path."""
    return dict(before_header=path, after_header=path,
                before=diff_state(path, *before, limit=limit), after=diff_state(path, *after, limit=limit))

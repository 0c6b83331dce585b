# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared ZooKeeper connection code for the zkops.zookeeper modules.

One argument spec, one library check, one mapping of module parameters to
KazooClient keyword arguments, and one connect function that fails with a
message naming the hosts.  The options are documented once, in the
``zkops.zookeeper.connection`` doc fragment.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import missing_required_lib

KAZOO_IMPORT_ERROR = None
try:
    from kazoo.client import KazooClient
    from kazoo.handlers.threading import KazooTimeoutError
except ImportError:
    KazooClient = None
    KazooTimeoutError = None
    KAZOO_IMPORT_ERROR = traceback.format_exc()

DEFAULT_PORT = 2181


def zk_common_argument_spec():
    """Connection options shared by every module of the collection."""
    return dict(
        hosts=dict(type='str', required=True),
        timeout=dict(type='float', default=10.0),
        auth=dict(
            type='list', elements='dict', no_log=False,
            options=dict(
                scheme=dict(type='str', default='digest'),
                credential=dict(type='str', required=True, no_log=True),
            ),
        ),
        use_tls=dict(type='bool', default=False),
        ca=dict(type='path'),
        cert=dict(type='path'),
        key=dict(type='path', no_log=False),
        verify_certs=dict(type='bool', default=True),
    )


def ensure_required_libs(module):
    """Fail with Ansible's standard message when kazoo is missing."""
    if KAZOO_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib('kazoo'), exception=KAZOO_IMPORT_ERROR)


def split_hosts(hosts):
    """Split a connection string into (host, port) pairs.

    'zk1:2181,zk2,[::1]:2182/chroot' -> [('zk1', 2181), ('zk2', 2181), ('::1', 2182)]
    Raises ValueError with the offending entry.
    """
    if not hosts or not hosts.strip():
        raise ValueError("hosts is empty; give a connection string such as 'zk1:2181,zk2:2181'")
    servers = hosts.split('/', 1)[0]
    result = []
    for entry in servers.split(','):
        entry = entry.strip()
        if not entry:
            raise ValueError("hosts '%s' has an empty entry" % hosts)
        if entry.startswith('['):
            host, _sep, rest = entry[1:].partition(']')
            port = rest[1:] if rest.startswith(':') else ''
        elif entry.count(':') == 1:
            host, port = entry.split(':')
        else:
            host, port = entry, ''
        if not host:
            raise ValueError("hosts entry '%s' has no host name" % entry)
        try:
            port = int(port) if port else DEFAULT_PORT
        except ValueError:
            raise ValueError("hosts entry '%s' has a port that is not a number" % entry)
        if not 0 < port < 65536:
            raise ValueError("hosts entry '%s' has a port out of range 1-65535" % entry)
        result.append((host, port))
    return result


def zk_client_kwargs(params):
    """Map module parameters to KazooClient keyword arguments."""
    kwargs = dict(
        hosts=params['hosts'],
        timeout=params['timeout'],
        auth_data=[(a['scheme'], a['credential']) for a in (params.get('auth') or [])] or None,
    )
    if params.get('use_tls'):
        kwargs.update(
            use_ssl=True,
            ca=params.get('ca'),
            certfile=params.get('cert'),
            keyfile=params.get('key'),
            verify_certs=params.get('verify_certs', True),
        )
    return kwargs


@contextmanager
def zk_connect(module):
    """Yield a started KazooClient; always stopped and closed afterwards.

    An ensemble that cannot be reached fails the module within ``timeout``
    with a message naming the hosts, never a traceback or a hang.
    """
    ensure_required_libs(module)
    params = module.params
    try:
        split_hosts(params['hosts'])
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = KazooClient(**zk_client_kwargs(params))
    try:
        try:
            client.start(timeout=params['timeout'])
        except KazooTimeoutError:
            module.fail_json(msg="Could not connect to ZooKeeper at '%s' within %s seconds"
                             % (params['hosts'], params['timeout']))
        except Exception as e:  # kazoo raises several types for auth and TLS failures
            module.fail_json(msg="Could not connect to ZooKeeper at '%s': %s" % (params['hosts'], e),
                             exception=traceback.format_exc())
        yield client
    finally:
        try:
            client.stop()
        finally:
            client.close()

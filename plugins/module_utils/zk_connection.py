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

import os
import ssl
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import endpoint, split_endpoint

KAZOO_IMPORT_ERROR = None
try:
    from kazoo.client import KazooClient
    from kazoo.handlers.threading import KazooTimeoutError
    from kazoo.protocol.states import KazooState, KeeperState
except ImportError:
    KazooClient = None
    KazooTimeoutError = None
    KazooState = KeeperState = None
    KAZOO_IMPORT_ERROR = traceback.format_exc()

PURESASL_IMPORT_ERROR = None
try:
    import puresasl  # noqa: F401 pylint: disable=unused-import
except ImportError:
    PURESASL_IMPORT_ERROR = traceback.format_exc()

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
        sasl=dict(
            type='dict', no_log=False,
            options=dict(
                mechanism=dict(type='str', default='DIGEST-MD5', choices=['DIGEST-MD5']),
                username=dict(type='str', required=True),
                password=dict(type='str', required=True, no_log=True),
            ),
        ),
    )


def ensure_required_libs(module):
    """Fail with Ansible's standard message when kazoo (or, for sasl, pure-sasl) is missing."""
    if KAZOO_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib('kazoo'), exception=KAZOO_IMPORT_ERROR)
    if module.params.get('sasl') and PURESASL_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib('pure-sasl', reason='for the sasl option'),
                         exception=PURESASL_IMPORT_ERROR)


def split_hosts(hosts):
    """Split a connection string into (host, port) pairs.

    'zk1:2181,zk2,[::1]:2182/chroot' -> [('zk1', 2181), ('zk2', 2181), ('::1', 2182)]
    Raises ValueError naming the offending entry.
    """
    if not hosts or not hosts.strip():
        raise ValueError("hosts is empty; give a connection string such as 'zk1:2181,zk2:2181'")
    servers, slash, chroot = hosts.partition('/')
    if slash and (not chroot or chroot.endswith('/') or '//' in chroot):
        raise ValueError("hosts '%s' has a chroot '/%s' that is not a znode path such as /app" % (hosts, chroot))
    result = []
    for entry in servers.split(','):
        entry = entry.strip()
        if not entry:
            raise ValueError("hosts '%s' has an empty entry" % hosts)
        try:
            host, port = split_endpoint(entry, DEFAULT_PORT)
        except ValueError as e:
            raise ValueError('hosts entry %s' % e)
        if (host.lower(), port) in [(h.lower(), p) for h, p in result]:
            raise ValueError("hosts '%s' lists %s twice" % (hosts, endpoint(host, port)))
        result.append((host, port))
    return result


def split_digest_credential(credential, where):
    """'user:password' -> (user, password); raises ValueError naming ``where`` for one without a user or a colon."""
    user, sep, password = (credential or '').partition(':')
    if not sep or not user:
        raise ValueError("%s: a digest credential is user:password; the one given has %s"
                         % (where, 'no colon' if not sep else 'no user before the colon'))
    return user, password


def check_connection_params(params):
    """Everything about the connection options that can be known before connecting; raises ValueError.

    Returns the TLS context of the options (None without use_tls), for a raw socket such as srvr's.
    """
    split_hosts(params['hosts'])
    if not params['timeout'] or params['timeout'] <= 0:
        raise ValueError("timeout %s must be more than 0 seconds" % params['timeout'])
    for index, entry in enumerate(params.get('auth') or []):
        if entry.get('scheme', 'digest') == 'digest':
            split_digest_credential(entry.get('credential'), 'auth[%d]' % index)
    return tls_context(params)


def tls_context(params):
    """The TLS context of the options use_tls, ca, cert, key and verify_certs (None without use_tls);
    raises ValueError naming the files that cannot be used."""
    if not params.get('use_tls'):
        return None
    for name in ('ca', 'cert', 'key'):
        path = params.get(name)
        if path and not os.access(path, os.R_OK):
            raise ValueError("%s '%s' %s" % (name, path, 'cannot be read' if os.path.exists(path) else 'does not exist'))
    if bool(params.get('cert')) != bool(params.get('key')):
        raise ValueError("cert and key go together for a client certificate; give both or neither")
    try:
        context = ssl.create_default_context(cafile=params.get('ca') or None)
        # A certificate in the CA file is a trust anchor by itself: a CA rollover's stage may trust a member's
        # certificate whose CA the role no longer has (zk_certificates.rollover_steps).
        context.verify_flags |= getattr(ssl, 'VERIFY_X509_PARTIAL_CHAIN', 0)
        if not params.get('verify_certs', True):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if params.get('cert'):
            context.load_cert_chain(params['cert'], params['key'])
    except (ssl.SSLError, OSError, ValueError) as e:
        raise ValueError("the TLS files (ca '%s', cert '%s', key '%s') cannot be used: %s"
                         % (params.get('ca'), params.get('cert'), params.get('key'), e))
    return context


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
    sasl = params.get('sasl')
    if sasl:
        # kazoo hands these to pure-sasl; for DIGEST-MD5 it sets ZooKeeper's realm itself.
        kwargs['sasl_options'] = dict((k, sasl[k]) for k in ('mechanism', 'username', 'password'))
    return kwargs


def watch_refused_login(client):
    """Return a list that gets True if the server refuses the client's credentials.

    kazoo's start() returns once the session exists; the SASL login runs after that, on the
    connection's thread. A refused login closes the session, and if that happens before start()
    looks at it, start() raises its time-out error. The listener reads the client's state when
    the session is lost, so a refused login is reported as one, however the threads were ordered.
    """
    refused = []

    def listener(state):
        if state == KazooState.LOST and client.client_state == KeeperState.AUTH_FAILED:
            refused.append(True)
    client.add_listener(listener)
    return refused


def refused_login_reason(params):
    if params.get('sasl'):
        return "the server refused the SASL login of sasl.username '%s'" % params['sasl'].get('username')
    return 'the server refused the credentials of auth'


@contextmanager
def zk_connect(module):
    """Yield a started KazooClient; always stopped and closed afterwards.

    An ensemble that cannot be reached fails the module within ``timeout``
    with a message naming the hosts, never a traceback or a hang.
    """
    ensure_required_libs(module)
    params = module.params
    try:
        check_connection_params(params)
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = KazooClient(**zk_client_kwargs(params))
    refused = watch_refused_login(client)
    try:
        try:
            client.start(timeout=params['timeout'])
            if params.get('sasl'):
                # The SASL login ends after start() returns: a refused login fails here, not in the first change.
                client.exists('/zookeeper')
        except KazooTimeoutError:
            if refused:
                module.fail_json(msg="Could not connect to ZooKeeper at '%s': AuthFailedError: %s"
                                 % (params['hosts'], refused_login_reason(params)))
            module.fail_json(msg="Could not connect to ZooKeeper at '%s' within %s seconds%s"
                             % (params['hosts'], params['timeout'],
                                ' (with TLS: is it the secureClientPort?)' if params.get('use_tls') else ''))
        except Exception as e:  # kazoo raises several types for auth and TLS failures
            reason = e
            if type(e).__name__ == 'AuthFailedError':
                reason = refused_login_reason(params)
            module.fail_json(msg="Could not connect to ZooKeeper at '%s': %s: %s"
                             % (params['hosts'], type(e).__name__, reason), exception=traceback.format_exc())
        chroot = params['hosts'].partition('/')[2]
        if chroot and client.exists('/') is None:
            module.fail_json(msg="The chroot '/%s' of hosts '%s' does not exist on the server: create the znode /%s "
                                 "first (without the chroot in hosts)." % (chroot, params['hosts'], chroot))
        yield client
    finally:
        try:
            client.stop()
        finally:
            client.close()

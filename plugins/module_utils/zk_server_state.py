# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a ZooKeeper server of this host holds on disk and how it runs: zk_server_info's reading, which
zk_host_info also does (option servers), so that the role reads a host in one call."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import ssl

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import (
    ConfigError,
    parse_dynamic,
    parse_properties,
    servers_from_static,
    static_digest,
)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import split_hosts, tls_context
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_datadir import newest_state, zxid_hex
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import (
    block_sha256,
    certificate_blocks,
    reloads_certificates,
)
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_quorum_security import stages_of


RESTART_MARKER = 'zkops-restart-owed'
SERVING = ('leader', 'follower', 'observer', 'standalone')


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def data_zxid(data_dir):
    top = 0
    try:
        names = os.listdir(os.path.join(data_dir, 'version-2'))
    except OSError:
        return 0
    for name in names:
        prefix, dot, suffix = name.partition('.')
        if dot and prefix in ('log', 'snapshot'):
            try:
                top = max(top, int(suffix, 16))
            except ValueError:
                continue
    return top


def _presented(der, props):
    """The certificate a server presents on its TLS client port (PEM and SHA-256), and whether it is another than
    the first of the key store its zoo.cfg names (a server that has not loaded its key store since it changed)."""
    if not der:
        return {}
    pem = ssl.DER_cert_to_PEM_cert(der)
    sha256 = block_sha256(pem)
    keystore = certificate_blocks(_read(props.get('ssl.keyStore.location') or '') or '')
    return dict(presented_certificate=dict(sha256=sha256, pem=pem),
                certificate_stale=bool(keystore) and block_sha256(keystore[0]) != sha256)


def read_instance(inst, timeout, context=None, scan_logs=False, loose=None):
    text = _read(inst['config'])
    info = dict(name=inst['name'], form='none', servers={}, version=None, dynamic_file=None, static_digest=None,
                quorum_stages=stages_of({}), myid=None, data_zxid=0, has_data=False, mode=None, zxid=None,
                restart_owed=os.path.exists(os.path.join(os.path.dirname(inst['config']), RESTART_MARKER)))
    props = {}
    if text is not None:
        props = parse_properties(text)
        info['static_digest'] = static_digest(props)
        info['quorum_stages'] = stages_of(props)
        dynamic = props.get('dynamicConfigFile')
        if dynamic:
            info.update(form='dynamic', dynamic_file=dynamic)
            parsed = parse_dynamic(_read(dynamic) or '')
            version = parsed['version']
            if version is None and '.dynamic.' in dynamic:
                version = dynamic.rsplit('.', 1)[1]
            info.update(servers=dict((str(k), v) for k, v in parsed['servers'].items()), version=version)
        else:
            servers = servers_from_static(props)
            info.update(form='static' if servers else 'standalone',
                        servers=dict((str(k), v) for k, v in servers.items()))
    myid = _read(os.path.join(inst['data_dir'], 'myid'))
    info['myid'] = myid.strip() if myid is not None else None
    info['data_zxid'] = data_zxid(inst['data_dir'])
    info['has_data'] = info['data_zxid'] > 0
    if scan_logs:
        state = newest_state(inst['data_dir'], inst.get('data_log_dir'))
        info.update(logged_zxid=zxid_hex(state['zxid']), data_problems=state['problems'])
    host, port = split_hosts(inst['client'])[0]
    status = server_status(host, port, timeout)
    info.update(mode=status['mode'], zxid=status['zxid'], node_count=status['node_count'], tls_mode=None)
    info.update(presented_certificate=None, certificate_stale=False)
    if context is not None and inst.get('secure_client'):
        host, port = split_hosts(inst['secure_client'])[0]
        peer = {}
        secure = server_status(host, port, timeout, context, peer)
        info['tls_mode'] = secure['mode']
        if secure['mode'] not in SERVING and loose is not None:
            # The trust store does not verify what the server presents (a CA rollover the server has not
            # caught up with): what it presents, and how it runs, read without verifying it.
            peer = {}
            secure = server_status(host, port, timeout, loose, peer)
        if status['mode'] not in SERVING and secure['mode'] in SERVING:
            info.update(mode=secure['mode'], zxid=secure['zxid'], node_count=secure['node_count'])
            status = secure
        info.update(_presented(peer.get('der'), props))
    info['server_version'] = status['version'] if info['mode'] in SERVING else None
    info['reloads_certificates'] = info['server_version'] is not None and reloads_certificates(info['server_version'], props)
    return info


def read_servers(params):
    """zk_server_info's result for ``params`` (instances, use_tls, ca, cert, key, timeout, scan_logs): one dict per
    instance. TLS files that cannot be used are reported in each entry's tls_problem. Raises ValueError naming the
    instance whose configuration cannot be read."""
    if params['timeout'] <= 0:
        raise ValueError('timeout must be greater than 0, got %s' % params['timeout'])
    try:
        context, tls_problem = tls_context(params), None
        loose = tls_context(dict(params, verify_certs=False))
    except ValueError as e:
        # Not there yet (a run that turns TLS on writes the files later): the TLS port is not read.
        context, loose, tls_problem = None, None, str(e)
    results = []
    for inst in params['instances']:
        try:
            results.append(dict(read_instance(inst, params['timeout'], context, params.get('scan_logs'), loose),
                                tls_problem=tls_problem))
        except (ConfigError, ValueError) as e:
            raise ValueError('Instance %s (%s): %s' % (inst['name'], inst['config'], e))
    return results


def server_argument_spec():
    """zk_server_info's options, which zk_host_info takes as its option servers."""
    return dict(
        instances=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            config=dict(type='path', required=True),
            data_dir=dict(type='path', required=True),
            client=dict(type='str', required=True),
            secure_client=dict(type='str'),
            data_log_dir=dict(type='path'),
        )),
        scan_logs=dict(type='bool', default=False),
        use_tls=dict(type='bool', default=False),
        ca=dict(type='path'),
        cert=dict(type='path'),
        key=dict(type='path', no_log=False),
        timeout=dict(type='float', default=2.0),
    )

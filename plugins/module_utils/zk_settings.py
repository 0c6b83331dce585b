# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One validation pass over the role's variables, before anything on any host changes.

``settings_problems(values)`` takes the role's variables as a dict (name -> value, as the play sees them)
and returns one message per problem, each naming the variable and its value and saying what is accepted.
``path_problems(paths, found)`` refuses directories that belong to the system or to something else, from
what zk_host_info read on the host. ``unit_problems`` refuses a service name whose unit is not ZooKeeper's.
The role's preflight puts the host's name in front of every message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os
import posixpath
import re

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import address_problem
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import invalid_sources

# Directories a typo must never hand over to the service user: the system's own, and their usual parents.
SYSTEM_DIRS = frozenset([
    '/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/lost+found', '/media',
    '/mnt', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/usr/bin', '/usr/include',
    '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/local', '/usr/local/bin', '/usr/local/lib', '/usr/sbin',
    '/usr/share', '/usr/src', '/var', '/var/backups', '/var/cache', '/var/lib', '/var/local', '/var/lock',
    '/var/log', '/var/mail', '/var/opt', '/var/run', '/var/spool', '/var/tmp', '/etc/systemd', '/etc/systemd/system',
    '/etc/default', '/etc/sysconfig', '/etc/ssl', '/etc/pki', '/usr/share/java', '/lib/systemd', '/usr/lib/systemd',
])

# zoo.cfg keys the role writes itself; zookeeper_extra_config may not set them.
MANAGED_KEYS = frozenset([
    'tickTime', 'initLimit', 'syncLimit', 'dataDir', 'dataLogDir', 'clientPort', 'clientPortAddress',
    'maxClientCnxns', '4lw.commands.whitelist', 'admin.enableServer', 'admin.serverAddress', 'admin.serverPort',
    'autopurge.snapRetainCount', 'autopurge.purgeInterval', 'secureClientPort', 'serverCnxnFactory',
    'ssl.keyStore.location', 'ssl.keyStore.type', 'ssl.trustStore.location', 'ssl.trustStore.type', 'ssl.clientAuth',
    'authProvider.sasl', 'standaloneEnabled', 'reconfigEnabled', 'quorumListenOnAllIPs', 'dynamicConfigFile',
    'sslQuorum', 'portUnification', 'ssl.quorum.keyStore.location', 'ssl.quorum.keyStore.type',
    'ssl.quorum.trustStore.location', 'ssl.quorum.trustStore.type', 'quorum.auth.enableSasl',
    'quorum.auth.learnerRequireSasl', 'quorum.auth.serverRequireSasl', 'quorum.auth.learner.saslLoginContext',
    'quorum.auth.server.saslLoginContext', 'peerType', 'sslQuorumReloadCertFiles', 'client.certReload',
    'fips-mode', 'ssl.hostnameVerification', 'ssl.quorum.hostnameVerification', 'ssl.allowReverseDnsLookup',
    'ssl.quorum.allowReverseDnsLookup',
])
# Keys that name members: the role writes them in the dynamic configuration, and reconfig changes them.
MEMBER_KEY = re.compile(r'^(server|group|weight)\.')
# Known zoo.cfg keys with a type the value is checked against (zookeeperAdmin.md).
_INT = ('int', 0)
_POS = ('int', 1)
_BOOL = ('bool', None)
KNOWN_KEYS = {
    'globalOutstandingLimit': _POS, 'preAllocSize': _POS, 'snapCount': _POS, 'snapSizeLimitInKb': _INT,
    'commitLogCount': _POS, 'txnLogSizeLimitInKb': _INT, 'minSessionTimeout': _POS, 'maxSessionTimeout': _POS,
    'fsync.warningthresholdms': _POS, 'maxCnxns': _INT, 'cnxTimeout': _POS, 'electionPortBindRetry': _INT,
    'jute.maxbuffer': _POS, 'syncEnabled': _BOOL, 'forceSync': _BOOL, 'leaderServes': _BOOL,
    'snapshot.trust.empty': _BOOL, 'audit.enable': _BOOL, 'skipACL': _BOOL, 'localSessionsEnabled': _BOOL,
    'localSessionsUpgradingEnabled': _BOOL, 'zookeeper.request_throttle_max_requests': _INT,
    'connectToLearnerMasterLimit': _POS, 'quorum.cnxn.threads.size': _POS, 'serverCnxnFactory': None,
    'metricsProvider.className': ('str', None), 'metricsProvider.httpPort': ('port', None),
    'metricsProvider.httpHost': ('str', None), 'maxResponseCacheSize': _INT, 'maxGetChildrenResponseCacheSize': _INT,
    'snapshot.compression.method': ('choice', ('gz', 'snappy', '')), 'digest.enabled': _BOOL,
    'multiAddress.enabled': _BOOL, 'enforceQuota': _BOOL, 'admin.commandURL': ('str', None),
    'admin.idleTimeout': _POS, 'electionAlg': ('choice', ('3',)), 'initLimit': None,
}
PORT_VARS = ('zookeeper_client_port', 'zookeeper_quorum_port', 'zookeeper_election_port')
_HOSTNAME = re.compile(r'^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?\Z')
_NAME = re.compile(r'^[a-z_][a-z0-9_-]{0,31}\Z')
_UNIT = re.compile(r'^[A-Za-z0-9:_.\\-]{1,200}\Z')
_HEAP = re.compile(r'^([0-9]+)([kKmMgG]?)\Z')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')
MIN_HEAP_BYTES = 32 << 20


def _show(value):
    return repr(value) if isinstance(value, str) else str(value)


def as_int(value):
    """An int from an int or a string of digits (an INI inventory gives strings); None for anything else
    (booleans, floats, words)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^\s*-?[0-9]+\s*\Z', value):
        return int(value)
    return None


def as_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def heap_bytes(value):
    match = _HEAP.match(str(value).strip())
    if not match:
        return None
    return int(match.group(1)) * {'': 1, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}[match.group(2).lower()]


def is_address(value):
    """A host name or an IPv4/IPv6 address."""
    text = str(value)
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    return bool(_HOSTNAME.match(text)) and not re.match(r'^[0-9.]+\Z', text)


def _check_int(problems, values, name, low, high=None, what=None):
    if name not in values:
        return None
    number = as_int(values[name])
    if number is None or number < low or (high is not None and number > high):
        problems.append('%s=%s: %s.' % (name, _show(values[name]), what or (
            'a whole number from %d to %d' % (low, high) if high is not None else 'a whole number of at least %d' % low)))
        return None
    return number


def _check_bool(problems, values, name):
    if name in values and as_bool(values[name]) is None:
        problems.append('%s=%s: true or false.' % (name, _show(values[name])))


def _check_choice(problems, values, name, choices):
    if name in values and values[name] not in choices:
        problems.append('%s=%s: one of %s.' % (name, _show(values[name]), ', '.join(choices)))


def normal_path(value):
    return posixpath.normpath(value) if value.startswith('/') else value


def _check_path(problems, values, name, optional=False):
    if name not in values:
        return
    value = values[name]
    if optional and value in ('', None):
        return
    if not isinstance(value, str) or not value.startswith('/') or _CONTROL.search(value) or ' ' in value:
        problems.append('%s=%s: an absolute path without spaces or control characters.' % (name, _show(value)))
        return
    if normal_path(value) in SYSTEM_DIRS:
        problems.append('%s=%s: a system directory; the role would make it the service user\'s. Use a directory of '
                        'ZooKeeper\'s own, such as /var/lib/zookeeper.' % (name, _show(value)))


def _check_extra_config(problems, warnings, values):
    extra = values.get('zookeeper_extra_config')
    if extra is None:
        return
    if not isinstance(extra, dict):
        problems.append('zookeeper_extra_config=%s: a dict of zoo.cfg keys and values.' % _show(extra))
        return
    for key, value in sorted(extra.items(), key=lambda kv: str(kv[0])):
        label = 'zookeeper_extra_config[%s]=%s' % (_show(key), _show(value))
        if not isinstance(key, str) or not re.match(r'^[A-Za-z0-9_.\-]+\Z', key):
            problems.append('%s: a key is letters, digits, ".", "_" and "-" only.' % label)
            continue
        if MEMBER_KEY.match(key):
            problems.append('%s: members come from the inventory (zookeeper_id, zookeeper_role); server.N, group.N and '
                            'weight.N lines cannot be added.' % label)
            continue
        if key in MANAGED_KEYS:
            problems.append('%s: %s is set by the role; use its variable (see the role README).' % (label, key))
            continue
        if key.startswith('metricsProvider.') and as_bool(values.get('zookeeper_metrics', False)):
            problems.append('%s: the role sets the metrics provider (zookeeper_metrics, zookeeper_metrics_provider, '
                            'zookeeper_metrics_port); set zookeeper_metrics=false to configure your own.' % label)
            continue
        if isinstance(value, (dict, list)) or value is None or _CONTROL.search(str(value)):
            problems.append('%s: a single-line value (no newline or control character).' % label)
            continue
        kind = KNOWN_KEYS.get(key, 'unknown')
        if kind == 'unknown':
            warnings.append('%s: not a zoo.cfg key the role knows; it is written as it is.' % label)
        elif kind and kind[0] == 'int' and (as_int(value) is None or as_int(value) < kind[1]):
            problems.append('%s: a whole number of at least %d.' % (label, kind[1]))
        elif kind and kind[0] == 'bool' and as_bool(value) is None:
            problems.append('%s: true or false.' % label)
        elif kind and kind[0] == 'port' and (as_int(value) is None or not 1 <= as_int(value) <= 65535):
            problems.append('%s: a port from 1 to 65535.' % label)
        elif kind and kind[0] == 'choice' and str(value) not in kind[1]:
            problems.append('%s: one of %s.' % (label, ', '.join(repr(c) for c in kind[1])))
    low, high = as_int(extra.get('minSessionTimeout')), as_int(extra.get('maxSessionTimeout'))
    if low is not None and high is not None and low > high:
        problems.append('zookeeper_extra_config: minSessionTimeout=%d is above maxSessionTimeout=%d.' % (low, high))
    if as_bool(extra.get('skipACL', False)):
        warnings.append('zookeeper_extra_config[skipACL]=yes turns every ACL off, the superuser\'s included.')


def settings_problems(values, inventory_hosts=None):
    """Problems (and warnings) of the role's variables. Returns dict(problems, warnings)."""
    problems, warnings = [], []
    if 'zookeeper_id' in values and not values.get('zookeeper_instances'):
        _check_int(problems, values, 'zookeeper_id', 1, 255, 'a whole number from 1 to 255, unique in the ensemble')
    _check_choice(problems, values, 'zookeeper_role', ('participant', 'observer'))
    if 'zookeeper_address' in values:
        why = address_problem(values['zookeeper_address'])
        if why or not is_address(values['zookeeper_address']):
            shown = _show(values['zookeeper_address'])
            problems.append('zookeeper_address=%s: %s.' % (shown, why or 'a host name or an IP address'))
    for name in ('zookeeper_client_port_address', 'zookeeper_admin_server_address'):
        if values.get(name) not in (None, ''):
            why = address_problem(values[name])
            if why or not is_address(values[name]):
                problems.append('%s=%s: empty, or %s.' % (name, _show(values[name]), why or 'a host name or an IP address'))
    ports = {}
    for name in PORT_VARS:
        ports[name] = _check_int(problems, values, name, 1, 65535)
    if as_bool(values.get('zookeeper_client_tls', False)):
        ports['zookeeper_secure_client_port'] = _check_int(problems, values, 'zookeeper_secure_client_port', 1, 65535)
    if as_bool(values.get('zookeeper_admin_server_enabled', False)):
        ports['zookeeper_admin_server_port'] = _check_int(problems, values, 'zookeeper_admin_server_port', 1, 65535)
    metrics = as_bool(values.get('zookeeper_metrics', False))
    if metrics:
        ports['zookeeper_metrics_port'] = _check_int(problems, values, 'zookeeper_metrics_port', 1, 65535)
        if values.get('zookeeper_metrics_provider', 'auto') in ('auto', 'native'):
            ports['zookeeper_metrics_role_port'] = _check_int(problems, values, 'zookeeper_metrics_role_port', 1, 65535)
    seen = {}
    for name, port in sorted(ports.items()):
        if port is not None:
            seen.setdefault(port, []).append(name)
    for port, names in sorted(seen.items()):
        if len(names) > 1:
            problems.append('%s are all %d: each port must be different.' % (' and '.join(names), port))
    _check_int(problems, values, 'zookeeper_tick_time', 1, 600000, 'milliseconds, from 1 to 600000')
    _check_int(problems, values, 'zookeeper_init_limit', 1, 100000, 'ticks, from 1 to 100000')
    _check_int(problems, values, 'zookeeper_sync_limit', 1, 100000, 'ticks, from 1 to 100000')
    _check_int(problems, values, 'zookeeper_max_client_connections', 0, None,
               'a whole number of at least 0 (0: no limit, as ZooKeeper reads it)')
    _check_int(problems, values, 'zookeeper_autopurge_snap_retain_count', 3, None,
               'a whole number of at least 3 (ZooKeeper keeps at least 3 snapshots)')
    _check_int(problems, values, 'zookeeper_autopurge_purge_interval', 0, None, 'hours, at least 0 (0: no purge)')
    _check_int(problems, values, 'zookeeper_limit_nofile', 1024, None, 'a whole number of at least 1024')
    _check_int(problems, values, 'zookeeper_service_timeout', 1, None)
    _check_int(problems, values, 'zookeeper_backup_keep', 0, None, 'a whole number of at least 0 (0: keep all)')
    _check_int(problems, values, 'zookeeper_tls_warn_days', 0, None, 'a whole number of days, at least 0')
    _check_int(problems, values, 'zookeeper_tls_renew_days', 0, 824, 'a whole number of days, 0 to 824 (the lab CA '
               'issues 825 days)')
    _check_int(problems, values, 'zookeeper_tls_lab_ca_generation', 1, None, 'a whole number of at least 1')
    for name in ('zookeeper_heap_size', 'zookeeper_backup_verify_heap'):
        if name in values:
            size = heap_bytes(values[name])
            if size is None or size < MIN_HEAP_BYTES:
                problems.append('%s=%s: a JVM size of at least 32m, such as 512m or 2g.' % (name, _show(values[name])))
    for name in ('zookeeper_allow_unsafe_ensemble', 'zookeeper_standalone_enabled', 'zookeeper_install_java',
                 'zookeeper_quorum_listen_on_all_ips', 'zookeeper_admin_server_enabled', 'zookeeper_systemd_hardening',
                 'zookeeper_rolling_restart', 'zookeeper_client_tls', 'zookeeper_client_plaintext',
                 'zookeeper_quorum_tls', 'zookeeper_quorum_sasl', 'zookeeper_tls_lab_ca', 'zookeeper_restore_force'):
        _check_bool(problems, values, name)
    _check_choice(problems, values, 'zookeeper_install_method', ('package', 'tarball'))
    _check_choice(problems, values, 'zookeeper_firewall', ('auto', 'firewalld', 'none'))
    _check_choice(problems, values, 'zookeeper_client_tls_auth', ('none', 'want', 'need'))
    _check_bool(problems, values, 'zookeeper_metrics')
    _check_choice(problems, values, 'zookeeper_metrics_provider', ('auto', 'native', 'exporter'))
    for name in ('zookeeper_data_dir', 'zookeeper_conf_dir', 'zookeeper_log_dir', 'zookeeper_install_root',
                 'zookeeper_backup_remote_dir'):
        _check_path(problems, values, name)
    _check_path(problems, values, 'zookeeper_data_log_dir', optional=True)
    dirs = [(n, normal_path(values[n])) for n in ('zookeeper_data_dir', 'zookeeper_conf_dir', 'zookeeper_log_dir',
                                                  'zookeeper_data_log_dir') if isinstance(values.get(n), str)
            and values[n].startswith('/')]
    for i, (a, pa) in enumerate(dirs):
        for b, pb in dirs[i + 1:]:
            if pa == pb and not {a, b} == {'zookeeper_data_dir', 'zookeeper_data_log_dir'}:
                problems.append('%s and %s are both %s: each needs a directory of its own.' % (a, b, pa))
    for name in ('zookeeper_user', 'zookeeper_group'):
        if name in values and (not isinstance(values[name], str) or not _NAME.match(values[name])):
            problems.append('%s=%s: a user or group name (lower case letters, digits, "_" and "-").'
                            % (name, _show(values[name])))
    if values.get('zookeeper_user') == 'root':
        problems.append('zookeeper_user=\'root\': ZooKeeper never runs as root; use a user of its own (zookeeper).')
    service = values.get('zookeeper_service_name')
    if service is not None and (not isinstance(service, str) or not _UNIT.match(service)
                                or service.endswith(('.service', '.socket', '.target', '.timer', '.mount'))):
        problems.append('zookeeper_service_name=%s: a unit name without its suffix (letters, digits, ":", "_", ".", '
                        '"-"), such as zookeeper.' % _show(service))
    whitelist = values.get('zookeeper_4lw_whitelist')
    if whitelist is not None:
        bad = [w for w in (whitelist if isinstance(whitelist, list) else [whitelist])
               if not (isinstance(w, str) and (w == '*' or re.match(r'^[a-z]{4}\Z', w)))]
        if bad or not isinstance(whitelist, list):
            problems.append('zookeeper_4lw_whitelist=%s: a list of four-letter words (srvr, mntr, ...) or "*".'
                            % _show(whitelist))
        elif 'srvr' not in whitelist and '*' not in whitelist:
            problems.append('zookeeper_4lw_whitelist=%s lacks srvr, which the role (zk_status) and zkServer.sh status '
                            'need.' % _show(whitelist))
    paths = values.get('zookeeper_systemd_read_write_paths')
    if paths is not None:
        relative = [p for p in paths if not (isinstance(p, str) and p.startswith('/') and not _CONTROL.search(p))] \
            if isinstance(paths, list) else [paths]
        if relative:
            problems.append('zookeeper_systemd_read_write_paths has %s, which are not absolute paths; systemd would '
                            'refuse the unit.' % ', '.join(_show(p) for p in relative))
    flags = values.get('zookeeper_jvm_flags')
    if flags is not None and (not isinstance(flags, list) or any(
            not isinstance(f, str) or not f.startswith('-') or _CONTROL.search(f) for f in flags)):
        problems.append('zookeeper_jvm_flags=%s: a list of JVM options, each starting with "-", one line each.'
                        % _show(flags))
    source = values.get('zookeeper_firewall_source')
    if source not in (None, '') and invalid_sources([source]):
        problems.append('zookeeper_firewall_source=%s: an IPv4 or IPv6 address or CIDR range.' % _show(source))
    sources = values.get('zookeeper_client_sources')
    if sources is not None:
        bad = invalid_sources(sources) if isinstance(sources, list) else [sources]
        if bad:
            problems.append('zookeeper_client_sources has %s: IPv4 or IPv6 addresses or CIDR ranges.' % ', '.join(
                _show(b) for b in bad))
    sources = values.get('zookeeper_metrics_sources')
    if sources is not None:
        bad = invalid_sources(sources) if isinstance(sources, list) else [sources]
        if bad:
            problems.append('zookeeper_metrics_sources has %s: IPv4 or IPv6 addresses or CIDR ranges of the Prometheus '
                            'servers.' % ', '.join(_show(b) for b in bad))
    if metrics and isinstance(whitelist, list) and 'mntr' not in whitelist and '*' not in whitelist \
            and values.get('zookeeper_metrics_provider', 'auto') != 'native':
        problems.append('zookeeper_4lw_whitelist=%s lacks mntr, which the metrics exporter reads '
                        '(zookeeper_metrics=true). Add mntr, or set zookeeper_metrics=false.' % _show(whitelist))
    user = values.get('zookeeper_quorum_sasl_user')
    if user is not None and (not isinstance(user, str) or not re.match(r'^[A-Za-z0-9_.@-]+\Z', user)):
        problems.append('zookeeper_quorum_sasl_user=%s: letters, digits, "_", ".", "@" and "-".' % _show(user))
    prefix = values.get('zookeeper_backup_prefix')
    if prefix is not None and (not isinstance(prefix, str) or not re.match(r'^[A-Za-z0-9_.-]+\Z', prefix)):
        problems.append('zookeeper_backup_prefix=%s: letters, digits, "_", "." and "-".' % _show(prefix))
    backup_host = values.get('zookeeper_backup_host')
    if backup_host not in (None, '') and inventory_hosts is not None and backup_host not in inventory_hosts:
        problems.append('zookeeper_backup_host=%s: not a host of the inventory.' % _show(backup_host))
    _check_extra_config(problems, warnings, values)
    return dict(problems=problems, warnings=warnings)


def platform_problems(values, facts, families):
    """The platform and the install method: the OS family (``facts``: the host's ansible_facts) is one of
    ``families``, the package install has packages on this platform, and a tarball install has an X.Y.Z
    version, a sha512 checksum, and a zookeeper_tarball_src that is a file on the controller with its
    checksum. Returns a list of messages."""
    problems = []
    where = '%s %s' % (facts.get('distribution'), facts.get('distribution_version'))
    if facts.get('os_family') not in families:
        problems.append("OS family '%s' (%s) is not supported; supported families: %s."
                        % (facts.get('os_family'), where, ', '.join(families)))
    method = values.get('zookeeper_install_method')
    if method != 'tarball':
        if not values.get('zookeeper_packages'):
            problems.append("zookeeper_install_method='%s' is not available on %s (zookeeper_packages=%s); use "
                            "zookeeper_install_method=tarball." % (method, where, values.get('zookeeper_packages')))
        return problems
    version = values.get('zookeeper_version')
    if not re.match(r'^[0-9]+\.[0-9]+\.[0-9]+\Z', str(version)):
        problems.append("zookeeper_version='%s' is not X.Y.Z." % version)
    checksum = values.get('zookeeper_tarball_checksum') or ''
    if checksum and not re.match(r'^sha512:([0-9a-fA-F]{128}|https?://.+)\Z', checksum):
        problems.append("zookeeper_tarball_checksum='%s' is not sha512:<128 hex digits> (or sha512:<URL of a .sha512 "
                        "file>)." % checksum)
    src = values.get('zookeeper_tarball_src') or ''
    if src and not os.path.isfile(src):
        problems.append("zookeeper_tarball_src='%s' is not a file on the controller." % src)
    elif src and not checksum and not os.path.isfile(src + '.sha512'):
        problems.append("zookeeper_tarball_src='%s' has no .sha512 file beside it; set zookeeper_tarball_checksum."
                        % src)
    return problems


# What may already be in a directory the role takes over: ZooKeeper's files and the role's.
OWN_CONTENT = {
    'data': re.compile(r'^([0-9]+|myid|version-2|pre-restore-.*|\.zkops-.*|zookeeper_server\.pid|lost\+found|'
                       r'initialize|\.initialized)\Z'),
    'conf': re.compile(r'^([0-9]+|zoo\.cfg.*|java\.args|log4j\.properties|logback\.xml|zookeeper\.env|jaas\.conf|tls|metrics\.json|'
                       r'zkops-.*|configuration\.xsl|environment|\..*\.tmp.*)\Z'),
    'log': re.compile(r'^([0-9]+|zookeeper.*|.*\.log(\.[0-9]+)?(\.gz)?|.*\.out(\.[0-9]+)?|logs?)\Z'),
    'install': re.compile(r'^(apache-zookeeper-.*|current|dist|.*\.tar\.gz(\.sha512)?|zookeeper-.*)\Z'),
    'backup': re.compile(r'^(.*\.tar\.gz|\.zkops-.*|\..*\.partial)\Z'),
}
PATH_KINDS = (('zookeeper_data_dir', 'data'), ('zookeeper_data_log_dir', 'data'), ('zookeeper_conf_dir', 'conf'),
              ('zookeeper_log_dir', 'log'), ('zookeeper_install_root', 'install'))


def path_problems(values, found):
    """Refuse an existing directory whose content is neither ZooKeeper's nor the role's.
    ``found``: path -> {exists, is_dir, entries} from zk_host_info."""
    problems = []
    for name, kind in PATH_KINDS:
        path = values.get(name)
        if not isinstance(path, str) or not path.startswith('/'):
            continue
        entry = (found or {}).get(path) or {}
        if not entry.get('exists'):
            continue
        if not entry.get('is_dir'):
            problems.append('%s=%s exists and is not a directory.' % (name, _show(path)))
            continue
        foreign = sorted(e for e in entry.get('entries') or [] if not OWN_CONTENT[kind].match(e))
        if foreign:
            problems.append('%s=%s holds %s, which are neither ZooKeeper\'s nor this role\'s; the role would make the '
                            'directory the service user\'s. Use an empty or new directory (or move those away).'
                            % (name, _show(path), ', '.join(foreign[:5]) + (' and more' if len(foreign) > 5 else '')))
    return problems


# The role's metrics exporter's unit says so in its description (templates/zookeeper-metrics.service.j2).
EXPORTER_MARK = '(zkops-metrics)'


def exporter_unit_is_ours(unit):
    """Whether zk_host_info's entry for ``<service>-metrics`` is the role's exporter, or no unit at all."""
    if not unit or not unit.get('fragment_path'):
        return True
    return unit['fragment_path'].startswith('/etc/systemd/system/') and EXPORTER_MARK in (unit.get('description') or '')


def exporter_unit_problems(service, unit):
    """Refuse to write the exporter's unit over one of the same name that is not the role's."""
    if exporter_unit_is_ours(unit):
        return []
    return ['zookeeper_metrics=true: the unit %s-metrics.service exists (%s, "%s") and is not the role\'s metrics '
            'exporter; the role would replace it. Set zookeeper_service_name to another name, or zookeeper_metrics to '
            'false.' % (service, unit['fragment_path'], unit.get('description') or '')]


def unit_problems(service, unit):
    """Refuse a unit that exists and is not ZooKeeper's: ``unit`` is zk_host_info's units[service] entry.
    The role's own unit, and one written by hand for ZooKeeper (as the tutorials do), are in
    /etc/systemd/system and mention ZooKeeper."""
    if not unit or not unit.get('fragment_path'):
        return []
    ours = '/etc/systemd/system/%s.service' % service
    if unit['fragment_path'] != ours or not unit.get('mentions_zookeeper'):
        return ['zookeeper_service_name=%s: the unit %s.service exists (%s, "%s") and is not ZooKeeper\'s; the role '
                'would replace it. Choose another name.' % (_show(service), service, unit['fragment_path'],
                                                            unit.get('description') or '')]
    return []

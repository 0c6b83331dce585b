#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_host_info
short_description: Read in one call which packages, user, group, units, firewalld rules and alternatives a host has
version_added: 0.2.0
description:
  - Reads what the zkops.zookeeper.zookeeper role would otherwise ask about in a dozen separate calls on the host,
    which packages are installed, the service user and group, whether systemd units are active and enabled, the ports
    and rich rules of a firewalld zone (runtime and permanent), and where alternatives point.
  - The role skips the tasks whose outcome this already shows, so a rerun with nothing to change is quick. Whatever
    it cannot tell for sure is reported as not there (a package missing, a unit neither active nor enabled, firewalld
    rules unknown), and the role then runs the task that makes it so.
  - Read-only.
author:
  - zkops.zookeeper contributors (@zkops)
requirements:
  - C(dpkg-query) or C(rpm) for O(packages); C(systemctl) for O(units).
  - For O(firewalld_zone), the C(firewall) Python package that comes with firewalld, or else C(firewall-cmd).
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs normally in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  idempotent:
    support: full
    description: Reading changes nothing.
options:
  packages:
    description:
      - Package names to look up with C(dpkg-query) (Debian family) or C(rpm).
      - A name with a version, an architecture or a pattern (any of C(:=<>*?[]()) and spaces) is always reported
        missing, so the package manager decides.
    type: list
    elements: str
    default: []
  user:
    description: A user to look up.
    type: str
  group:
    description: A group to look up.
    type: str
  units:
    description: systemd units to look up (C(zookeeper) means C(zookeeper.service)).
    type: list
    elements: str
    default: []
  firewalld_zone:
    description:
      - A firewalld zone whose ports and rich rules to read, runtime and permanent, when firewalld runs.
      - Not given, firewalld is not read.
    type: str
  alternatives:
    description: Names of alternatives (C(update-alternatives)) whose current value to read.
    type: list
    elements: str
    default: []
  alternatives_dir:
    description: Where the alternatives' links are.
    type: path
    default: /etc/alternatives
  paths:
    description:
      - Paths to look at; for each, whether it exists, whether it is a directory, and the names in it. The role
        refuses to take over a directory that holds anything but ZooKeeper's and its own files.
    type: list
    elements: path
    default: []
  jar_dirs:
    description:
      - Directories of the server's classpath (C(<dir>/*) entries) whose jar files to list, every one of them, that is
        which jars the server can load (the role looks for the native Prometheus metrics provider's).
    type: list
    elements: path
    default: []
  certificates:
    description:
      - PEM files (the role's key store and trust store) whose certificates to return. Only the
        C(BEGIN CERTIFICATE) blocks are read; a private key in the same file is never returned.
      - The role compares them with the certificates it is about to deploy, to roll a new CA in by stages.
    type: list
    elements: path
    default: []
    version_added: 0.2.0
  servers:
    description:
      - ZooKeeper instances of this host to read as M(zkops.zookeeper.zk_server_info) reads them (their
        configuration, C(myid) and data on disk, and C(srvr) from the running server), in the same call.
      - Takes zk_server_info's options; see M(zkops.zookeeper.zk_server_info) for each.
      - The role reads a host in one call with it.
    type: dict
    version_added: 0.2.0
    suboptions:
      instances:
        description: The instances to read (RV(servers) returns them in this order).
        type: list
        elements: dict
        required: true
        suboptions:
          name:
            description: A name for the instance, returned as it is.
            type: str
            required: true
          config:
            description: Path of its C(zoo.cfg).
            type: path
            required: true
          data_dir:
            description: Its C(dataDir).
            type: path
            required: true
          client:
            description: C(host:port) where it answers C(srvr).
            type: str
            required: true
          secure_client:
            description: C(host:port) of its TLS client port, read with O(servers.use_tls).
            type: str
          data_log_dir:
            description: Its C(dataLogDir), read with O(servers.scan_logs).
            type: path
      use_tls:
        description: Read C(srvr) over TLS on O(servers.instances[].secure_client) too.
        type: bool
        default: false
      ca:
        description: CA certificate bundle (PEM) that signs the servers' certificates.
        type: path
      cert:
        description: Client certificate (PEM), for servers that require one.
        type: path
      key:
        description: Private key (PEM) of O(servers.cert).
        type: path
      scan_logs:
        description: Also read the logs entry by entry for the zxid the files replay to.
        type: bool
        default: false
      timeout:
        description: Seconds to wait for each C(srvr) answer.
        type: float
        default: 2
'''

EXAMPLES = r'''
- name: What is installed and running here
  zkops.zookeeper.zk_host_info:
    packages: [default-jre-headless, zookeeper]
    user: zookeeper
    group: zookeeper
    units: [zookeeper, firewalld]
    firewalld_zone: public
    alternatives: [zookeeper-conf]
  register: host

- name: Install only what is missing
  ansible.builtin.apt:
    name: "{{ host.packages_missing }}"
  when: host.packages_missing | length > 0

- name: The host and its ZooKeeper servers, in one call
  zkops.zookeeper.zk_host_info:
    units: [zookeeper]
    servers:
      instances:
        - name: zk1
          config: /etc/zookeeper/conf_zkops/zoo.cfg
          data_dir: /var/lib/zookeeper
          client: 127.0.0.1:2181
  register: host
'''

RETURN = r'''
packages_missing:
  description: The names of O(packages) that are not installed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [zookeeper]
user:
  description: O(user) as the system knows it, or null when it does not exist (or was not asked for).
  returned: always
  type: dict
  contains:
    name:
      description: The user name.
      type: str
    group:
      description: The name of its primary group (its number when the group has no name).
      type: str
    home:
      description: Its home directory.
      type: str
    shell:
      description: Its login shell.
      type: str
group_exists:
  description: Whether O(group) exists (false when not asked for).
  returned: always
  type: bool
units:
  description:
    - For each of O(units), whether it is active and whether it is enabled (C(UnitFileState=enabled)), the file it
      is loaded from (C(fragment_path), null when the unit does not exist), its C(description), and whether that file
      mentions ZooKeeper (C(mentions_zookeeper)).
  returned: always
  type: dict
  sample: {zookeeper: {active: true, enabled: true, fragment_path: /etc/systemd/system/zookeeper.service,
                       description: Apache ZooKeeper server 1, mentions_zookeeper: true}}
firewalld:
  description:
    - The zone's ports (C(2181/tcp)) and rich rules, runtime and permanent, when firewalld runs.
    - Null when O(firewalld_zone) is not given. RV(firewalld.runtime) and RV(firewalld.permanent) are null when
      firewalld does not run or cannot be read.
  returned: always
  type: dict
  contains:
    running:
      description: Whether the firewalld unit is active.
      type: bool
    enabled:
      description: Whether the firewalld unit is enabled.
      type: bool
    runtime:
      description: C(ports) and C(rich_rules) of the zone now.
      type: dict
    permanent:
      description: C(ports) and C(rich_rules) of the zone in the permanent configuration.
      type: dict
check_mode:
  description:
    - Whether this ran in check mode. Unlike C(ansible_check_mode), which reflects C(--check) only, this also
      reflects the C(check_mode) keyword on a play, role or block.
  returned: always
  type: bool
alternatives:
  description: For each of O(alternatives), the path it points to now, or null.
  returned: always
  type: dict
  sample: {zookeeper-conf: /etc/zookeeper/conf_zkops}
paths:
  description: For each of O(paths), C(exists), C(is_dir) and C(entries) (the names in it, sorted, at most 50).
  returned: always
  type: dict
  sample: {/var/lib/zookeeper: {exists: true, is_dir: true, entries: [myid, version-2]}}
jar_dirs:
  description: For each of O(jar_dirs), C(exists) and C(entries), the names of the jar files in it, sorted.
  returned: always
  type: dict
  sample: {/opt/zookeeper/apache-zookeeper-3.9.6-bin/lib: {exists: true, entries: [zookeeper-3.9.6.jar]}}
certificates:
  description: For each of O(certificates), the PEM certificate blocks it holds, in order (empty when it does not exist).
  returned: always
  type: dict
  sample: {/etc/zookeeper/conf_zkops/tls/ca.pem: ["-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----"]}
  version_added: 0.2.0
servers:
  description:
    - With O(servers), what M(zkops.zookeeper.zk_server_info) returns as RV(zkops.zookeeper.zk_server_info#module:instances),
      one entry per instance in the order given; see that module for each key.
  returned: when O(servers) is given
  type: list
  elements: dict
  version_added: 0.2.0
'''

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import certificate_blocks
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_server_state import read_servers, server_argument_spec
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_host_state import (
    installed_from_dpkg,
    installed_from_rpm,
    missing_packages,
    plain_names,
    port_strings,
    units_from_systemctl_show,
)


def read_packages(module, names):
    plain = plain_names(names)
    installed = set()
    if plain:
        dpkg, rpm = module.get_bin_path('dpkg-query'), module.get_bin_path('rpm')
        if dpkg:
            # exits 1 when some name is unknown, after printing the others
            _rc, out, _err = module.run_command([dpkg, '-W', '-f', '${Package}\t${db:Status-Abbrev}\n', '--'] + plain)
            installed = installed_from_dpkg(out)
        elif rpm:
            _rc, out, _err = module.run_command([rpm, '-q', '--qf', '%{NAME}\n'] + plain)
            installed = installed_from_rpm(out, plain)
    return missing_packages(names, installed)


def read_user(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = str(entry.pw_gid)
    return dict(name=entry.pw_name, group=group, home=entry.pw_dir, shell=entry.pw_shell)


def group_exists(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def read_units(module, names):
    names = list(dict.fromkeys(names))
    unknown = dict((n, dict(active=False, enabled=False, fragment_path=None, description=None)) for n in names)
    systemctl = module.get_bin_path('systemctl')
    if not names or not systemctl:
        return unknown
    rc, out, _err = module.run_command([systemctl, 'show', '-p', 'ActiveState', '-p', 'UnitFileState', '-p',
                                        'FragmentPath', '-p', 'Description', '--'] + names)
    units = units_from_systemctl_show(out, names) if rc == 0 else unknown
    for unit in units.values():
        unit['mentions_zookeeper'] = 'zookeeper' in (_read_text(unit.get('fragment_path')) or '').lower()
    return units


def _read_text(path):
    if not path:
        return None
    try:
        with open(path) as f:
            return f.read(65536)
    except (IOError, OSError, UnicodeDecodeError):
        return None


def read_paths(paths):
    """Whether each path exists, is a directory, and the names in it (at most 50)."""
    found = {}
    for path in paths:
        entry = dict(exists=os.path.lexists(path), is_dir=os.path.isdir(path), entries=[])
        if entry['is_dir']:
            try:
                entry['entries'] = sorted(os.listdir(path))[:50]
            except OSError:
                pass
        found[path] = entry
    return found


def read_jar_dirs(paths):
    """Whether each directory exists, and the jar files in it, sorted."""
    found = {}
    for path in paths:
        entry = dict(exists=os.path.isdir(path), entries=[])
        if entry['exists']:
            try:
                entry['entries'] = sorted(n for n in os.listdir(path) if n.endswith('.jar'))
            except OSError:
                pass
        found[path] = entry
    return found


def read_certificates(paths):
    """The certificate blocks of each PEM file, in order (none for a missing or unreadable file)."""
    return dict((path, certificate_blocks(_read_text(path))) for path in paths)


def _zone_with_client(zone):
    from firewall.client import FirewallClient  # comes with firewalld; the caller falls back to firewall-cmd
    fw = FirewallClient()
    if not fw.connected:
        raise RuntimeError('firewalld is not reachable over D-Bus')
    permanent = fw.config().getZoneByName(zone).getSettings()
    return (dict(ports=port_strings(fw.getPorts(zone)), rich_rules=list(fw.getRichRules(zone))),
            dict(ports=port_strings(permanent.getPorts()), rich_rules=list(permanent.getRichRules())))


def _zone_with_command(module, zone):
    cmd = module.get_bin_path('firewall-cmd', required=True)
    found = []
    for scope in ([], ['--permanent']):
        lists = {}
        for key, flag in (('ports', '--list-ports'), ('rich_rules', '--list-rich-rules')):
            rc, out, err = module.run_command([cmd, '--zone', zone, flag] + scope)
            if rc != 0:
                raise RuntimeError(err.strip() or out.strip())
            lists[key] = sorted(out.split()) if key == 'ports' else [r for r in out.splitlines() if r.strip()]
        found.append(lists)
    return found[0], found[1]


def read_firewalld(module, zone, unit):
    result = dict(running=unit['active'], enabled=unit['enabled'], runtime=None, permanent=None)
    if unit['active']:
        try:
            result['runtime'], result['permanent'] = _zone_with_client(zone)
        except Exception:  # pylint: disable=broad-except  # no python3-firewall, D-Bus not ready, ...
            try:
                result['runtime'], result['permanent'] = _zone_with_command(module, zone)
            except (RuntimeError, OSError):
                pass  # unknown: the role's firewalld tasks read and decide themselves
    return result


def read_alternatives(names, base):
    values = {}
    for name in names:
        try:
            values[name] = os.readlink(os.path.join(base, name))
        except OSError:
            values[name] = None
    return values


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type='list', elements='str', default=[]),
            user=dict(type='str'),
            group=dict(type='str'),
            units=dict(type='list', elements='str', default=[]),
            firewalld_zone=dict(type='str'),
            alternatives=dict(type='list', elements='str', default=[]),
            alternatives_dir=dict(type='path', default='/etc/alternatives'),
            paths=dict(type='list', elements='path', default=[]),
            jar_dirs=dict(type='list', elements='path', default=[]),
            certificates=dict(type='list', elements='path', default=[]),
            servers=dict(type='dict', options=server_argument_spec()),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for key in ('user', 'group', 'firewalld_zone'):
        if p[key] is not None and not p[key].strip():
            module.fail_json(msg='%s must not be empty when given' % key)
    for key in ('packages', 'units', 'alternatives'):
        empty = [v for v in p[key] if not v or not v.strip() or (key == 'alternatives' and '/' in v)]
        if empty:
            module.fail_json(msg='%s holds an invalid name: %r' % (key, empty[0]))
    zone = p['firewalld_zone']
    # one systemctl call for the units and firewalld
    units = read_units(module, p['units'] + (['firewalld'] if zone and 'firewalld' not in p['units'] else []))
    servers = {}
    if p['servers'] is not None:
        try:
            servers['servers'] = read_servers(p['servers'])
        except ValueError as e:
            module.fail_json(msg='servers: %s' % e)
    module.exit_json(
        changed=False,
        check_mode=module.check_mode,
        packages_missing=read_packages(module, p['packages']),
        user=read_user(p['user']) if p['user'] else None,
        group_exists=group_exists(p['group']) if p['group'] else False,
        units=dict((n, units[n]) for n in p['units']),
        firewalld=read_firewalld(module, zone, units['firewalld']) if zone else None,
        alternatives=read_alternatives(p['alternatives'], p['alternatives_dir']),
        certificates=read_certificates(p['certificates']),
        paths=read_paths(p['paths']),
        jar_dirs=read_jar_dirs(p['jar_dirs']),
        **servers
    )


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_backup
short_description: Back up a ZooKeeper server's data files into one checked archive with a manifest
version_added: 0.2.0
description:
  - With O(state=present), copies a server's newest complete snapshot and the transaction logs that replay it (the log
    that starts at or before the snapshot and every later one, as ZooKeeper itself picks them) from its C(dataDir) and
    C(dataLogDir), while the server runs. It reads files only (no client session), and the server is neither stopped nor
    asked for anything.
  - The copy of each log is cut after its last whole entry whose checksum holds, so the backup is consistent to a
    known zxid, the last transaction it holds. The snapshot's end seal and checksum are checked, and so is the chain of
    logs (no transaction missing).
  - With O(verify=true) (the default) the backup is restored once before it counts, into a throwaway standalone
    ZooKeeper on loopback with the server's own Java and jars, and the zxid it loads must be the one the files say.
    Its node count goes into the manifest.
  - The archive (C(<prefix>-<UTC time>-<zxid>.tar.gz)) holds C(manifest.json) (zxid, node count, ZooKeeper version,
    source, time, sha256 and size of every file) and C(version-2/). It is written under a temporary name and renamed.
  - With O(state=pruned), only removes the oldest archives of O(prefix) in O(dest) beyond O(keep) (for example on the
    controller, after fetching).
  - zkops.zookeeper.zk_restore checks and restores these archives.
author:
  - zkops.zookeeper contributors (@zkops)
attributes:
  check_mode:
    support: full
    description: Reads the data files and reports the zxid and files a backup would hold; writes and removes nothing.
  diff_mode:
    support: none
    description: An archive is binary; the manifest is returned instead.
  idempotent:
    support: none
    description: Each run with O(state=present) takes a new backup.
options:
  state:
    description: C(present) takes a backup (then applies O(keep)); C(pruned) only applies O(keep).
    type: str
    choices: [present, pruned]
    default: present
  data_dir:
    description: The server's C(dataDir). Required with O(state=present).
    type: path
  data_log_dir:
    description: The server's C(dataLogDir), when the transaction logs are kept apart from the snapshots.
    type: path
  dest:
    description: Directory where the archive is written (created, mode 0700, when missing).
    type: path
    required: true
  prefix:
    description: First part of the archive's name; O(keep) counts the archives with this prefix.
    type: str
    default: zookeeper
  keep:
    description: Keep the newest O(keep) archives of O(prefix) in O(dest) and remove older ones; C(0) keeps all.
    type: int
    default: 0
  verify:
    description: Restore the backup once into a throwaway ZooKeeper on loopback before it counts.
    type: bool
    default: true
  java:
    description: The Java launcher that runs the throwaway server and reads the ZooKeeper version.
    type: path
    default: java
  classpath:
    description: ZooKeeper's classpath on this host (its jars and their dependencies). Required with O(state=present).
    type: list
    elements: str
    default: []
  heap:
    description: Maximum heap of the throwaway server (C(-Xmx)); it holds the whole tree.
    type: str
    default: 512m
  verify_timeout:
    description: Seconds the throwaway server may take to load the backup and serve.
    type: int
    default: 300
  source:
    description:
      - What the manifest says about where the backup comes from, stored as it is (for example the host, the server id,
        its mode and the ensemble's members).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Back up the server's files into /var/backups/zookeeper, verified, keeping 7
  zkops.zookeeper.zk_backup:
    data_dir: /var/lib/zookeeper
    dest: /var/backups/zookeeper
    classpath: [/usr/share/java/zookeeper.jar, /usr/share/java/slf4j-simple.jar]
    keep: 7
    source:
      host: "{{ inventory_hostname }}"
  register: backup

- name: Keep the newest 7 backups fetched to the controller
  zkops.zookeeper.zk_backup:
    state: pruned
    dest: "{{ playbook_dir }}/backups"
    keep: 7
  delegate_to: localhost
'''

RETURN = r'''
archive:
  description: Path of the archive written (or that would be written, in check mode).
  returned: state=present
  type: str
  sample: /var/backups/zookeeper/zookeeper-20261202T071500Z-0x100000f3a.tar.gz
size:
  description: Size of the archive in bytes (0 in check mode).
  returned: state=present
  type: int
seconds:
  description: Time the backup took, verification included.
  returned: state=present
  type: float
verify_seconds:
  description: Time the verification restore took (0 when O(verify=false)).
  returned: state=present
  type: float
manifest:
  description: The archive's manifest.
  returned: state=present
  type: dict
  contains:
    format:
      description: Manifest format, 1.
      type: int
    zxid:
      description: The zxid the backup is consistent to (hex), the last transaction it holds.
      type: str
    snapshot_zxid:
      description: The zxid of its snapshot (hex).
      type: str
    node_count:
      description: Znodes of the tree at RV(manifest.zxid), as the verification restore loaded it; null without it.
      type: int
    verified:
      description: Whether the verification restore ran and loaded RV(manifest.zxid).
      type: bool
    zookeeper_version:
      description: ZooKeeper version of the server backed up.
      type: str
    created:
      description: UTC time of the backup, ISO 8601.
      type: str
    source:
      description: O(source), as given.
      type: dict
    files:
      description: Every file of the archive, with C(sha256) and C(size).
      type: dict
summary:
  description: One line with the zxid, node count, size and seconds.
  returned: state=present
  type: str
removed:
  description: Archives removed by O(keep).
  returned: always
  type: list
  elements: str
'''

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_datadir import (
    FORMAT, chain_problems, java_version, last_zxid, load_offline, name_zxid, read_dirs, scan_log, select_files,
    sha256_file, snapshot_problem, write_archive, zxid_hex)


def prune(dest, prefix, keep, check_mode, adding=0):
    """Remove the oldest archives of ``prefix`` beyond ``keep`` (names sort by their UTC time); ``adding``
    counts archives about to be written (check mode)."""
    if keep <= 0 or not os.path.isdir(dest):
        return []
    names = sorted(n for n in os.listdir(dest) if n.startswith(prefix + '-') and n.endswith('.tar.gz'))
    old = names[:max(0, len(names) + adding - keep)]
    for name in old:
        if not check_mode:
            os.unlink(os.path.join(dest, name))
    return [os.path.join(dest, n) for n in old]


def newest_complete(snaps):
    """The newest snapshot whose seal and checksum hold (the newest may still be being written)."""
    for name in sorted(snaps, key=lambda n: name_zxid(n, 'snapshot'), reverse=True):
        if snapshot_problem(snaps[name]) is None:
            return name
    return None


def stage(module, snaps, logs, snap, chosen, workdir):
    """Copy the chosen files into ``workdir``; each log copy is cut after its last whole entry."""
    files = {}
    shutil.copyfile(snaps[snap], os.path.join(workdir, snap))
    problem = snapshot_problem(os.path.join(workdir, snap))
    if problem:
        module.fail_json(msg='%s changed while it was copied: %s; run the backup again' % (snaps[snap], problem))
    files['version-2/' + snap] = os.path.join(workdir, snap)
    scans = []
    for index, name in enumerate(chosen):
        copy = os.path.join(workdir, name)
        shutil.copyfile(logs[name], copy)
        scan = scan_log(copy)
        if scan['problem'] and index < len(chosen) - 1:
            module.fail_json(msg='%s: %s. A log before the newest one is damaged; the server cannot be backed up '
                                 'from its files.' % (logs[name], scan['problem']))
        with open(copy, 'r+b') as f:
            f.truncate(scan['end'])
        scans.append((name, dict(scan, problem=None)))
        files['version-2/' + name] = copy
    return files, scans


def take(module):
    p = module.params
    if not p['data_dir'] or not p['classpath']:
        module.fail_json(msg='state=present needs data_dir and classpath')
    started = time.time()
    snaps, logs = read_dirs(p['data_dir'], p['data_log_dir'])
    snap = newest_complete(snaps)
    if snap is None:
        module.fail_json(msg='no complete snapshot in %s/version-2 (%d snapshot files, %d logs): the server has not '
                             'written one yet' % (p['data_dir'], len(snaps), len(logs)))
    snap, chosen = select_files({snap: name_zxid(snap, 'snapshot')}, dict((n, name_zxid(n, 'log')) for n in logs))
    szxid = name_zxid(snap, 'snapshot')
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    if module.check_mode:
        scans = [(n, dict(scan_log(logs[n]), problem=None)) for n in chosen]
        zxid = last_zxid(szxid, scans)
        archive = os.path.join(p['dest'], '%s-%s-%s.tar.gz' % (p['prefix'], stamp, zxid_hex(zxid)))
        module.exit_json(changed=True, archive=archive, size=0, seconds=0.0, verify_seconds=0.0,
                         manifest=dict(zxid=zxid_hex(zxid), snapshot_zxid=zxid_hex(szxid),
                                       files=dict(('version-2/' + n, {}) for n in [snap] + chosen)),
                         summary='would back up zxid %s (snapshot %s and %d logs)' % (zxid_hex(zxid), snap, len(chosen)),
                         removed=prune(p['dest'], p['prefix'], p['keep'], True, adding=1))
    if not os.path.isdir(p['dest']):
        os.makedirs(p['dest'], 0o700)
    workdir = tempfile.mkdtemp(prefix='.zkops-backup-', dir=p['dest'])
    try:
        files, scans = stage(module, snaps, logs, snap, chosen, workdir)
        problems = chain_problems(szxid, scans)
        if problems:
            module.fail_json(msg='the files of %s do not replay: %s' % (p['data_dir'], '; '.join(problems)))
        zxid = last_zxid(szxid, scans)
        version = java_version(p['java'], p['classpath'])
        loaded = dict(node_count=None, seconds=0.0)
        if p['verify']:
            try:
                loaded = load_offline(p['java'], p['classpath'], [files['version-2/' + snap]],
                                      [files['version-2/' + n] for n in chosen], p['heap'], p['verify_timeout'])
            except RuntimeError as e:
                module.fail_json(msg='verification restore failed, the backup does not count: %s' % e)
            if loaded['zxid'] != zxid:
                module.fail_json(msg='verification restore loaded zxid %s, but the files end at %s; the backup does '
                                     'not count' % (zxid_hex(loaded['zxid']), zxid_hex(zxid)))
            version = version or loaded['version']
        manifest = dict(
            format=FORMAT, zxid=zxid_hex(zxid), snapshot_zxid=zxid_hex(szxid), node_count=loaded['node_count'],
            verified=bool(p['verify']), zookeeper_version=version, source=p['source'],
            created=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            files=dict((name, dict(sha256=sha256_file(path), size=os.path.getsize(path)))
                       for name, path in files.items()))
        archive = os.path.join(p['dest'], '%s-%s-%s.tar.gz' % (p['prefix'], stamp, zxid_hex(zxid)))
        write_archive(archive, manifest, files)
        os.chmod(archive, 0o600)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    removed = prune(p['dest'], p['prefix'], p['keep'], False)
    seconds = round(time.time() - started, 2)
    size = os.path.getsize(archive)
    summary = 'backup %s: zxid %s, %s nodes, %.1f MB, %.1f s%s' % (
        os.path.basename(archive), manifest['zxid'], manifest['node_count'] if p['verify'] else 'unverified',
        size / 1e6, seconds, ' (verified in %.1f s)' % loaded['seconds'] if p['verify'] else '')
    module.exit_json(changed=True, archive=archive, size=size, seconds=seconds, verify_seconds=loaded['seconds'],
                     manifest=manifest, summary=summary, removed=removed)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'pruned'], default='present'),
            data_dir=dict(type='path'),
            data_log_dir=dict(type='path'),
            dest=dict(type='path', required=True),
            prefix=dict(type='str', default='zookeeper'),
            keep=dict(type='int', default=0),
            verify=dict(type='bool', default=True),
            java=dict(type='path', default='java'),
            classpath=dict(type='list', elements='str', default=[]),
            heap=dict(type='str', default='512m'),
            verify_timeout=dict(type='int', default=300),
            source=dict(type='dict', default={}),
        ),
        required_if=[('state', 'present', ('data_dir',))],
        supports_check_mode=True,
    )
    p = module.params
    if p['keep'] < 0:
        module.fail_json(msg='keep must be 0 (keep all) or more, got %d' % p['keep'])
    if p['verify_timeout'] <= 0:
        module.fail_json(msg='verify_timeout must be greater than 0, got %d' % p['verify_timeout'])
    if '/' in p['prefix'] or not p['prefix'].strip():
        module.fail_json(msg='prefix must be a file name part without "/", got %r' % p['prefix'])
    if p['state'] == 'pruned':
        removed = prune(p['dest'], p['prefix'], p['keep'], module.check_mode)
        module.exit_json(changed=bool(removed), removed=removed)
    take(module)


if __name__ == '__main__':
    main()

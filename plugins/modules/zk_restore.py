#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_restore
short_description: Check a ZooKeeper backup, move a server's data aside, and put a backup in its place
version_added: 0.2.0
description:
  - Works on archives written by zkops.zookeeper.zk_backup, and on a stopped server's files. It never deletes data.
  - O(state=checked) checks an archive (O(archive)) without changing anything, file by file; every sha256 and size of
    the manifest, the snapshot's end seal and checksum, every log entry's checksum, the chain of logs (no transaction
    missing), and that the files replay to the manifest's zxid. With O(classpath) it also reads this host's ZooKeeper
    version and refuses a backup taken on a newer ZooKeeper line (3.9 into 3.8); the same or a newer line is accepted.
    The manifest to compare may come from O(manifest) instead of O(archive).
  - O(state=emptied) moves the server's C(version-2) directories and its C(zoo.cfg) and dynamic configuration files into
    C(<data_dir>/pre-restore-<stamp>/), so the server starts again as a new, empty member. With O(keep_data=true) the
    data is copied there instead and stays in place (the member whose data rebuilds a lost quorum).
  - O(state=restored) does what O(state=emptied) does, then checks O(archive) and puts its snapshot into
    C(<data_dir>/version-2) and its logs into C(<data_log_dir>/version-2).
  - The server must be stopped for O(state=emptied) and O(state=restored); the zkops.zookeeper.restore and
    zkops.zookeeper.recover playbooks stop it first.
author:
  - zkops.zookeeper contributors (@zkops)
attributes:
  check_mode:
    support: full
    description: O(state=checked) runs as usual; the other states report what they would move and write nothing.
  diff_mode:
    support: none
    description: Data files are binary.
  idempotent:
    support: full
    description: A second run with the same O(stamp) finds the data already aside (and the backup in place) and changes nothing.
options:
  state:
    description: C(checked), C(emptied) or C(restored), as described above.
    type: str
    choices: [checked, emptied, restored]
    default: checked
  archive:
    description: Path of the archive on this host. Required with O(state=restored).
    type: path
  manifest:
    description: A manifest already read from the archive (RV(manifest)), for the version check with O(state=checked).
    type: dict
  java:
    description: The Java launcher that reads this host's ZooKeeper version.
    type: path
    default: java
  classpath:
    description: ZooKeeper's classpath on this host; with O(state=checked), the host's version is checked against the backup's.
    type: list
    elements: str
    default: []
  data_dir:
    description: The server's C(dataDir). Required with O(state=emptied) and O(state=restored).
    type: path
  data_log_dir:
    description: The server's C(dataLogDir), when the logs are kept apart.
    type: path
  conf_dir:
    description: Directory of the server's C(zoo.cfg); it and its C(zoo.cfg.dynamic*) files are moved aside too.
    type: path
  verify:
    description:
      - With O(state=checked) and O(archive), also load the backup into a throwaway standalone ZooKeeper on loopback
        with this host's O(java) and O(classpath), and require the manifest's zxid and node count. This proves that
        this host's ZooKeeper reads the backup (for example a 3.8 backup on a host upgraded to 3.9) without touching
        the server's data.
    type: bool
    default: false
  heap:
    description: Maximum heap of the throwaway server of O(verify).
    type: str
    default: 512m
  stamp:
    description: Name part of the directory the old data goes to, C(pre-restore-<stamp>); the same for every member of one run.
    type: str
  keep_data:
    description: Copy the data aside and leave it in place, instead of moving it.
    type: bool
    default: false
  owner:
    description: Owner of the restored directories and files.
    type: str
  group:
    description: Group of the restored directories and files.
    type: str
'''

EXAMPLES = r'''
- name: Check the archive on the controller before anything changes
  zkops.zookeeper.zk_restore:
    archive: backups/zookeeper-20261202T071500Z-0x100000f3a.tar.gz
  delegate_to: localhost
  run_once: true
  register: backup

- name: This host runs the backup's ZooKeeper line or a newer one
  zkops.zookeeper.zk_restore:
    manifest: "{{ backup.manifest }}"
    classpath: [/usr/share/java/zookeeper.jar]

- name: Put the backup in place of the stopped server's data (the old data moves aside)
  zkops.zookeeper.zk_restore:
    state: restored
    archive: /var/lib/zookeeper/restore.tar.gz
    data_dir: /var/lib/zookeeper
    conf_dir: /etc/zookeeper/conf_zkops
    stamp: "20261202T080000Z"
    owner: zookeeper
    group: zookeeper
'''

RETURN = r'''
manifest:
  description: The archive's manifest (see zkops.zookeeper.zk_backup), or O(manifest).
  returned: when an archive or manifest was given
  type: dict
loaded:
  description: With O(verify), what the throwaway server loaded (zxid as an integer, node_count, version, seconds).
  returned: when O(verify) ran
  type: dict
zookeeper_version:
  description: This host's ZooKeeper version, read with O(classpath).
  returned: when O(classpath) was given
  type: str
aside:
  description: The directory the old data and configuration went to.
  returned: state=emptied or state=restored
  type: str
moved:
  description: What was moved (or copied, with O(keep_data)) aside.
  returned: state=emptied or state=restored
  type: list
  elements: str
placed:
  description: The files of the backup put in place.
  returned: state=restored
  type: list
  elements: str
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_datadir import (
    java_version, load_offline, open_archive, version_line, zxid_hex)


def check(module, workdir):
    p = module.params
    manifest, paths = p['manifest'], {}
    if p['archive']:
        if not os.path.isfile(p['archive']):
            module.fail_json(msg='backup archive %s does not exist' % p['archive'])
        manifest, paths, problems = open_archive(p['archive'], workdir)
        if problems:
            module.fail_json(msg='backup %s is refused: %s' % (p['archive'], '; '.join(problems)), problems=problems)
    result = dict(manifest=manifest)
    if p['classpath']:
        version = java_version(p['java'], p['classpath'])
        if version is None:
            module.fail_json(msg='cannot read the ZooKeeper version from the classpath %s' % ':'.join(p['classpath']))
        result['zookeeper_version'] = version
        theirs = version_line((manifest or {}).get('zookeeper_version'))
        if manifest is not None and (theirs is None or theirs > version_line(version)):
            module.fail_json(msg='the backup was taken on ZooKeeper %s, a newer line than this host\'s %s: a server '
                                 'cannot read a newer line\'s files. Upgrade this host first.'
                                 % (manifest.get('zookeeper_version'), version), **result)
    if p['verify'] and paths:
        try:
            loaded = load_offline(p['java'], p['classpath'], [v for k, v in paths.items() if '/snapshot.' in k],
                                  [v for k, v in paths.items() if '/log.' in k], p['heap'])
        except RuntimeError as e:
            module.fail_json(msg='this host\'s ZooKeeper could not load the backup: %s' % e, **result)
        result['loaded'] = loaded
        if zxid_hex(loaded['zxid']) != manifest.get('zxid') or (
                manifest.get('node_count') is not None and loaded['node_count'] != manifest['node_count']):
            module.fail_json(msg='this host\'s ZooKeeper %s loaded zxid %s with %s nodes; the manifest says zxid %s '
                                 'with %s nodes' % (loaded['version'], zxid_hex(loaded['zxid']), loaded['node_count'],
                                                    manifest.get('zxid'), manifest.get('node_count')), **result)
    return result, paths


def _chown_tree(module, path):
    """Give ``path`` (a file, or a directory and everything in it) to owner and group."""
    p = module.params
    names = [path] + [os.path.join(root, n) for root, dirs, files in os.walk(path) for n in dirs + files]
    for name in names:
        if p['owner']:
            module.set_owner_if_different(name, p['owner'], False)
        if p['group']:
            module.set_group_if_different(name, p['group'], False)


def move_aside(module):
    """Move (or copy) version-2 and the configuration into <data_dir>/pre-restore-<stamp>; returns (aside, moved)."""
    p = module.params
    aside = os.path.join(p['data_dir'], 'pre-restore-%s' % p['stamp'])
    sources = [('data', os.path.join(p['data_dir'], 'version-2'))]
    if p['data_log_dir'] and os.path.normpath(p['data_log_dir']) != os.path.normpath(p['data_dir']):
        sources.append(('datalog', os.path.join(p['data_log_dir'], 'version-2')))
    if p['conf_dir'] and os.path.isdir(p['conf_dir']):
        for name in sorted(os.listdir(p['conf_dir'])):
            if name == 'zoo.cfg' or name.startswith('zoo.cfg.dynamic'):
                sources.append(('conf', os.path.join(p['conf_dir'], name)))
    moved = []
    for kind, src in sources:
        if not os.path.exists(src):
            continue
        dest = os.path.join(aside, kind, os.path.basename(src))
        if p['keep_data'] and kind != 'conf':
            if os.path.exists(dest):
                continue
            moved.append(src)
            if not module.check_mode:
                shutil.copytree(src, dest)
            continue
        moved.append(src)
        if not module.check_mode:
            if not os.path.isdir(os.path.dirname(dest)):
                os.makedirs(os.path.dirname(dest), 0o750)
            if os.path.exists(dest):
                dest = '%s.%d' % (dest, len(os.listdir(os.path.dirname(dest))))
            shutil.move(src, dest)
    return aside, moved


def target_dir(params, name):
    """Where a file of the archive goes: the snapshot into dataDir/version-2, logs into dataLogDir/version-2."""
    base = params['data_log_dir'] or params['data_dir'] if os.path.basename(name).startswith('log.') else params['data_dir']
    return os.path.join(base, 'version-2')


def place(module, paths):
    """Put the checked files into version-2."""
    placed = []
    for name, path in sorted(paths.items()):
        base = os.path.basename(name)
        folder = target_dir(module.params, name)
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o750)
            _chown_tree(module, folder)
        target = os.path.join(folder, base)
        shutil.move(path, target)
        os.chmod(target, 0o640)
        _chown_tree(module, target)
        placed.append(target)
    return placed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['checked', 'emptied', 'restored'], default='checked'),
            archive=dict(type='path'),
            manifest=dict(type='dict'),
            java=dict(type='path', default='java'),
            classpath=dict(type='list', elements='str', default=[]),
            data_dir=dict(type='path'),
            data_log_dir=dict(type='path'),
            conf_dir=dict(type='path'),
            stamp=dict(type='str'),
            keep_data=dict(type='bool', default=False),
            verify=dict(type='bool', default=False),
            heap=dict(type='str', default='512m'),
            owner=dict(type='str'),
            group=dict(type='str'),
        ),
        required_if=[
            ('state', 'emptied', ('data_dir', 'stamp')),
            ('state', 'restored', ('data_dir', 'stamp', 'archive')),
            ('state', 'checked', ('archive', 'manifest'), True),
            ('verify', True, ('archive', 'classpath')),
        ],
        mutually_exclusive=[('archive', 'manifest')],
        supports_check_mode=True,
    )
    p = module.params
    if p['stamp'] is not None and (not p['stamp'] or '/' in p['stamp'] or p['stamp'].startswith('.')):
        module.fail_json(msg='stamp must be a plain name part (no "/", not empty), got %r' % p['stamp'])
    for key in ('data_dir', 'data_log_dir', 'conf_dir'):
        if p[key] and not os.path.isabs(p[key]):
            module.fail_json(msg='%s must be an absolute path, got %s' % (key, p[key]))
    if p['state'] != 'checked' and not os.path.isdir(p['data_dir']):
        module.fail_json(msg='data_dir %s does not exist' % p['data_dir'])
    workdir = tempfile.mkdtemp(prefix='.zkops-restore-', dir=p['data_dir'] if p['state'] == 'restored' else None)
    try:
        result, paths = check(module, workdir)
        if p['state'] == 'checked':
            module.exit_json(changed=False, **result)
        aside = os.path.join(p['data_dir'], 'pre-restore-%s' % p['stamp'])
        if p['state'] == 'restored' and os.path.isdir(aside) and all(
                os.path.exists(os.path.join(target_dir(p, n), os.path.basename(n))) for n in paths):
            # This run's restore is already in place: the data it moved aside is not moved again.
            module.exit_json(changed=False, aside=aside, moved=[], placed=[], **result)
        aside, moved = move_aside(module)
        result.update(aside=aside, moved=moved, placed=[])
        if p['state'] == 'restored':
            result['placed'] = sorted(paths) if module.check_mode else place(module, paths)
        if not module.check_mode and moved and os.path.isdir(aside) and (p['owner'] or p['group']):
            _chown_tree(module, aside)
        module.exit_json(changed=bool(moved or result['placed']), **result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()

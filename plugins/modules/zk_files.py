#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_files
short_description: Directories and small files of a ZooKeeper instance, checked and written in one call
version_added: 0.2.0
description:
  - Makes directories exist and files hold the given content, with the given owner, group and mode, and reports which
    of them changed.
  - Everything is compared first and written only where it differs, so a run with nothing to change costs one call on
    the host instead of two per file (C(ansible.builtin.template) reads the file, then calls C(ansible.builtin.file)
    for its attributes). The zkops.zookeeper.zookeeper role writes each instance's configuration files with it.
  - Files are replaced atomically (a temporary file in the same directory, then a rename).
  - Render templates on the controller, for example with C(lookup('ansible.builtin.template', ...)), and pass the text.
author:
  - zkops.zookeeper contributors (@zkops)
attributes:
  check_mode:
    support: full
    description: Reports what would change and writes nothing.
  diff_mode:
    support: full
    description: Shows the content of each changed file before and after, except for O(files[].secret_content).
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
options:
  directories:
    description:
      - Directories that must exist (parents are created too), with O(directory_owner), O(directory_group) and
        O(directory_mode). Their content is left alone.
    type: list
    elements: path
    default: []
  directory_owner:
    description: Owner of O(directories); unchanged when not given.
    type: str
  directory_group:
    description: Group of O(directories); unchanged when not given.
    type: str
  directory_mode:
    description: Mode of O(directories), as an octal string such as C('0750'); unchanged when not given.
    type: str
  files:
    description: Files and the text each must hold. Their directories must exist (or be in O(directories)).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The text the file must hold. Exactly one of O(files[].content) and O(files[].secret_content).
        type: str
      secret_content:
        description:
          - The same as O(files[].content), for text that holds secrets. It is never shown, neither in the task's
            output nor in a diff.
        type: str
      owner:
        description: Owner of the file; unchanged (or root's for a new file) when not given.
        type: str
      group:
        description: Group of the file; unchanged when not given.
        type: str
      mode:
        description: Mode of the file, as an octal string such as C('0640'); unchanged when not given.
        type: str
      label:
        description: Any text, returned as it is in RV(files[].label) (the role passes the instance name).
        type: str
        default: ''
'''

EXAMPLES = r'''
- name: Directories, heap settings and the unit of an instance, in one call
  zkops.zookeeper.zk_files:
    directories: [/etc/zookeeper/conf_zkops, /var/lib/zookeeper]
    directory_owner: zookeeper
    directory_group: zookeeper
    directory_mode: "0750"
    files:
      - path: /etc/zookeeper/conf_zkops/zookeeper.env
        content: "{{ lookup('ansible.builtin.template', 'zookeeper.env.j2') }}"
        owner: root
        group: zookeeper
        mode: "0640"
      - path: /var/lib/zookeeper/myid
        content: "1\n"
        owner: zookeeper
        group: zookeeper
        mode: "0644"
  register: written

- name: Which files changed
  ansible.builtin.debug:
    msg: "{{ written.files | selectattr('changed') | map(attribute='path') | list }}"
'''

RETURN = r'''
directories:
  description: Each directory of O(directories), in order, and whether it was created or its attributes changed.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The directory.
      type: str
    changed:
      description: Whether it was created or its owner, group or mode changed (or would, in check mode).
      type: bool
files:
  description: Each file of O(files), in order, and whether it changed.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
    label:
      description: O(files[].label), as given.
      type: str
    changed:
      description: Whether its content or attributes changed (or would, in check mode).
      type: bool
    content_changed:
      description: Whether its content changed (or would, in check mode).
      type: bool
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


def _attributes(module, path, owner, group, mode):
    return module.load_file_common_arguments(dict(path=path, owner=owner, group=group, mode=mode), path=path)


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _write(module, path, data):
    fd, tmp = tempfile.mkstemp(prefix='.zkops-', dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_directory(module, path):
    p = module.params
    diff = dict(before={'path': path}, after={'path': path})
    changed = not os.path.isdir(path)
    if changed:
        if os.path.lexists(path):
            module.fail_json(msg='%s exists and is not a directory' % path)
        diff['before']['state'], diff['after']['state'] = 'absent', 'directory'
        if module.check_mode:
            return dict(path=path, changed=True), diff
        os.makedirs(path)
    args = _attributes(module, path, p['directory_owner'], p['directory_group'], p['directory_mode'])
    changed = module.set_fs_attributes_if_different(args, changed, diff=diff)
    return dict(path=path, changed=changed), diff


def ensure_file(module, spec):
    """Returns the file's result and its diffs: one for the content, one for owner, group and mode."""
    path = spec['path']
    secret = spec['secret_content'] is not None
    text = spec['secret_content'] if secret else spec['content']
    data = to_bytes(text, errors='surrogate_or_strict')
    if os.path.isdir(path):
        module.fail_json(msg='files[].path %s is a directory' % path)
    if not os.path.isdir(os.path.dirname(path)) and not module.check_mode:
        module.fail_json(msg='The directory of files[].path %s does not exist: add it to directories.' % path)
    before = _read(path)
    content_changed = before != data
    diffs = []
    if content_changed:
        hidden = '(secret content hidden)\n'
        diffs.append(dict(before_header=path, after_header=path,
                          before=(hidden if before is not None else '') if secret
                          else to_native(before or b'', errors='surrogate_or_replace'),
                          after=hidden if secret else text))
        if not module.check_mode:
            _write(module, path, data)
    changed = content_changed
    if os.path.exists(path):
        attrs = dict(before={'path': path}, after={'path': path})
        args = _attributes(module, path, spec['owner'], spec['group'], spec['mode'])
        if module.set_fs_attributes_if_different(args, False, diff=attrs):
            changed = True
            diffs.append(attrs)
    return dict(path=path, label=spec['label'], changed=changed, content_changed=content_changed), diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='path', default=[]),
            directory_owner=dict(type='str'),
            directory_group=dict(type='str'),
            directory_mode=dict(type='str'),
            files=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                content=dict(type='str'),
                secret_content=dict(type='str', no_log=True),
                owner=dict(type='str'),
                group=dict(type='str'),
                mode=dict(type='str'),
                label=dict(type='str', default=''),
            ), mutually_exclusive=[('content', 'secret_content')], required_one_of=[('content', 'secret_content')]),
        ),
        supports_check_mode=True,
    )
    for path in module.params['directories'] + [f['path'] for f in module.params['files']]:
        if not os.path.isabs(path):
            module.fail_json(msg='Paths must be absolute, not %r' % path)
    directories, files, diffs = [], [], []
    for path in module.params['directories']:
        result, diff = ensure_directory(module, path)
        directories.append(result)
        if result['changed']:
            diffs.append(diff)
    for spec in module.params['files']:
        result, file_diffs = ensure_file(module, spec)
        files.append(result)
        diffs.extend(file_diffs)
    changed = any(r['changed'] for r in directories + files)
    # the before and after texts are returned only when they are asked for (--diff)
    module.exit_json(changed=changed, directories=directories, files=files, **(dict(diff=diffs) if module._diff else {}))


if __name__ == '__main__':
    main()

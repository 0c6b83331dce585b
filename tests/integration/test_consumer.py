"""A consumer's view: the built artifact, installed outside the checkout, used from another project.

No path of the checkout is visible to the consumer's Ansible: the collection
comes only from the installed artifact (ansible.posix from the `ansible`
package, as a user without Galaxy access would have it).
"""
import json
import os
import subprocess
import sys

from ansible_runner import ROOT, ansible_env

BIN = os.path.dirname(sys.executable)

PLAYBOOK = '''
- name: Consumer uses the modules by FQCN
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Status
      zkops.zookeeper.zk_status:
        hosts: "{{ zk_hosts }}"
      register: status
    - name: A znode
      zkops.zookeeper.zk_znode:
        hosts: "{{ zk_hosts }}"
        path: /consumer/check
        value: installed
      register: node
    - name: Results
      ansible.builtin.assert:
        that: [status.is_available, node.changed or node.stat is defined]
'''

ROLE_PLAY = '''
- name: Consumer uses the role by FQCN
  hosts: zookeeper
  roles:
    - role: zkops.zookeeper.zookeeper
'''


def run(cmd, cwd, env):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, (cmd, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


def test_built_artifact_installs_and_works_from_another_project(tmp_path, standalone):
    env = ansible_env()
    dist, collections, project = tmp_path / 'dist', tmp_path / 'collections', tmp_path / 'project'
    project.mkdir()
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(dist), ROOT], ROOT, env)
    artifact = str(next(dist.glob('zkops-zookeeper-*.tar.gz')))
    for extra in ([], ['--force']):  # installing again must work too
        run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--no-deps', '-p', str(collections),
             artifact] + extra, project, env)
    installed = collections / 'ansible_collections' / 'zkops' / 'zookeeper'
    assert installed.is_dir() and not installed.is_symlink()
    assert not (installed / 'tests' / 'integration').exists() and not (installed / 'molecule').exists()
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json')
    env.pop('ANSIBLE_CONFIG', None)
    (project / 'play.yml').write_text(PLAYBOOK)
    out = json.loads(run([os.path.join(BIN, 'ansible-playbook'), 'play.yml', '-e',
                          'zk_hosts=%s' % standalone.hosts], str(project), env))
    assert out['stats']['localhost']['failures'] == 0
    (project / 'role.yml').write_text(ROLE_PLAY)
    (project / 'hosts').write_text('[zookeeper]\nzk1 zookeeper_id=1\n')
    env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.default'
    run([os.path.join(BIN, 'ansible-playbook'), '-i', 'hosts', 'role.yml', '--syntax-check'], str(project), env)
    run([os.path.join(BIN, 'ansible-playbook'), '-i', 'hosts', 'zkops.zookeeper.site', '--syntax-check'],
        str(project), env)
    docs = run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', 'zkops.zookeeper.zookeeper'], str(project), env)
    assert 'zookeeper_superuser_password' in docs

"""The collection as users see it: module_defaults for the action group, and rendered docs."""
import json
import os
import subprocess
import sys

from ansible_runner import ansible_env

BIN = os.path.dirname(sys.executable)


def test_module_defaults_group_sets_connection_once(standalone, prefix, tmp_path):
    play = [{
        'name': 'group defaults', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'module_defaults': {'group/zkops.zookeeper.zookeeper': {'hosts': standalone.hosts, 'timeout': 5}},
        'tasks': [
            {'name': 'znode', 'zkops.zookeeper.zk_znode': {'path': prefix + '/md', 'value': 'x'}, 'register': 'z'},
            {'name': 'status', 'zkops.zookeeper.zk_status': {}, 'register': 's'},
            {'name': 'check', 'ansible.builtin.assert': {'that': ['z is changed', "s.servers[0].mode == 'standalone'"]}},
        ],
    }]
    path = tmp_path / 'play.yml'
    path.write_text(json.dumps(play))
    env = ansible_env()
    env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.default'
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', str(path)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'failed=0' in proc.stdout


def test_ansible_doc_renders_modules_and_role():
    env = ansible_env()
    for args, expected in ((['zkops.zookeeper.zk_znode'], 'value_b64'),
                           (['zkops.zookeeper.zk_status'], 'wait_for'),
                           (['-t', 'role', 'zkops.zookeeper.zookeeper'], 'zookeeper_id')):
        proc = subprocess.run([os.path.join(BIN, 'ansible-doc')] + args, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert expected in proc.stdout

"""Run a zkops.zookeeper module through Ansible (ad-hoc, local connection) and return its result."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.collections')


def ansible_env():
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
        ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json',
        ANSIBLE_HOST_KEY_CHECKING='0',
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCALHOST_WARNING='0',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
    )
    return env


def run_module(module, args, check=False, diff=False, timeout=300):
    """Return the module's result dict (with 'failed' and 'msg' on failure)."""
    bindir = os.path.dirname(sys.executable)
    ansible = os.path.join(bindir, 'ansible')
    cmd = [ansible, 'localhost', '-c', 'local', '-m', module, '-a', json.dumps(args)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    proc = subprocess.run(cmd, env=ansible_env(), capture_output=True, text=True, timeout=timeout, check=False)
    try:
        out = json.loads(proc.stdout)
        return out['plays'][0]['tasks'][0]['hosts']['localhost']
    except (ValueError, KeyError, IndexError):
        raise AssertionError('ansible did not return JSON (rc=%s)\nstdout:\n%s\nstderr:\n%s'
                             % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))

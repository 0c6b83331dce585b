"""Run a zkops.zookeeper module as its own Python process, the way Ansible runs it on a host, and return its JSON.

Much faster than an ad-hoc ansible run (about 0.1 s of start-up), for the
table-driven suites.  An uncaught exception prints a traceback and no JSON:
that fails the caller, which is the point.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.collections')


def run_module_process(module, args, check=False, diff=False, timeout=120):
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump({'ANSIBLE_MODULE_ARGS': payload}, f)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    try:
        proc = subprocess.run([sys.executable, '-m', 'ansible_collections.zkops.zookeeper.plugins.modules.%s' % module,
                               f.name], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        os.unlink(f.name)
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{')]
    if not lines:
        raise AssertionError('%s printed no JSON (an uncaught exception?)\nstdout:\n%s\nstderr:\n%s'
                             % (module, proc.stdout[-3000:], proc.stderr[-3000:]))
    return json.loads(lines[-1])

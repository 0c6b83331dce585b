"""Helpers of the backup drills: run the collection's playbooks on the scenario's inventory, read the
members through docker exec, keep a writer running on the client, and compare whole trees."""
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time

import testinfra

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(SCENARIO, 'files'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lib'))
sys.path.insert(0, os.path.join(SCENARIO, '..', 'shared', 'tests'))
from srvr_reader import field_in  # noqa: E402

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PLAYBOOKS = os.path.join(ROOT, 'playbooks')
SHARED = os.path.join(SCENARIO, '..', 'shared')
MEMBERS = ['bk1', 'bk2', 'bk3']
CLIENT = 'bkclient'
HOSTS = ','.join('%s:2181' % h for h in MEMBERS)
ACK_LOG = '/root/drill-acks.log'
STOP_FILE = '/root/drill.stop'


def host(name):
    return testinfra.get_host('docker://%s' % name)


def playbook(path, *args, expect_rc=0, cwd=None):
    """ansible-playbook on the scenario's inventory (the containers have no sudo: become off). Its output, after
    checking the exit status against ``expect_rc``; with ``expect_rc=None``, (exit status, output)."""
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY, path,
           '-e', 'ansible_become=false'] + list(args)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_PIPELINING='True')
    if cwd:
        env['PWD'] = cwd   # as an operator's shell sets it
    cfg = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'ansible.cfg')
    if os.path.exists(cfg):
        env['ANSIBLE_CONFIG'] = cfg
    started = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500, check=False, cwd=cwd)
    out = proc.stdout + proc.stderr
    took = time.time() - started
    print('\n=== %s %s: rc %d in %.1f s' % (os.path.basename(path), ' '.join(args), proc.returncode, took))
    if expect_rc is None:   # the caller checks the exit status
        return proc.returncode, out
    assert proc.returncode == expect_rc, out[-8000:]
    return out


def recap_changed(out):
    return dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', out, re.M))


def mode(name):
    return field_in(host(name), 'Mode')


def srvr(name, key):
    return field_in(host(name), key)


def leader():
    return next((h for h in MEMBERS if mode(h) == 'leader'), None)


def main_pid(name):
    return host(name).check_output('systemctl show -p MainPID --value zookeeper').strip()


def data_files(name):
    return host(name).check_output('ls -1 /var/lib/zookeeper/version-2 2>/dev/null; '
                                   'sha256sum /etc/zookeeper/conf_zkops/zoo.cfg 2>/dev/null || true')


def walk(hosts=HOSTS):
    """The whole tree as the ensemble (or one member) serves it, read on the client container."""
    out = host(CLIENT).check_output('python3 /root/zk_tree.py walk %s' % hosts)
    return json.loads(out.strip().splitlines()[-1])


def install_client_files():
    c = host(CLIENT)
    for path in (os.path.join(SHARED, 'files', 'zk_writer.py'), os.path.join(SCENARIO, 'files', 'zk_tree.py')):
        with open(path) as f:
            c.run("cat > /root/%s <<'ZKOPS_EOF'\n%s\nZKOPS_EOF" % (os.path.basename(path), f.read()))


def start_writer(seconds=900):
    c = host(CLIENT)
    c.run('rm -f %s %s /root/drill-writer.json' % (STOP_FILE, ACK_LOG))
    subprocess.run(['docker', 'exec', '-d', CLIENT, 'python3', '/root/zk_writer.py', HOSTS, STOP_FILE,
                    '/root/drill-writer.json', str(seconds), ACK_LOG], check=True)
    deadline = time.time() + 60
    while time.time() < deadline and not acked():
        time.sleep(0.5)
    assert acked(), c.check_output('cat /root/drill-writer.out')


def stop_writer():
    c = host(CLIENT)
    c.run('touch %s' % STOP_FILE)
    deadline = time.time() + 120
    while time.time() < deadline and not c.file('/root/drill-writer.json').exists:
        time.sleep(0.5)
    summary = json.loads(c.check_output('cat /root/drill-writer.json'))
    assert summary['error_count'] == 0 and summary['missing_count'] == 0, summary
    return summary


def acked():
    out = host(CLIENT).check_output('cat %s 2>/dev/null || true' % ACK_LOG)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def manifest_of(archive):
    with tarfile.open(archive, 'r:gz') as tar:
        return json.loads(tar.extractfile('manifest.json').read())


def backup_tree(archive):
    """The tree of a backup, loaded into a throwaway ZooKeeper on this machine by zk_restore."""
    from kazoo.client import KazooClient
    from module_process import run_module_process
    from zkharness import Server, free_ports
    from zk_tree import AUTH
    from zk_tree import walk as walk_tree
    root = tempfile.mkdtemp(prefix='drill-backup-')
    srv = Server(root, 1, free_ports(1)[0])
    srv.write_config([])
    result = run_module_process('zk_restore', dict(state='restored', archive=archive, data_dir=srv.data_dir,
                                                   stamp='drill'))
    assert result.get('changed'), result
    srv.start()
    try:
        deadline = time.time() + 60
        while srv.mode() != 'standalone' and time.time() < deadline:
            time.sleep(0.2)
        zk = KazooClient(srv.address, auth_data=AUTH)
        zk.start(30)
        tree = walk_tree(zk)
        zk.stop()
        return tree
    finally:
        srv.stop()


def without_czxid(tree):
    return dict((p, v[:2]) for p, v in tree.items())

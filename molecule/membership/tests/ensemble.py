"""Helpers of the membership scenario: run the role on one step's inventory, read the live ensemble.

Each step writes the inventory of that step (a group with its members and
roles, optional group and host variables), runs a playbook on it with
ansible-playbook, and checks the live ensemble through docker exec.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'tests'))
from srvr_reader import field_in  # noqa: E402

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_FILES = os.path.join(SCENARIO, '..', 'shared', 'files')
COLLECTION_PLAYBOOKS = os.path.join(SCENARIO, '..', '..', 'playbooks')
IDS = {'zka': 17, 'zkb': 203, 'zkc': 5, 'zkd': 88, 'zke': 141, 'zkf': 64, 'zkg': 230}
CANDIDATES = ','.join('%s:2181' % h for h in sorted(IDS))
ACK_LOG = '/root/membership-acks.log'
PAUSE_FILE = '/root/membership.stop.pause'
STALLS = []
# What each test leaves for the next: the members after the shrink, and at the end.
STATE = {}


def host(name):
    # docker exec: the same containers Molecule made, reached without an ansible run per command
    return testinfra.get_host('docker://%s' % name)


def run_step(group, members, expect_rc=0, group_vars=None, host_vars=None, limit=None, playbook=None):
    """Run `playbook` (the scenario's step.yml) on `members` ({host: role}) as the ensemble `group`.

    Returns the output; asserts the return code."""
    hosts = dict((h, dict({'zookeeper_role': r}, **(host_vars or {}).get(h, {}))) for h, r in members.items())
    # The containers are reached as root and have no sudo: the collection's playbooks ask for become.
    inv = {'all': {'children': {group: {'hosts': hosts, 'vars': dict(group_vars or {}, ansible_become=False)}}}}
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(inv, f)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY, '-i', f.name,
           playbook or os.path.join(SCENARIO, 'step.yml'), '-e', 'zk_step_group=%s' % group,
           '-e', 'zookeeper_ensemble_group=%s' % group]
    if limit:
        cmd += ['--limit', limit]
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_PIPELINING='True', ANSIBLE_FORKS='10')
    cfg = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'ansible.cfg')
    if os.path.exists(cfg):
        env['ANSIBLE_CONFIG'] = cfg
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500, check=False)
    out = proc.stdout + proc.stderr
    os.unlink(f.name)
    if os.environ.get('ZKOPS_STEP_LOG'):  # every step's whole output, for debugging
        with open(os.environ['ZKOPS_STEP_LOG'], 'a') as log:
            log.write('\n===== %s %s\n%s' % (group, ' '.join(cmd), out))
    assert proc.returncode == expect_rc, out[-6000:]
    return out


def recap(out):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    found = {}
    for match in re.finditer(r'^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$', out, re.M):
        found[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', match.group(2)))
    return found


def recap_changed(out):
    return dict((h, counts['changed']) for h, counts in recap(out).items())


def srvr_mode(name):
    return field_in(host(name), 'Mode')


def srvr_zxid(name):
    zxid = field_in(host(name), 'Zxid')
    return int(zxid, 16) if zxid else None


def leader_of(members):
    return next((h for h in members if srvr_mode(h) == 'leader'), None)


def live_config(name):
    out = host(name).check_output(
        'python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'127.0.0.1:2181\'); z.start(30); '
        'z.sync(\'/zookeeper/config\'); print(z.get(\'/zookeeper/config\')[0].decode()); z.stop()"')
    return sorted(line for line in out.splitlines() if line.startswith('server.'))


def main_pid(name):
    return host(name).check_output('systemctl show -p MainPID --value zookeeper').strip()


def started_at(name):
    """Wall-clock time (s) at which the member's service last entered 'active'."""
    h = host(name)
    mono = int(h.check_output('systemctl show -p ActiveEnterTimestampMonotonic --value zookeeper').strip())
    uptime = float(h.file('/proc/uptime').content_string.split()[0])
    now = float(h.check_output('date +%s.%N').strip())
    return now - uptime + mono / 1e6


def mtime(name, path):
    return float(host(name).check_output('stat -c %%.9Y %s' % path).strip())


def owes_restart(name):
    return host(name).file('/etc/zookeeper/conf_zkops/zkops-restart-owed').exists


def acked_now():
    out = host('mclient').check_output('cat %s 2>/dev/null || true' % ACK_LOG)
    return [(line.split()[0], float(line.split()[1])) for line in out.splitlines() if len(line.split()) == 2]


def longest_stall(since):
    times = [since] + [t for _p, t in acked_now() if t >= since] + [time.time()]
    return max(b - a for a, b in zip(times, times[1:]))


def assert_no_write_lost(members):
    hosts = ','.join('%s:2181' % h for h in members)
    out = host('mclient').check_output('python3 /root/zk_acked.py %s %s' % (hosts, ACK_LOG))
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary['acked'] > 0 and summary['missing_count'] == 0, summary


def wait_one_leader(members, timeout=60):
    modes = {}
    deadline = time.time() + timeout
    while time.time() < deadline:
        modes = dict((h, srvr_mode(h)) for h in members)
        if list(modes.values()).count('leader') == 1 and all(modes.values()):
            break
        time.sleep(2)
    assert list(modes.values()).count('leader') == 1, modes
    return modes


def assert_ensemble(members, stayed_pids=None):
    """One leader, the same config everywhere, roles as declared, PIDs kept, no write lost."""
    modes = wait_one_leader(members)
    for h, role in members.items():
        assert modes[h] in (('observer',) if role == 'observer' else ('leader', 'follower')), (h, modes)
    configs = dict((h, live_config(h)) for h in members)
    first = next(iter(configs.values()))
    assert all(c == first for c in configs.values()), configs
    declared = sorted('server.%d=%s:2888:3888:%s;0.0.0.0:2181' % (IDS[h], h, r) for h, r in members.items())
    assert first == declared, (first, declared)
    for h, pid in (stayed_pids or {}).items():
        assert main_pid(h) == pid, '%s was restarted' % h
    assert_no_write_lost(members)
    return modes


def step(group, members, stayed, **kwargs):
    """Apply `members`, check the ensemble, rerun with no change (0 changed), report the stall."""
    pids = dict((h, main_pid(h)) for h in stayed)
    start = time.time()
    run_step(group, members, **kwargs)
    modes = assert_ensemble(members, pids)
    stall = longest_stall(start)
    STALLS.append((group, round(stall, 2)))
    print('\n=== %s: modes %s, longest write stall %.2f s' % (group, modes, stall))
    again = run_step(group, members, **kwargs)
    assert set(recap_changed(again).values()) == {0}, recap_changed(again)
    assert_ensemble(members, dict((h, main_pid(h)) for h in members))
    return modes


def seed_count(name):
    out = host(name).check_output(
        'python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'127.0.0.1:2181\'); z.start(30); '
        'z.sync(\'/\'); print(len(z.get_children(\'/seed\'))); z.stop()"')
    return int(out.strip())

"""Membership changes of a live ensemble, driven step by step through the role.

Each step writes the inventory of that step (a group with its members and
roles), runs the role on it with ansible-playbook, runs it again (it must
report changed=0), and checks: exactly one leader, the same /zookeeper/config
on every member, voters and observers as declared, members that stayed kept
their PID, and no acknowledged write was lost.  A client writes znodes the
whole time; the longest write stall of each step is printed.

Which members leave (the current leader among them) and which one dies are
chosen at run time from the live ensemble, not fixed in advance.
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

import pytest
import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_FILES = os.path.join(SCENARIO, '..', 'shared', 'files')
IDS = {'zka': 17, 'zkb': 203, 'zkc': 5, 'zkd': 88, 'zke': 141, 'zkf': 64, 'zkg': 230}
CANDIDATES = ','.join('%s:2181' % h for h in sorted(IDS))
ACK_LOG = '/root/membership-acks.log'
STALLS = []
AFTER_SHRINK = {}


def host(name):
    # docker exec: the same containers Molecule made, reached without an ansible run per command
    return testinfra.get_host('docker://%s' % name)


def run_step(group, members, expect_rc=0):
    """Run the role on `members` ({host: role}) as the ensemble `group`; return (rc, output)."""
    inv = {'all': {'children': {group: {'hosts': dict((h, {'zookeeper_role': r}) for h, r in members.items())}}}}
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(inv, f)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY, '-i', f.name,
           os.path.join(SCENARIO, 'step.yml'), '-e', 'zk_step_group=%s' % group]
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_PIPELINING='True', ANSIBLE_FORKS='10')
    cfg = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'ansible.cfg')
    if os.path.exists(cfg):
        env['ANSIBLE_CONFIG'] = cfg
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500, check=False)
    out = proc.stdout + proc.stderr
    os.unlink(f.name)
    assert proc.returncode == expect_rc, out[-6000:]
    return out


def recap_changed(out):
    return dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', out, re.M))


def srvr_mode(name):
    out = host(name).run('python3 -c "import socket; s=socket.create_connection((\'127.0.0.1\', 2181), 3); '
                         's.sendall(b\'srvr\'); print(s.recv(8192).decode())"')
    match = re.search(r'^Mode: (\S+)', out.stdout, re.M)
    return match.group(1) if match else None


def live_config(name):
    out = host(name).check_output(
        'python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'127.0.0.1:2181\'); z.start(30); '
        'z.sync(\'/zookeeper/config\'); print(z.get(\'/zookeeper/config\')[0].decode()); z.stop()"')
    return sorted(line for line in out.splitlines() if line.startswith('server.'))


def main_pid(name):
    return host(name).check_output('systemctl show -p MainPID --value zookeeper').strip()


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


def assert_ensemble(members, stayed_pids=None):
    """One leader, the same config everywhere, roles as declared, PIDs kept, no write lost."""
    modes = {}
    deadline = time.time() + 60
    while time.time() < deadline:
        modes = dict((h, srvr_mode(h)) for h in members)
        if list(modes.values()).count('leader') == 1 and all(modes.values()):
            break
        time.sleep(2)
    assert list(modes.values()).count('leader') == 1, modes
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


def step(group, members, stayed):
    """Apply `members`, check the ensemble, rerun with no change (0 changed), report the stall."""
    pids = dict((h, main_pid(h)) for h in stayed)
    start = time.time()
    run_step(group, members)
    modes = assert_ensemble(members, pids)
    stall = longest_stall(start)
    STALLS.append((group, round(stall, 2)))
    print('\n=== %s: modes %s, longest write stall %.2f s' % (group, modes, stall))
    again = run_step(group, members)
    assert set(recap_changed(again).values()) == {0}, recap_changed(again)
    assert_ensemble(members, dict((h, main_pid(h)) for h in members))
    return modes


@pytest.fixture(scope='module', autouse=True)
def writer():
    client = host('mclient')
    for name in ('zk_writer.py', 'zk_acked.py'):
        with open(os.path.join(SHARED_FILES, name)) as f:
            client.run('cat > /root/%s <<\'EOF\'\n%s\nEOF' % (name, f.read()))
    client.run('rm -f /root/membership.stop /root/membership-summary.json %s' % ACK_LOG)
    # The standalone server holds data before it grows.
    host('zka').check_output(
        'python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'127.0.0.1:2181\'); z.start(30); '
        '[z.create(\'/seed/n%d\' % i, b\'seed\', makepath=True) for i in range(200) if not z.exists(\'/seed/n%d\' % i)]; '
        'z.stop()"')
    subprocess.run(['docker', 'exec', '-d', 'mclient', 'python3', '/root/zk_writer.py', CANDIDATES,
                    '/root/membership.stop', '/root/membership-summary.json', '1500', ACK_LOG], check=True)
    deadline = time.time() + 60
    while not acked_now() and time.time() < deadline:
        time.sleep(1)
    yield
    client.run('touch /root/membership.stop')
    print('\n=== longest write stall per step: %s' % STALLS)


def seed_count(name):
    out = host(name).check_output(
        'python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'127.0.0.1:2181\'); z.start(30); '
        'z.sync(\'/\'); print(len(z.get_children(\'/seed\'))); z.stop()"')
    return int(out.strip())


def test_1_standalone_with_data_grows_to_three():
    assert srvr_mode('zka') == 'standalone'
    members = {'zka': 'participant', 'zkb': 'participant', 'zkc': 'participant'}
    step('grow3', members, stayed=[])
    for h in members:
        assert seed_count(h) == 200, h


def test_2_three_grow_to_five_and_an_observer():
    members = {'zka': 'participant', 'zkb': 'participant', 'zkc': 'participant', 'zkd': 'participant',
               'zke': 'participant', 'zkf': 'observer'}
    step('grow5', members, stayed=['zka', 'zkb', 'zkc'])


def test_3_observer_becomes_participant_and_back():
    five = ['zka', 'zkb', 'zkc', 'zkd', 'zke']
    members = dict((h, 'participant') for h in five + ['zkf'])
    step('promote', members, stayed=five + ['zkf'])
    members['zkf'] = 'observer'
    step('demote', members, stayed=five + ['zkf'])


def test_4_removing_a_majority_at_once_is_refused_and_changes_nothing():
    members = {'zka': 'participant', 'zkf': 'observer'}
    everyone = ['zka', 'zkb', 'zkc', 'zkd', 'zke', 'zkf']
    pids = dict((h, main_pid(h)) for h in everyone)
    out = run_step('refused', members, expect_rc=2)
    assert 'removing or demoting a majority at once' in out, out[-3000:]
    assert set(recap_changed(out).values()) == {0}, recap_changed(out)
    assert dict((h, main_pid(h)) for h in everyone) == pids


def test_5_five_shrink_to_three_removing_the_leader():
    voters = ['zka', 'zkb', 'zkc', 'zkd', 'zke']
    leader = next(h for h in voters if srvr_mode(h) == 'leader')
    gone = [leader, random.choice([h for h in voters if h != leader])]
    kept = [h for h in voters if h not in gone]
    members = dict((h, 'participant') for h in kept)
    members['zkf'] = 'observer'
    step('shrink', members, stayed=kept + ['zkf'])
    for h in gone:
        svc = host(h).service('zookeeper')
        assert not svc.is_running and not svc.is_enabled, h
        address = host(h).check_output("getent hosts %s | awk '{print $1}'" % h).strip() or h
        for other in members:
            rules = host(other).check_output('firewall-cmd --zone public --list-rich-rules')
            assert address not in rules, (other, h, address, rules)
    AFTER_SHRINK.update(members)


def test_6_a_dead_member_is_replaced_by_a_new_host_with_a_new_id():
    members = dict(AFTER_SHRINK)
    assert members, 'step 5 did not complete'
    voters = sorted(h for h, r in members.items() if r == 'participant')
    dead = random.choice(voters)
    subprocess.run(['docker', 'stop', dead], check=True, capture_output=True)
    del members[dead]
    members['zkg'] = 'participant'
    step('replace', members, stayed=[h for h in members if h != 'zkg'])
    assert seed_count('zkg') == 200

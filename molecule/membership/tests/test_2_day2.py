"""Day-2 operations on the ensemble the membership steps left (3 voters and an
observer, ids chosen by those steps), while the client keeps writing.

Which member fails, stops, is killed or is limited to is chosen at run time.
After each step no acknowledged write is lost.
"""
import json
import os
import random
import re
import socket
import subprocess
import time

import pytest
from ensemble import (COLLECTION_PLAYBOOKS, IDS, PAUSE_FILE, STATE, assert_ensemble, assert_no_write_lost, host,
                      leader_of, main_pid, mtime, owes_restart, recap, recap_changed, run_step, srvr_mode, srvr_zxid,
                      started_at, step, wait_one_leader)

ZOO_CFG = '/etc/zookeeper/conf_zkops/zoo.cfg'
# The configuration every later step applies; steps change it as they go.
CONFIG = {'zookeeper_extra_config': {'maxSessionTimeout': 51000}}
AFTER_FAILURE = 'TASK [zkops.zookeeper.zookeeper : Service | Every instance of this host serves clients]'


@pytest.fixture(scope='module')
def members():
    # ZKOPS_DAY2_MEMBERS ({"host": "role"}) runs these tests alone on a kept ensemble.
    final = STATE.get('final') or json.loads(os.environ.get('ZKOPS_DAY2_MEMBERS', '{}'))
    if not final:
        pytest.fail('the membership steps did not complete')
    return dict(final)


def followers(members):
    return [h for h, r in members.items() if r == 'participant' and srvr_mode(h) == 'follower']


def pids(members):
    return dict((h, main_pid(h)) for h in members)


def test_7_an_interrupted_rolling_restart_is_finished_by_the_next_run(members):
    leader = leader_of(members)
    victim = random.choice(followers(members))
    before = pids(members)
    out = run_step('interrupted', members, expect_rc=2,
                   group_vars=dict(CONFIG, zookeeper_service_timeout=20),
                   host_vars={victim: {'zookeeper_jvm_flags': ['-XX:+ZkopsNoSuchFlag']}})
    assert 'Rolling restart stopped: after restarting %s' % victim in out, out[-4000:]
    # the play stopped on every host: nothing after the rolling restart ran anywhere
    assert AFTER_FAILURE not in out, out[-4000:]
    assert main_pid(leader) == before[leader], 'the leader was restarted before the others'
    assert owes_restart(leader) and owes_restart(victim)
    changed_at = dict((h, mtime(h, ZOO_CFG)) for h in members)

    # The input is fixed; nothing else changes. Every owed restart is paid, the leader last.
    again = run_step('interrupted', members, group_vars=CONFIG)
    starts = dict((h, started_at(h)) for h in members)
    for h in members:
        assert starts[h] > changed_at[h], '%s runs a configuration older than its zoo.cfg' % h
        assert not owes_restart(h), h
    assert max(starts, key=starts.get) == leader, (starts, leader, again[-3000:])
    assert_ensemble(members)
    settled = pids(members)
    out = run_step('interrupted', members, group_vars=CONFIG)
    assert set(recap_changed(out).values()) == {0} and pids(members) == settled


def test_8_a_member_that_missed_writes_is_synced_before_the_role_moves_on(members):
    stopped = random.choice(followers(members))
    host(stopped).check_output('systemctl stop zookeeper')
    time.sleep(8)  # the writer goes on without it
    out = run_step('missed', members, group_vars=CONFIG)
    # The role's health gate ran for the member it started, and passed, before anything else.
    assert re.search(r'Health gate \|[^\n]*after the members that were down started\][^\n]*\n(?:[^\n]*\n){0,2}ok: \[',
                     out), out[-4000:]
    host('mclient').check_output('touch %s' % PAUSE_FILE)
    try:
        time.sleep(1)
        leader = leader_of(members)
        assert srvr_zxid(stopped) == srvr_zxid(leader), (stopped, leader)
    finally:
        host('mclient').check_output('rm -f %s' % PAUSE_FILE)
    assert_ensemble(members)


def test_9_a_change_is_refused_while_a_member_is_down_and_applied_after(members):
    down = random.choice(followers(members))
    host(down).check_output('systemctl stop zookeeper')
    others = [h for h in members if h != down]
    before = pids(others)
    # The status playbook tells: a quorum, and the stopped member is unreachable.
    status = run_step('unhealthy', members, playbook=COLLECTION_PLAYBOOKS + '/status.yml')
    assert re.search(r'%s\s+%d\s+unreachable' % (down, IDS[down]), status), status[-3000:]

    CONFIG['zookeeper_extra_config'] = {'maxSessionTimeout': 52000}
    out = run_step('unhealthy', members, expect_rc=2, group_vars=CONFIG)
    assert 'Refused to restart any member: %s (id %d, %s:2181) is not running' % (down, IDS[down], down) in out, \
        out[-4000:]
    assert pids(others) == before
    assert not host(down).service('zookeeper').is_running, 'the role started a member someone stopped'

    host(down).check_output('systemctl start zookeeper')
    wait_one_leader(members)
    changed_at = dict((h, mtime(h, ZOO_CFG)) for h in members)
    step('unhealthy', members, stayed=[], group_vars=CONFIG)
    for h in members:
        assert started_at(h) > changed_at[h], h
        assert not owes_restart(h), h


def test_10_a_killed_leader_is_replaced_fast_and_comes_back_synced(members):
    leader = leader_of(members)
    voters = [h for h, r in members.items() if r == 'participant' and h != leader]
    host(leader).check_output('kill -9 %s' % main_pid(leader))
    killed = time.time()
    new_leader = None
    while time.time() - killed < 30 and not new_leader:
        new_leader = next((h for h in voters if srvr_mode(h) == 'leader'), None)
        time.sleep(0.1)
    elapsed = time.time() - killed
    print('\n=== new leader %s serving %.2f s after kill -9 of %s' % (new_leader, elapsed, leader))
    assert new_leader and elapsed < 3, (new_leader, elapsed)
    deadline = time.time() + 90
    while time.time() < deadline and srvr_mode(leader) != 'follower':
        time.sleep(1)
    assert srvr_mode(leader) == 'follower', 'systemd did not bring %s back' % leader
    status = run_step('killed', members, playbook=COLLECTION_PLAYBOOKS + '/status.yml')
    assert 'quorum, leader %s:2181' % new_leader in status, status[-3000:]
    assert_no_write_lost(members)


def test_11_limit_changes_and_restarts_only_the_limited_member(members):
    target = random.choice(sorted(members))
    others = [h for h in members if h != target]
    before = pids(members)
    cfg_before = dict((h, mtime(h, ZOO_CFG)) for h in others)
    CONFIG['zookeeper_extra_config'] = {'maxSessionTimeout': 53000}
    out = run_step('limited', members, group_vars=CONFIG, limit=target)
    assert set(recap(out)) == {target}, recap(out)
    assert 'maxSessionTimeout=53000' in host(target).file(ZOO_CFG).content_string
    assert main_pid(target) != before[target]
    for h in others:
        assert main_pid(h) == before[h], '%s is outside the limit but was restarted' % h
        assert mtime(h, ZOO_CFG) == cfg_before[h], '%s is outside the limit but was changed' % h
    assert_ensemble(members)


def container_ip(name):
    return subprocess.run(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
                           name], check=True, capture_output=True, text=True).stdout.strip()


def reachable(address, port=2181):
    try:
        socket.create_connection((address, port), 3).close()
        return True
    except OSError:
        return False


def test_12_restricted_clients_and_the_rolling_restart_playbook(members):
    assert all(reachable(container_ip(h)) for h in members), 'the client port should be open to all before'
    CONFIG['zookeeper_client_sources'] = [container_ip('mclient')]
    leader = leader_of(members)
    before = pids(members)
    since = time.time()
    run_step('restricted', members, group_vars=CONFIG, playbook=COLLECTION_PLAYBOOKS + '/rolling_restart.yml')
    starts = dict((h, started_at(h)) for h in members)
    assert all(main_pid(h) != before[h] and starts[h] > since for h in members), starts
    assert max(starts, key=starts.get) == leader, (starts, leader)
    # this machine is not a listed source; the client is, and the members reach each other
    assert not any(reachable(container_ip(h)) for h in members)
    # the superuser's digest reaches each JVM through its 0640 argfile, never its command line
    for h in members:
        assert 'superDigest' not in host(h).file('/proc/%s/cmdline' % main_pid(h)).content_string, h
        argfile = host(h).file('/etc/zookeeper/conf_zkops/java.args')
        assert 'superDigest' in argfile.content_string and argfile.mode == 0o640, h
    settled = assert_ensemble(members) and pids(members)
    out = run_step('restricted', members, group_vars=CONFIG)
    assert set(recap_changed(out).values()) == {0} and pids(members) == settled

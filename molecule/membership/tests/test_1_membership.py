"""Membership changes of a live ensemble, driven step by step through the role.

Standalone with data -> 3 -> 5 + 1 observer -> observer <-> participant -> a
refused majority removal -> 5 -> 3 (the leader among the removed) -> a dead
member replaced.  After each step: exactly one leader, the same
/zookeeper/config on every member, voters and observers as declared, members
that stayed kept their PID, no acknowledged write was lost, and a rerun
reports changed=0.  The longest write stall of each step is printed.

Which members leave (the current leader among them) and which one dies are
chosen at run time from the live ensemble, not fixed in advance.
"""
import random
import subprocess

from ensemble import STATE, host, main_pid, recap_changed, run_step, seed_count, srvr_mode, step


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
        exporter = host(h).service('zookeeper-metrics')    # a member that left is no longer watched
        assert not exporter.is_running and not exporter.is_enabled, h
        address = host(h).check_output("getent hosts %s | awk '{print $1}'" % h).strip() or h
        for other in members:
            rules = host(other).check_output('firewall-cmd --zone public --list-rich-rules')
            assert address not in rules, (other, h, address, rules)
    STATE['after_shrink'] = dict(members)


def test_6_a_dead_member_is_replaced_by_a_new_host_with_a_new_id():
    members = dict(STATE.get('after_shrink', {}))
    assert members, 'step 5 did not complete'
    voters = sorted(h for h, r in members.items() if r == 'participant')
    dead = random.choice(voters)
    subprocess.run(['docker', 'stop', dead], check=True, capture_output=True)
    del members[dead]
    members['zkg'] = 'participant'
    step('replace', members, stayed=[h for h in members if h != 'zkg'])
    assert seed_count('zkg') == 200
    STATE['final'] = members

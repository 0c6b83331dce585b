"""zk_host_info on this machine: what it reports must match the system, read here by other means (dpkg -s, the
passwd and group databases, the links), and whatever it cannot tell (systemd is not PID 1 here, no firewalld) must
come out as "not there", so the role runs the task instead of skipping it."""
import grp
import os
import pwd
import random
import subprocess
import tempfile

from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from module_process import run_module_process

INSTALLED = subprocess.run(['dpkg-query', '-W', '-f', '${Package}\n'], capture_output=True, text=True,
                           check=True).stdout.split()
USERS = [p.pw_name for p in pwd.getpwall()]
GROUPS = [g.gr_name for g in grp.getgrall()]
MADE_UP = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789', min_size=3, max_size=10).map(lambda s: 'zkops-no-' + s)


def dpkg_installed(name):
    proc = subprocess.run(['dpkg', '-s', name], capture_output=True, text=True, check=False)
    return 'Status: install ok installed' in proc.stdout


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(installed=st.lists(st.sampled_from(INSTALLED), max_size=5), made_up=st.lists(MADE_UP, max_size=3),
       user=st.one_of(st.sampled_from(USERS), MADE_UP), group=st.one_of(st.sampled_from(GROUPS), MADE_UP),
       seed=st.integers(0, 1000))
def test_packages_user_and_group_match_the_system(installed, made_up, user, group, seed):
    names = installed + made_up
    random.Random(seed).shuffle(names)
    result = run_module_process('zk_host_info', dict(packages=names, user=user, group=group))
    assert not result.get('failed'), result
    assert result['packages_missing'] == list(dict.fromkeys(n for n in names if not dpkg_installed(n)))
    if user in USERS:
        entry = pwd.getpwnam(user)
        assert result['user']['home'] == entry.pw_dir and result['user']['shell'] == entry.pw_shell
        assert result['user']['group'] == grp.getgrgid(entry.pw_gid).gr_name
    else:
        assert result['user'] is None
    assert result['group_exists'] == (group in GROUPS)


def test_alternatives_are_where_their_links_point():
    base = tempfile.mkdtemp(prefix='zkops-alt-')
    os.symlink('/etc/zookeeper/conf_zkops', os.path.join(base, 'zookeeper-conf'))
    result = run_module_process('zk_host_info', dict(alternatives=['zookeeper-conf', 'other'], alternatives_dir=base))
    assert result['alternatives'] == {'zookeeper-conf': '/etc/zookeeper/conf_zkops', 'other': None}


def test_without_systemd_nothing_counts_as_running_or_enabled_and_firewalld_is_not_read():
    # systemd is not PID 1 on this machine: systemctl cannot answer, so nothing may be skipped
    result = run_module_process('zk_host_info', dict(units=['ssh', 'zookeeper', 'ssh'], firewalld_zone='public'),
                                check=True)
    unknown = {'active': False, 'enabled': False, 'fragment_path': None, 'description': None,
               'mentions_zookeeper': False}
    assert result['units'] == {'ssh': unknown, 'zookeeper': unknown}
    assert result['firewalld'] == dict(running=False, enabled=False, runtime=None, permanent=None)
    assert result['check_mode'] is True and result['changed'] is False


def test_bad_input_is_named():
    for args, word in ((dict(user=' '), 'user'), (dict(packages=['zookeeper', '']), 'packages'),
                       (dict(alternatives=['../etc/passwd']), 'alternatives'), (dict(firewalld_zone=''), 'firewalld_zone')):
        result = run_module_process('zk_host_info', args)
        assert result.get('failed') and word in result['msg'], (args, result)

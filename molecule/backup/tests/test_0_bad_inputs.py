"""Bad role variables against the running ensemble: each run fails in preflight, naming the variable and the
value, and nothing changes on any member (PIDs, the role's files, the owner and mode of system directories, the
firewall, the units). Group-wide values, a bad value on one host only, and a bad value on one host together with
a valid change for every host. Every rule is unit-tested with generated values in
tests/unit/plugins/module_utils/test_zk_settings.py; this proves the role stops on them before touching a host."""
import concurrent.futures
import json
import os
import tempfile

import pytest
from drill import MEMBERS, SHARED, host, playbook

CONVERGE = os.path.join(SHARED, 'converge.yml')
STATE_CMD = ('systemctl show -p MainPID --value zookeeper; sha256sum /etc/zookeeper/conf_zkops/* 2>/dev/null; '
             'stat -c "%n %U %G %a" / /etc /var /var/lib /var/log /srv /opt /tmp /usr/local; '
             'firewall-cmd --list-all; firewall-cmd --permanent --list-all; ls -l --time-style=+%s /etc/systemd/system')

# (id, extra vars for every host, vars for one host only, words the message must hold)
CASES = [
    ('data-dir-root', {'zookeeper_data_dir': '/'}, None, ["zookeeper_data_dir='/'", 'system directory']),
    ('data-dir-etc', {'zookeeper_data_dir': '/etc/'}, None, ["zookeeper_data_dir='/etc/'"]),
    ('data-dir-var-lib', None, {'zookeeper_data_dir': '/var/lib'}, ["zookeeper_data_dir='/var/lib'"]),
    ('data-dir-relative', {'zookeeper_data_dir': 'zk/data'}, None, ['zookeeper_data_dir', 'absolute path']),
    ('data-dir-foreign', {'zookeeper_data_dir': '/usr/lib/python3'}, None, ['zookeeper_data_dir', 'neither']),
    ('conf-dir-usr-local', {'zookeeper_conf_dir': '/usr/local'}, None, ['zookeeper_conf_dir']),
    ('log-dir-var-log', {'zookeeper_log_dir': '/var/log'}, None, ['zookeeper_log_dir']),
    ('service-dbus', {'zookeeper_service_name': 'dbus'}, None, ["zookeeper_service_name='dbus'", 'not ZooKeeper']),
    ('service-suffix', {'zookeeper_service_name': 'zk.service'}, None, ['zookeeper_service_name']),
    ('user-root', {'zookeeper_user': 'root'}, None, ["zookeeper_user='root'"]),
    ('extra-server-line', {'zookeeper_extra_config': {'server.9': 'evil:2888:3888'}}, None, ['server.9']),
    ('extra-managed-key', {'zookeeper_extra_config': {'dataDir': '/tmp'}}, None, ['dataDir', 'set by the role']),
    ('extra-newline', {'zookeeper_extra_config': {'snapCount': '1\nserver.99=x:1:2'}}, None, ['single-line']),
    ('extra-typed', {'zookeeper_extra_config': {'snapCount': -5}}, None, ['snapCount']),
    ('tick-negative', {'zookeeper_tick_time': -5}, None, ['zookeeper_tick_time=-5']),
    ('init-limit-zero', {'zookeeper_init_limit': 0}, None, ['zookeeper_init_limit=0']),
    ('sync-limit-word', None, {'zookeeper_sync_limit': 'often'}, ['zookeeper_sync_limit', 'often']),
    ('heap-bytes', {'zookeeper_heap_size': 100}, None, ['zookeeper_heap_size=100']),
    ('max-cnxns-negative', {'zookeeper_max_client_connections': -1}, None, ['zookeeper_max_client_connections=-1']),
    ('firewall-source', None, {'zookeeper_firewall_source': '999.1.1.1'}, ["zookeeper_firewall_source='999.1.1.1'"]),
    ('client-sources', {'zookeeper_client_sources': ['10.0.0.0/33']}, None, ['zookeeper_client_sources']),
    ('address-space', None, {'zookeeper_address': 'bk 1'}, ["zookeeper_address='bk 1'"]),
    # zookeeper_id is set in the scenario's host_vars files, which an inventory cannot override: extra vars do.
    ('id-word', {'zookeeper_id': 'seven'}, None, ['zookeeper_id', 'seven']),
    ('id-float', {'zookeeper_id': 1.5}, None, ['zookeeper_id', '1.5']),
    ('role-unknown', None, {'zookeeper_role': 'leader'}, ['zookeeper_role', 'leader']),
    ('ports-clash', {'zookeeper_quorum_port': 2181}, None, ['zookeeper_client_port', 'zookeeper_quorum_port']),
    ('port-range', {'zookeeper_election_port': 70000}, None, ['zookeeper_election_port=70000']),
    ('whitelist-word', {'zookeeper_4lw_whitelist': ['status']}, None, ['zookeeper_4lw_whitelist']),
    ('jvm-flag', {'zookeeper_jvm_flags': ['Xmx1g']}, None, ['zookeeper_jvm_flags']),
    ('backup-keep', {'zookeeper_backup_keep': -2}, None, ['zookeeper_backup_keep=-2']),
    # A valid change for every host (a new heap, which would restart every member) with one bad host.
    ('valid-change-with-one-bad-host', {'zookeeper_heap_size': '112m'}, {'zookeeper_tick_time': 0},
     ['zookeeper_tick_time=0']),
]


def state():
    return dict((h, host(h).check_output(STATE_CMD)) for h in MEMBERS)


def _run(case):
    """One role run with the case's variables; returns (victim, output)."""
    case_id, group_vars, one_host, _words = case
    args = []
    work = tempfile.mkdtemp(prefix='drill-bad-vars-')
    if group_vars:
        path = os.path.join(work, 'vars.json')
        with open(path, 'w') as f:
            json.dump(group_vars, f)
        args += ['-e', '@' + path]
    victim = MEMBERS[len(case_id) % len(MEMBERS)]
    if one_host:
        path = os.path.join(work, 'host.json')
        with open(path, 'w') as f:
            json.dump({'all': {'hosts': {victim: one_host}}}, f)
        args += ['-i', path]
    return victim, playbook(CONVERGE, *args, expect_rc=None)


@pytest.fixture(scope='module')
def runs():
    """Every case's run, three at a time (each only reads before it stops), between two readings of the
    members' state; the runs do not depend on each other, and any change by any of them shows in the second."""
    before = state()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        outputs = dict(zip([c[0] for c in CASES], pool.map(_run, CASES)))
    return before, outputs, state()


def test_no_bad_run_changed_anything_on_any_member(runs):
    before, _outputs, after = runs
    assert after == before


@pytest.mark.parametrize('case_id, group_vars, one_host, words', CASES, ids=[c[0] for c in CASES])
def test_a_bad_variable_stops_the_run_before_anything_changes(runs, case_id, group_vars, one_host, words):
    victim, (rc, out) = runs[1][case_id]
    assert rc == 2, out[-4000:]
    failed = [line for line in out.splitlines() if line.startswith('fatal:') or line.startswith('failed:')]
    # Types and choices are stopped by the role's argument specs, the rest by preflight: both before any change.
    # The other members of the ensemble stop at the end of that preflight stage (apply/ensemble_whole.yml).
    tasks = set(out.split(line)[0].rsplit('TASK [', 1)[1].split(']')[0] for line in failed)
    assert failed and all('Preflight' in t or 'in preflight' in t or 'Validating arguments' in t for t in tasks), \
        (tasks, out[-4000:])
    for word in words:
        assert word in out, (word, out[-4000:])
    if one_host:
        assert 'Host %s:' % victim in out or 'fatal: [%s]' % victim in out, out[-3000:]
        # The other hosts stop too, before anything changed.
        assert 'failed before preflight' in out or 'Host %s:' % victim in out
    assert 'changed=1' not in out and 'changed=2' not in out

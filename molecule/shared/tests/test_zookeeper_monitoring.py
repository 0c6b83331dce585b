"""Monitoring, against a real Prometheus (Debian's package, in the scenario's prometheus group): it scrapes every
member's metrics port and loads the collection's alert rules. Runs where the scenario has a Prometheus (default);
named to run after test_zookeeper.py, as it stops members and finally turns metrics off."""
import json
import os
import re
import shlex
import subprocess
import sys
import time

import pytest
import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
PROMETHEUS = RUNNER.get_hosts('prometheus')
MEMBERS = RUNNER.get_hosts('zookeeper')
CLIENTS = RUNNER.get_hosts('clients')
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
CONVERGE = os.path.join(ROOT, 'molecule', 'shared', 'converge.yml')
# The scenario's Prometheus scrapes and evaluates every 5 s (its prepare.yml).
INTERVALS = 2 * (5 + 5)

pytestmark = pytest.mark.skipif(not PROMETHEUS, reason='no Prometheus in this scenario')

_QUERY = ("import sys, urllib.parse, urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9090/api/v1/query?'"
          " + urllib.parse.urlencode({'query': sys.argv[1]}), timeout=10).read().decode())")


def docker(name):
    return testinfra.get_host('docker://%s' % name)


def query(expr):
    out = docker(PROMETHEUS[0]).check_output('python3 -c %s %s' % (shlex.quote(_QUERY), shlex.quote(expr)))
    body = json.loads(out)
    assert body['status'] == 'success', body
    return body['data']['result']


def values(expr):
    """{instance host: value} of a query."""
    return dict((r['metric'].get('instance', '').split(':')[0], float(r['value'][1])) for r in query(expr))


def wait_for(check, timeout, interval=2):
    deadline, started = time.time() + timeout, time.time()
    while True:
        result = check()
        if result or time.time() > deadline:
            return result, time.time() - started
        time.sleep(interval)


def firing(alert, instance=None):
    selector = 'ALERTS{alertname="%s", alertstate="firing"%s}' % (
        alert, (', instance="%s:7000"' % instance) if instance else '')
    return query(selector)


def states():
    return dict((r['metric']['instance'].split(':')[0], r['metric']['state'])
                for r in query('zkops_server_state{job="zookeeper"}'))


def playbook(*args):
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY, CONVERGE] + list(args)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_PIPELINING='True')
    cfg = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'ansible.cfg')
    if os.path.exists(cfg):
        env['ANSIBLE_CONFIG'] = cfg
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    return dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', out, re.M))


def test_every_member_is_scraped_and_answers():
    ok, took = wait_for(lambda: len(values('up{job="zookeeper"} == 1')) == len(MEMBERS)
                        and len(values('zkops_up == 1')) == len(MEMBERS), 90)
    assert ok, (query('up'), query('zkops_up'))
    print('every target up after %.0f s' % took)


def test_the_series_of_the_readme_are_there_with_sane_values():
    everywhere = ['zkops_up', 'zkops_quorum', 'zkops_restart_owed', 'znode_count', 'watch_count', 'ephemerals_count',
                  'approximate_data_size', 'avg_latency', 'max_latency', 'min_latency', 'outstanding_requests',
                  'num_alive_connections', 'open_file_descriptor_count', 'max_file_descriptor_count',
                  'fsynctime_count', 'fsynctime_sum', 'election_time_count', 'zkops_server_state', 'zkops_server_info']
    for name in everywhere:
        assert set(values(name)) == set(MEMBERS), (name, query(name))
    assert set(values('zkops_up')) == set(MEMBERS) and set(values('zkops_up').values()) == {1.0}
    assert set(values('zkops_quorum').values()) == {1.0}
    assert set(values('zkops_restart_owed').values()) == {0.0}
    assert min(values('znode_count').values()) >= 5          # /zookeeper, /zookeeper/config, /zookeeper/quota...
    assert min(values('max_file_descriptor_count').values()) >= 1024
    assert all(0 < v <= 65536 for v in values('open_file_descriptor_count').values())
    mode = states()
    assert sorted(mode.values()) == ['follower', 'follower', 'leader', 'observer'], mode
    leader = next(h for h, s in mode.items() if s == 'leader')
    # Only on the leader: the followers and observers in sync. Everywhere: the voters.
    assert values('synced_followers') == {leader: 2.0}
    assert values('synced_observers') == {leader: 1.0}
    assert values('quorum_size') == dict((m, 3.0) for m in MEMBERS)
    versions = [r['metric']['version'] for r in query('zkops_server_info')]
    assert all(re.match(r'^3\.[0-9]+\.[0-9]+$', v) for v in versions), versions


def test_znode_count_grows_when_a_client_writes():
    before = max(values('znode_count').values())
    # kazoo is on the members (the role installs it for its modules).
    docker(MEMBERS[0]).check_output("python3 -c %s" % shlex.quote(
        "from kazoo.client import KazooClient; c = KazooClient(hosts='127.0.0.1:2181'); c.start(timeout=20)\n"
        "for i in range(12):\n    c.ensure_path('/zkops-monitoring/n%d' % i)\nc.stop()"))
    grown, took = wait_for(lambda: min(values('znode_count').values()) >= before + 13, 60)
    assert grown, (before, values('znode_count'))


def test_every_dashboard_panel_has_series():
    dashboard = json.load(open(os.path.join(ROOT, 'monitoring', 'zookeeper-dashboard.json')))
    skipped = []
    for panel in dashboard['panels']:
        if panel['description'].startswith('Only '):
            skipped.append(panel['title'])
            continue
        for target in panel['targets']:
            expr = target['expr'].replace('$job', 'zookeeper').replace('$instance', '.*') \
                .replace('$__rate_interval', '1m')
            assert query(expr), (panel['title'], expr)
    # Only these need what this scenario does not have: client TLS, a backup, the native provider.
    assert skipped == ['Certificate: days left', 'Hours since the last verified backup', 'Heap used']


def test_the_exporter_runs_sandboxed_without_secrets_on_its_command_line():
    for name in MEMBERS:
        member = docker(name)
        out = member.check_output('systemd-analyze security zookeeper-metrics.service 2>&1 | tail -1')
        exposure = float(re.search(r'exposure level for \S+: ([0-9.]+)', out).group(1))
        assert exposure < 4, out
        assert member.check_output('ps -o user= -C python3 | sort -u').split() == ['zookeeper']
        line = member.check_output('systemctl show -p ExecStart --value zookeeper-metrics.service')
        assert 'metrics.json' in line and '2181' not in line and 'pem' not in line, line
        assert member.file('/etc/zookeeper/conf_zkops/metrics.json').mode == 0o640


def test_the_metrics_port_is_closed_to_other_sources():
    code = ("import socket, sys\n"
            "try:\n    socket.create_connection((sys.argv[1], 7000), timeout=3); print('open')\n"
            "except OSError as e:\n    print('closed', e)")
    for name in MEMBERS:
        # By name (IPv4 first) and, where the member has one, by its zookeeper_address (an IPv6 literal).
        address = testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, INVENTORY)).ansible.get_variables() \
            .get('zookeeper_address', name)
        for target in sorted({name, address}):
            out = docker(CLIENTS[0]).check_output('python3 -c %s %s' % (shlex.quote(code), shlex.quote(target)))
            assert out.startswith('closed'), (target, out)


def test_alerts_follow_the_ensemble():
    mode = states()
    followers = sorted(h for h, s in mode.items() if s == 'follower')
    first, second = followers
    limit = 30 + INTERVALS + 10      # the alerts' "for" (30 s), two scrape-and-evaluation rounds, slack
    try:
        docker(first).check_output('systemctl stop zookeeper')
        down, took = wait_for(lambda: firing('ZooKeeperMemberDown', first), limit)
        assert down, query('ALERTS')
        print('member down fired %.0f s after the stop' % took)
        at_risk, took = wait_for(lambda: firing('ZooKeeperQuorumAtRisk'), limit)
        assert at_risk, query('ALERTS')
        assert not firing('ZooKeeperQuorumLost') and not firing('ZooKeeperNoLeader'), query('ALERTS')

        docker(second).check_output('systemctl stop zookeeper')
        lost, took = wait_for(lambda: firing('ZooKeeperQuorumLost'), limit)
        assert lost, query('ALERTS')
        print('quorum lost fired %.0f s after the second stop' % took)
    finally:
        for name in (first, second):
            docker(name).check_output('systemctl start zookeeper')
    watched = ('ZooKeeperMemberDown', 'ZooKeeperQuorumAtRisk', 'ZooKeeperQuorumLost', 'ZooKeeperNoLeader',
               'ZooKeeperMemberNotServing')
    resolved, took = wait_for(lambda: not any(firing(a) for a in watched), 180, interval=3)
    assert resolved, query('ALERTS')
    print('every alert resolved %.0f s after the start' % took)
    serving, took = wait_for(lambda: sorted(states().values()) == ['follower', 'follower', 'leader', 'observer'], 60)
    assert serving, states()


def test_metrics_turned_off_leave_nothing_behind():
    changed = playbook('-e', 'zookeeper_metrics=false')
    assert all(changed[m] > 0 for m in MEMBERS), changed
    for name in MEMBERS:
        member = docker(name)
        assert not member.file('/etc/systemd/system/zookeeper-metrics.service').exists
        assert not member.file('/usr/local/lib/zkops-metrics').exists
        assert not member.file('/etc/zookeeper/conf_zkops/metrics.json').exists
        assert 'metricsProvider' not in member.file('/etc/zookeeper/conf_zkops/zoo.cfg').content_string
        assert 'port="7000"' not in member.check_output('firewall-cmd --list-rich-rules; '
                                                        'firewall-cmd --permanent --list-rich-rules')
        assert member.run('systemctl is-active zookeeper-metrics.service').stdout.strip() != 'active'
        assert ':7000 ' not in member.check_output('ss -ltnH')
    again = playbook('-e', 'zookeeper_metrics=false')
    assert set(again.values()) == {0}, again

"""What every scenario proves on its real containers."""
import ipaddress
import re
import shlex

import pytest
from conftest import CLIENTS, MEMBERS, get_host, wait_until, zkcli

testinfra_hosts = MEMBERS


def test_service_active_enabled_running_as_zookeeper(host):
    svc = host.service('zookeeper')
    assert svc.is_running
    assert svc.is_enabled
    java = host.process.filter(comm='java')
    assert java, 'no java process'
    assert {p.user for p in java} == {'zookeeper'}


def test_unit_is_sandboxed_and_secrets_are_private(host):
    report = host.check_output('systemd-analyze security zookeeper.service | tail -1')
    exposure = float(re.search(r'zookeeper.service: ([0-9.]+)', report).group(1))
    assert exposure < 4.0, report
    pid = host.check_output('systemctl show -p MainPID --value zookeeper').strip()
    status = host.file('/proc/%s/status' % pid).content_string
    assert re.search(r'^CapEff:\s+0+$', status, re.M) and re.search(r'^NoNewPrivs:\s+1$', status, re.M), status
    for name in ('zoo.cfg', 'zookeeper.env', 'java.args'):
        conf = host.file('/etc/zookeeper/conf_zkops/' + name)
        assert conf.exists and conf.mode & 0o007 == 0, '%s is world-readable' % name
    assert 'superDigest' not in host.file('/proc/%s/cmdline' % pid).content_string


def test_myid_matches_inventory(host):
    zk_id = host.ansible.get_variables()['zookeeper_id']
    myid = host.file('/var/lib/zookeeper/myid')
    assert myid.content_string.strip() == str(zk_id)
    assert myid.user == 'zookeeper'
    data = host.file('/var/lib/zookeeper')
    assert data.user == 'zookeeper' and data.mode == 0o750


def test_zoo_cfg_and_dynamic_server_lines(host, members):
    cfg_file = host.file('/etc/zookeeper/conf_zkops/zoo.cfg')
    cfg = cfg_file.content_string
    assert 'dataDir=/var/lib/zookeeper' in cfg
    assert '/tmp' not in cfg
    assert '4lw.commands.whitelist=srvr,mntr,ruok' in cfg
    assert 'admin.enableServer=false' in cfg
    assert cfg_file.mode & 0o007 == 0, 'zoo.cfg must not be world-readable'
    if len(members) == 1:
        assert 'server.' not in cfg and 'dynamicConfigFile' not in cfg
        return
    # Quorum mode: the servers live in the dynamic file ZooKeeper keeps itself.
    assert 'reconfigEnabled=true' in cfg and 'standaloneEnabled=false' in cfg and 'server.' not in cfg
    dynamic = [line.split('=', 1)[1] for line in cfg.splitlines() if line.startswith('dynamicConfigFile=')]
    assert len(dynamic) == 1
    lines = host.file(dynamic[0]).content_string.splitlines()
    # ZooKeeper rewrites the file: an IPv6 address (in brackets) may come back written out in full.
    servers = set()
    for line in lines:
        m = re.match(r'^server\.(\d+)=(?:\[([0-9a-fA-F:.]+)\]|([^:\[]+)):2888:3888:(\w+);0\.0\.0\.0:2181$', line)
        if m:
            servers.add((int(m.group(1)), same(m.group(2) or m.group(3)), m.group(4)))
    for name, hv in members.items():
        role = 'observer' if hv.get('zookeeper_role') == 'observer' else 'participant'
        assert (hv['zookeeper_id'], same(hv.get('zookeeper_address', name)), role) in servers, lines


def same(address):
    """One spelling of an address: an IP literal as an ipaddress object, a name as it is."""
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return address


def test_zkserver_status_uses_role_config(host):
    out = host.run("bash -lc 'zkServer.sh status'")
    assert '/etc/zookeeper/conf_zkops/zoo.cfg' in out.stdout + out.stderr
    assert 'Mode: ' in out.stdout


@pytest.mark.parametrize('unused', [None])
def test_exactly_one_leader(unused, members, modes):
    # Runs once per member host, asserts on the whole ensemble.
    observers = sorted(n for n, hv in members.items() if hv.get('zookeeper_role') == 'observer')
    if len(members) == 1:
        assert list(modes.values()) == ['standalone']
        return
    assert sorted(modes.values()).count('leader') == 1, modes
    assert sorted(n for n, m in modes.items() if m == 'observer') == observers, modes
    assert sorted(modes.values()).count('follower') == len(members) - len(observers) - 1, modes


def test_znode_replicates_to_every_member(host, members, znode_path):
    writer = MEMBERS[0]
    created = zkcli(writer, 'create %s replicated-%s' % (znode_path, host.backend.get_hostname()))
    assert created.rc == 0, created.stderr
    try:
        for name in MEMBERS:
            got = wait_until(lambda n=name: 'replicated-' in zkcli(n, 'get %s' % znode_path).stdout, timeout=30)
            assert got, 'znode %s not readable through %s' % (znode_path, name)
    finally:
        zkcli(writer, 'delete %s' % znode_path)


def _connect(client, target, port):
    """Whether ``client`` reaches ``target`` (a member's name) on ``port``, at the member's zookeeper_address when it
    has one (an IPv6 literal in the default scenario), so that the firewall's rules of that family are tried."""
    target = get_host(target).ansible.get_variables().get('zookeeper_address', target)
    code = ("import socket, sys\ntry:\n    socket.create_connection((%r, %d), timeout=3).close()\nexcept OSError:\n"
            "    sys.exit(1)" % (target, port))
    return get_host(client).run('python3 -c %s' % shlex.quote(code)).rc == 0


@pytest.mark.skipif(not CLIENTS or len(MEMBERS) < 2, reason='needs a non-member client and an ensemble')
def test_firewall_client_port_open_quorum_ports_members_only(host, modes):
    if host.ansible.get_variables().get('zookeeper_firewall') != 'firewalld':
        pytest.skip('this scenario does not manage firewalld')
    me = host.backend.get_hostname()
    peer = next(n for n in MEMBERS if n != me)
    client = CLIENTS[0]
    assert _connect(client, me, 2181), 'client port must be reachable from a non-member'
    # The election port listens on every member; a peer gets through, a non-member does not.
    assert _connect(peer, me, 3888), 'election port must be reachable from members'
    assert not _connect(client, me, 3888), 'election port must be closed to non-members'
    if modes[me] == 'leader':
        assert _connect(peer, me, 2888)
        assert not _connect(client, me, 2888), 'quorum port must be closed to non-members'
    assert host.run('firewall-cmd --state').stdout.strip() == 'running'


def test_firewall_permanent_rules_are_the_runtime_rules(host):
    """A reboot or firewall-cmd --reload keeps what runs now: the role writes both, and repairs either one alone
    (the default scenario's side effect removes rules from one of them on random members first)."""
    if host.ansible.get_variables().get('zookeeper_firewall') != 'firewalld':
        pytest.skip('this scenario does not manage firewalld')
    for what in ('--list-ports', '--list-rich-rules'):
        runtime = set(host.check_output('firewall-cmd %s' % what).split('\n'))
        permanent = set(host.check_output('firewall-cmd --permanent %s' % what).split('\n'))
        assert runtime == permanent, what
    assert '2181/tcp' in host.check_output('firewall-cmd --list-ports').split()


def test_service_user_has_no_login_shell_and_lives_in_the_data_dir(host):
    entry = host.check_output('getent passwd zookeeper').split(':')
    assert entry[5] == host.ansible.get_variables().get('zookeeper_data_dir', '/var/lib/zookeeper')
    assert entry[6] == '/usr/sbin/nologin'

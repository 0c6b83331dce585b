"""Three instances on one host form an ensemble: one leader, two followers, replication."""
import os
import re
import sys
import time

import pytest
import testinfra.utils.ansible_runner

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'tests'))
from srvr_reader import field_in  # noqa: E402

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ['MOLECULE_INVENTORY_FILE']).get_hosts('zookeeper')

INSTANCES = {1: (2181, 2887, 3887), 2: (2182, 2888, 3888), 3: (2183, 2889, 3889)}


def mode(host, port):
    return field_in(host, 'Mode', port)


@pytest.mark.parametrize('zk_id', sorted(INSTANCES))
def test_instance_has_its_own_unit_dirs_and_myid(host, zk_id):
    client, quorum, election = INSTANCES[zk_id]
    svc = host.service('zookeeper-%d' % zk_id)
    assert svc.is_running and svc.is_enabled
    assert host.file('/var/lib/zookeeper/%d/myid' % zk_id).content_string.strip() == str(zk_id)
    cfg = host.file('/etc/zookeeper/conf_zkops/%d/zoo.cfg' % zk_id).content_string
    assert 'dataDir=/var/lib/zookeeper/%d\n' % zk_id in cfg
    dynamic = re.search(r'^dynamicConfigFile=(\S+)$', cfg, re.M).group(1)
    assert dynamic.startswith('/etc/zookeeper/conf_zkops/%d/zoo.cfg.dynamic' % zk_id)
    lines = host.file(dynamic).content_string.splitlines()
    for other, (c, q, e) in INSTANCES.items():
        assert 'server.%d=127.0.0.1:%d:%d:participant;0.0.0.0:%d' % (other, q, e, c) in lines


def test_one_leader_two_followers(host):
    modes = {}
    deadline = time.time() + 60
    while time.time() < deadline:
        modes = {zk_id: mode(host, ports[0]) for zk_id, ports in INSTANCES.items()}
        if sorted(modes.values(), key=str) == ['follower', 'follower', 'leader']:
            break
        time.sleep(2)
    assert sorted(modes.values(), key=str) == ['follower', 'follower', 'leader'], modes


def test_replication_between_instances(host):
    path = '/zkops-pseudo-%d' % int(time.time())
    cli = "bash -lc 'zkCli.sh -server 127.0.0.1:%d %s'"
    assert host.run(cli % (2181, 'create %s hello-pseudo' % path)).rc == 0
    try:
        for port in (2182, 2183):
            out = ''
            for dummy in range(10):
                out = host.run(cli % (port, 'get %s' % path)).stdout
                if 'hello-pseudo' in out:
                    break
                time.sleep(1)
            assert 'hello-pseudo' in out, (port, out)
    finally:
        host.run(cli % (2181, 'delete %s' % path))


def test_firewalld_opens_every_client_port(host):
    ports = host.run('firewall-cmd --zone=public --list-ports').stdout.split()
    for client, _q, _e in INSTANCES.values():
        assert '%d/tcp' % client in ports


def test_the_status_playbook_reads_every_instance_in_a_group_of_another_name(tmp_path):
    """zkops.zookeeper.status on a pseudo-cluster whose group is not called zookeeper."""
    import json
    import subprocess
    extra = tmp_path / 'group.json'
    extra.write_text(json.dumps({'all': {'children': {'pseudo_ensemble': {'hosts': {'zk-pseudo': {}}}}}}))
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
    run = subprocess.run(['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], '-i', str(extra),
                          os.path.join(root, 'playbooks', 'status.yml'), '-e', 'zookeeper_ensemble_group=pseudo_ensemble',
                          '-e', 'ansible_become=false'], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    # One row per instance (host, id, mode); the verdict names the leader by its client address.
    assert 'quorum, leader 127.0.0.1:218' in run.stdout, run.stdout[-3000:]
    assert run.stdout.count('follower') >= 2, run.stdout[-3000:]

"""zk_reconfig takes the plaintext client addresses out of a running ensemble, over TLS, on a
loopback ensemble with random ids: ZooKeeper refuses incremental server lines without a client
address, so the module sends the whole member list. The servers stop listening on the plaintext
port when they restart, and keep their data. Giving the addresses back is refused."""
import os
import random
import subprocess

import pytest
from kazoo.client import KazooClient

from ansible_runner import run_module
from tls_lab import make_lab
from zkdynamic import SUPER_PASSWORD, DynEnsemble

MOD = 'zkops.zookeeper.zk_reconfig'
SUPER = [{'credential': 'super:' + SUPER_PASSWORD}]


@pytest.fixture
def tls_ensemble(tmp_path):
    lab = make_lab(str(tmp_path / 'lab'))
    voters = random.sample(range(1, 256), 4)
    ens = DynEnsemble(voters[:3], tls=lab)
    ens.spare = voters[3]
    zk = KazooClient(ens.hosts())
    zk.start(20)
    for i in range(20):
        zk.create('/kept/n%d' % i, b'v', makepath=True)
    zk.stop()
    yield ens, lab
    ens.destroy()


def _tls_args(ens, lab, sid):
    return dict(hosts=ens.servers[sid].secure_address, use_tls=True, ca=lab['ca'], cert=lab['client_cert'],
                key=lab['client_key'], auth=SUPER, timeout=20)


def _listening(srv):
    """Whether this server's own process listens on its plaintext client port. Asked of the kernel by PID:
    with two pytest-xdist workers, another test's server may have taken the port number since."""
    out = subprocess.run(['ss', '-ltnpH', 'sport = :%d' % srv.client_port], capture_output=True, text=True,
                         check=True).stdout
    return ('pid=%d,' % srv.proc.pid) in out


def _restart_all(ens):
    for srv in ens.servers.values():
        srv.stop()
        srv.start()
        srv.wait()


def _children(ens, lab, sid):
    zk = KazooClient(ens.servers[sid].secure_address, use_ssl=True, ca=lab['ca'], certfile=lab['client_cert'],
                     keyfile=lab['client_key'])
    zk.start(20)
    try:
        return len(zk.get_children('/kept'))
    finally:
        zk.stop()


def test_plaintext_client_addresses_go_and_come_back(tls_ensemble):
    ens, lab = tls_ensemble
    ids = sorted(ens.servers)
    via = random.choice(ids)
    tls_only = [ens.servers[i].member(plaintext=False) for i in ids]
    assert all(_listening(ens.servers[i]) for i in ids)
    res = run_module(MOD, dict(_tls_args(ens, lab, via), members=tls_only))
    assert res['changed'] and not res.get('failed'), res
    assert all(';' not in line for line in res['config']), res['config']
    assert run_module(MOD, dict(_tls_args(ens, lab, via), members=tls_only))['changed'] is False
    _restart_all(ens)
    assert not any(_listening(ens.servers[i]) for i in ids)
    assert _children(ens, lab, random.choice(ids)) == 20

    # A joiner without a plaintext port is checked over TLS before it votes.
    ens.plaintext = False
    joiner = ens.add_joiner(ens.spare)
    members = tls_only + [joiner.member(plaintext=False)]
    res = run_module(MOD, dict(_tls_args(ens, lab, via), members=members))
    assert res['changed'] and sorted(res['voters']) == sorted(ids + [ens.spare]), res.get('msg')
    assert _children(ens, lab, ens.spare) == 20

    # Not back by reconfig: ZooKeeper would stop serving TLS until the members restart.
    plain = [ens.servers[i].member(plaintext=True) for i in sorted(ens.servers)]
    res = run_module(MOD, dict(_tls_args(ens, lab, via), members=plain))
    assert res.get('failed') and 'has no client address in the live configuration' in res['msg'], res
    assert not res['changed'] and all(';' not in line for line in ens.live_lines())
    assert _children(ens, lab, via) == 20


def test_a_joiner_without_a_port_to_read_is_refused(tls_ensemble):
    ens, lab = tls_ensemble
    ids = sorted(ens.servers)
    ens.plaintext = False
    joiner = ens.add_joiner(ens.spare)
    member = dict(joiner.member(plaintext=False), secure_client_port=0)
    res = run_module(MOD, dict(_tls_args(ens, lab, ids[0]), members=[ens.servers[i].member() for i in ids] + [member]))
    assert res.get('failed') and 'no client port' in res['msg'] and not res['changed'], res
    assert os.path.exists(joiner.cfg)

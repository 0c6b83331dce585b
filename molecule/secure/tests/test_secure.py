"""The secure scenario: a running plaintext ensemble is switched to client TLS, quorum TLS,
quorum SASL and client SASL users by the role, while a client writes, then every claim of the
switch is checked. Last, the plaintext client port is turned off (checks over TLS) and asking
for it back is refused.

The writer and the quorum watcher run on the docker host, against the containers' addresses.
"""
import json
import os
import random
import re
import ssl
import subprocess
import sys
import tempfile
import time

import pytest
import rollover
import testinfra
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', '.collections'))
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status  # noqa: E402

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
SHARED = os.path.join(HERE, '..', '..', 'shared')
MEMBERS = ['sec1', 'sec2', 'sec3', 'sec4']
VOTERS = MEMBERS[:3]
SUPER = 'molecule-secure-superuser'
QUORUM_PASSWORD = 'quorum-secret-"with\\quotes'
APP_PASSWORD = 'app-sasl-secret-"q\\'
WORK = tempfile.mkdtemp(prefix='zkops-secure-')
LAB = os.path.join(WORK, 'lab-ca')
CONF = '/etc/zookeeper/conf_zkops'
STATE = {}
RUNS = []


def host(name):
    return testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, INVENTORY))


def address(name):
    return subprocess.check_output(
        ['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name], text=True).strip()


def plain_hosts():
    return ','.join('%s:2181' % address(m) for m in MEMBERS)


def playbook_args(extra, host_vars=None, playbook=None, limit=None):
    """ansible-playbook's arguments: extra vars, and per-host variables (the rolled-in TLS material first) as a
    second inventory."""
    path = os.path.join(WORK, 'vars.json')
    with open(path, 'w') as f:
        json.dump(extra, f)
    inventories = ['-i', INVENTORY]
    per_host = dict((m, dict(STATE.get('tls_host_vars', {}).get(m, {}), **(host_vars or {}).get(m, {}))) for m in MEMBERS)
    if any(per_host.values()):
        more = os.path.join(WORK, 'host_vars_inventory.json')
        with open(more, 'w') as f:
            json.dump(dict(all=dict(hosts=per_host)), f)
        inventories += ['-i', more]
    return (['ansible-playbook'] + inventories + [playbook or os.path.join(SHARED, 'converge.yml'), '-e', '@' + path,
                                                  '-e', 'ansible_become=false'] + (['--limit', limit] if limit else []))


def converge(extra, host_vars=None, playbook=None, limit=None):
    """Run the role (or ``playbook``) with extra vars and per-host variables."""
    run = subprocess.run(playbook_args(extra, host_vars, playbook, limit), capture_output=True, text=True, check=False)
    log = os.path.join(WORK, 'run-%d.log' % len(RUNS))
    RUNS.append(log)
    with open(log, 'w') as f:
        f.write(run.stdout + run.stderr)
    print('ansible-playbook output: %s' % log, run.stdout[-3000:], run.stderr[-2000:])
    return run


def tls_dir():
    """Where the CA and member certificates the members use now are: the lab CA's, then the rolled-in CA's."""
    return STATE.get('tls_dir', LAB)


def changed(out):
    return dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^(\S+)\s+:.*?changed=(\d+)', out, re.M))


def zoo_cfg(name):
    text = host(name).check_output('cat %s/zoo.cfg' % CONF)
    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line and not line.startswith('#'))


def stages(name):
    """(sslQuorum, portUnification, serverRequireSasl) of a member's zoo.cfg."""
    cfg = zoo_cfg(name)
    return tuple(cfg.get(k) for k in ('sslQuorum', 'portUnification', 'quorum.auth.serverRequireSasl'))


SECURE = dict(zookeeper_client_tls=True, zookeeper_quorum_tls=True, zookeeper_quorum_sasl=True,
              zookeeper_quorum_sasl_password=QUORUM_PASSWORD, zookeeper_tls_lab_ca=True, zookeeper_tls_lab_ca_dir=LAB,
              zookeeper_client_sasl_users=dict(app=APP_PASSWORD))


@pytest.fixture(scope='module', autouse=True)
def switched():
    """Seed an ACL-protected node, start the writer and the quorum watcher, run the switch, stop them.
    ZKOPS_SECURE_SWITCHED=<lab CA dir> reruns the checks on an ensemble a previous run switched."""
    if os.environ.get('ZKOPS_SECURE_SWITCHED'):
        global LAB
        LAB = os.environ['ZKOPS_SECURE_SWITCHED']
        SECURE['zookeeper_tls_lab_ca_dir'] = LAB
        yield
        return
    zk = KazooClient(hosts=plain_hosts(), auth_data=[('digest', 'alice:alice-pw')])
    zk.start(30)
    if zk.exists('/secret'):
        zk.delete('/secret')
    zk.create('/secret', b'for alice only', acl=[make_digest_acl('alice', 'alice-pw', all=True)], makepath=True)
    zk.stop()
    stop = os.path.join(WORK, 'stop')
    ips = [address(m) for m in MEMBERS]
    writer = subprocess.Popen([sys.executable, os.path.join(SHARED, 'files', 'zk_writer.py'), plain_hosts(), stop,
                               os.path.join(WORK, 'writer.json'), '1800', os.path.join(WORK, 'acks.log')])
    watcher = subprocess.Popen([sys.executable, os.path.join(SHARED, 'files', 'quorum_watch.py'), ','.join(ips),
                                ips[3], stop, os.path.join(WORK, 'watch.json'), '1800'])
    time.sleep(5)
    # A follower chosen at run time refuses to start (a JVM flag it does not know): the switch
    # stops at its first restart. The next run, without the flag, finishes the switch.
    STATE['victim'] = [m for m in VOTERS if server_status(address(m), 2181, 3)['mode'] == 'follower'][0]
    STATE['interrupted'] = converge(dict(SECURE, zookeeper_service_timeout=40),
                                    host_vars={STATE['victim']: dict(zookeeper_jvm_flags=['-XX:+ZkopsNoSuchFlag'])})
    STATE['stages_after_interruption'] = dict((m, stages(m)) for m in MEMBERS)
    STATE['first'] = converge(SECURE)
    STATE['second'] = converge(SECURE)
    # Renewal, under the writer: every member's lab certificate is made to expire in 5 days; the next
    # run reissues them (zookeeper_tls_renew_days, 30) and the members present the new ones.
    STATE['presented_before'] = presented()
    STATE['pids_before_renewal'] = main_pids()
    for m in MEMBERS:
        _lab_certificate_expiring_in(m, days=5)
    STATE['renewal_window'] = [time.time()]
    STATE['renewed'] = converge(SECURE)
    STATE['renewal_window'].append(time.time())
    STATE['pids_after_renewal'] = main_pids()
    STATE['renewed_again'] = converge(SECURE)
    STATE['presented_after'] = presented()
    _roll_the_ca()
    _renew_with_a_rewritten_ca_file()
    time.sleep(3)
    open(stop, 'w').close()
    writer.wait(300)
    watcher.wait(60)
    with open(os.path.join(WORK, 'writer.json')) as f:
        STATE['writer'] = json.load(f)
    with open(os.path.join(WORK, 'watch.json')) as f:
        STATE['watch'] = json.load(f)
    yield


def _lab_certificate_expiring_in(name, days):
    """Replace ``name``'s lab certificate by one of the lab CA for the same key and names that expires in ``days``."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    with open(os.path.join(LAB, 'ca.crt'), 'rb') as f:
        ca = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(LAB, 'ca.key'), 'rb') as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    path = os.path.join(LAB, '%s.crt' % name)
    with open(path, 'rb') as f:
        old = x509.load_pem_x509_certificate(f.read())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(ca.subject).public_key(old.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=days)))
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    with open(path, 'wb') as f:
        f.write(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def _text(path):
    with open(path) as f:
        return f.read()


def _ca_count(name):
    return int(host(name).check_output('grep -c "BEGIN CERTIFICATE" %s/tls/ca.pem' % CONF).strip())


def _roll_the_ca():
    """CA rollover under the writer: the members move from the lab CA to a new one, given as ordinary TLS
    variables. The first run is killed as soon as one member has written stage 1 (it trusts both CAs); the
    next run is killed again at a task drawn at random, and the one after finishes the rollover from what the
    hosts hold. Three clients keep asking a member meanwhile:
    one with a certificate of the old CA that trusts both, one with a certificate of the new CA that trusts
    only the new, one with a certificate of the old CA that trusts only the old."""
    new_dir = os.path.join(WORK, 'rollover-ca')
    old, new = rollover.load_ca(LAB), rollover.new_ca(new_dir, 'zkops rollover CA %d' % random.randrange(10 ** 6))
    issued = dict((m, rollover.issue(new, new_dir, m, like=os.path.join(LAB, '%s.crt' % m))) for m in MEMBERS)
    old_client = rollover.issue(old, WORK, 'client-of-old-ca')
    new_client = rollover.issue(new, WORK, 'client-of-new-ca')
    old_ca, new_ca = os.path.join(LAB, 'ca.crt'), os.path.join(new_dir, 'ca.crt')
    clients = {'old cert, trusts both': rollover.context([old_ca, new_ca], old_client['cert'], old_client['key']),
               'new cert, trusts new': rollover.context([new_ca], new_client['cert'], new_client['key']),
               'old cert, trusts old': rollover.context([old_ca], old_client['cert'], old_client['key'])}
    STATE['probed'] = random.choice(MEMBERS)
    prober = rollover.Prober(server_status, address(STATE['probed']), clients)
    tls_vars = dict((m, dict(zookeeper_tls_lab_ca=False, zookeeper_tls_ca=_text(new_ca), zookeeper_tls_cert=_text(issued[m]['cert']),
                             zookeeper_tls_key=_text(issued[m]['key']))) for m in MEMBERS)
    STATE.update(issued=issued, pids_before_rollover=main_pids(), tls_host_vars=tls_vars)
    # A rollover that would leave members out (--limit) is refused by preflight, nothing written.
    files_before = _tls_files()
    STATE['limited'] = random.sample(MEMBERS, random.randint(1, len(MEMBERS) - 1))
    STATE['rollover_limited'] = converge(SECURE, limit=','.join(STATE['limited']))
    STATE['tls_files_after_limited'] = (files_before, _tls_files())
    prober.start()
    time.sleep(2)
    STATE['rollover_started_at'] = time.time()
    STATE['rollover_interrupted'] = rollover.run_until(
        playbook_args(SECURE), 'TLS rollover | The files of stage 1', os.path.join(WORK, 'rollover-interrupted.log'))
    STATE['cas_after_interruption'] = dict((m, _ca_count(m)) for m in MEMBERS)
    STATE['interrupted_at'] = time.time()
    # Killed once more, at a task drawn at random (a run that ends first is not killed): the next run finishes.
    STATE['second_kill_at'] = random.randint(5, 90)
    STATE['rollover_second_kill'] = rollover.run_until_task(
        playbook_args(SECURE), STATE['second_kill_at'], os.path.join(WORK, 'rollover-second-kill.log'))
    STATE['rollover'] = converge(SECURE)
    STATE['rollover_done_at'] = time.time()
    STATE['rollover_again'] = converge(SECURE)
    time.sleep(2)
    STATE['probes'] = prober.stop()
    STATE['tls_dir'] = new_dir
    STATE['pids_after_rollover'] = main_pids()
    STATE['presented_rolled'] = presented()
    STATE['cas_after_rollover'] = dict((m, _ca_count(m)) for m in MEMBERS)


def _renew_with_a_rewritten_ca_file():
    """Both TLS stores change in one write, under the writer: every member gets a new certificate of the CA it
    trusts, and the CA file's text changes (a comment above the same CA), so no rollover stage is planned.
    ZooKeeper's reload could then build a TLS context from half old, half new files
    (zk_ensemble_model.tls_file_restarts): the role restarts every member instead, one at a time."""
    ca_dir = STATE['tls_dir']
    ca = rollover.load_ca(ca_dir)
    issued = dict((m, rollover.issue(ca, ca_dir, m + '-again', like=STATE['issued'][m]['cert'])) for m in MEMBERS)
    ca_text = '# the rolled-in CA, exported again\n' + _text(os.path.join(ca_dir, 'ca.crt'))
    STATE['tls_host_vars'] = dict((m, dict(STATE['tls_host_vars'][m], zookeeper_tls_ca=ca_text, zookeeper_tls_cert=_text(issued[m]['cert']),
                                           zookeeper_tls_key=_text(issued[m]['key']))) for m in MEMBERS)
    STATE.update(issued_both=issued, pids_before_both=main_pids(), both_window=[time.time()])
    STATE['both'] = converge(SECURE)
    STATE['both_window'].append(time.time())
    STATE['pids_after_both'] = main_pids()
    STATE['both_again'] = converge(SECURE)
    STATE['presented_both'] = presented()


def _tls_files():
    """{member: sha256 of its key store and trust store}."""
    return dict((m, host(m).check_output('sha256sum %s/tls/keystore.pem %s/tls/ca.pem' % (CONF, CONF))) for m in MEMBERS)


def main_pids():
    return dict((m, host(m).check_output('systemctl show -p MainPID --value zookeeper').strip()) for m in MEMBERS)


def longest_write_stall(start, end):
    """The longest time between two acknowledged writes of the writer within [start, end], in seconds."""
    with open(os.path.join(WORK, 'acks.log')) as f:
        times = [float(line.split()[1]) for line in f if line.strip()]
    inside = [start] + [t for t in times if start <= t <= end] + [end]
    return max(b - a for a, b in zip(inside, inside[1:]))


def _reloads_tls():
    """(the members' ZooKeeper version, whether it reloads the client port's TLS files too: client.certReload, 3.8.1+)."""
    version = _tls_status(MEMBERS[0])['version']
    return version, tuple(int(p) for p in version.split('.')[:3]) >= (3, 8, 1)


def presented():
    """{member: (fingerprint on 2281, fingerprint on 3888)} of the certificates the members present."""
    found = {}
    for m in MEMBERS:
        peer = next(p for p in MEMBERS if p != m)
        quorum = re.search(r'sha256 ([0-9a-f]{64})', _probe(peer, m, 3888, 'tls').stdout)
        found[m] = ((_tls_status(m).get('certificate') or {}).get('sha256'), quorum and quorum.group(1))
    return found


def test_a_lab_certificate_near_expiry_is_renewed_under_the_writer_and_presented_on_every_port():
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    renewed, again = STATE['renewed'], STATE['renewed_again']
    assert renewed.returncode == 0, renewed.stdout[-3000:]
    before, after = STATE['presented_before'], STATE['presented_after']
    print('presented before:', before, 'after:', after)
    for m in MEMBERS:
        assert None not in before[m] and None not in after[m], (m, before[m], after[m])
        assert after[m][0] == after[m][1], m   # the same certificate on the client and the quorum port
        assert after[m][0] != before[m][0], m  # a new one
        # ... and it is the renewed file, valid for 825 days again.
        with open(os.path.join(LAB, '%s.crt' % m), 'rb') as f:
            renewed_file = x509.load_pem_x509_certificate(f.read())
        assert after[m][0] == renewed_file.fingerprint(hashes.SHA256()).hex(), m
        left = renewed_file.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
        assert 824 <= left.days <= 825, (m, left)
    # ZooKeeper 3.9 reloads the key and trust stores of the client port and the quorum (client.certReload,
    # sslQuorumReloadCertFiles): no member restarts. 3.8.0 reloads the quorum's only, so the client port
    # needs one rolling restart: one restart task per member (profile_tasks' summary may name the task
    # again; only TASK lines count).
    version, reloads = _reloads_tls()
    pids_before, pids_after = STATE['pids_before_renewal'], STATE['pids_after_renewal']
    stall = longest_write_stall(*STATE['renewal_window'])
    print('ZooKeeper %s renewal: %s; longest write stall %.2f s' % (
        version, 'reloaded, no restart' if reloads else 'one rolling restart', stall))
    for m in MEMBERS:
        restarts = len(re.findall(r'^TASK \[[^\]]*Rolling restart \| Restart %s\]' % m, renewed.stdout, re.M))
        if reloads:
            assert restarts == 0 and pids_after[m] == pids_before[m], (m, restarts, pids_before, pids_after)
        else:
            assert restarts == 1 and pids_after[m] != pids_before[m], (m, restarts, pids_before, pids_after)
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]


def test_a_new_ca_is_rolled_in_by_stages_under_the_writer_and_an_interrupted_rollover_is_finished():
    interrupted, done, again = STATE['rollover_interrupted'], STATE['rollover'], STATE['rollover_again']
    # First asked for with --limit: refused by preflight, naming the members left out; no TLS file changed.
    limited = STATE['rollover_limited']
    out = limited.stdout + limited.stderr   # Molecule's ansible.cfg sends failures to stderr
    left_out = sorted(set(MEMBERS) - set(STATE['limited']))
    named = re.search(r'a new CA is to be rolled in, but (.+?) (?:is|are) outside this run \(--limit\)', ' '.join(out.split()))
    assert limited.returncode != 0 and named, out[-3000:]
    assert sorted(named.group(1).split(', ')) == left_out, named.group(0)
    assert 'Security | A CA rollover reaches every member' not in out, 'refused after preflight'
    assert STATE['tls_files_after_limited'][0] == STATE['tls_files_after_limited'][1]
    # The first run stopped right after one member wrote stage 1: it trusts both CAs, the others the old only.
    cas = STATE['cas_after_interruption']
    print('CA certificates trusted after the interruption:', cas)
    assert 'TLS rollover | The files of stage 1' in interrupted, interrupted[-3000:]
    assert 1 <= list(cas.values()).count(2) < len(MEMBERS) and set(cas.values()) <= {1, 2}, cas
    second, killed = STATE['rollover_second_kill']
    print('killed again at task %d: %s' % (STATE['second_kill_at'], killed))
    assert killed or 'failed=0' in second, second[-3000:]
    assert done.returncode == 0, done.stdout[-3000:]
    assert 'TLS rollover | The files of stage 2' in second + done.stdout, done.stdout[-3000:]
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]
    # The end: every member trusts the new CA only and presents its new certificate on 2281 and 3888.
    assert set(STATE['cas_after_rollover'].values()) == {1}, STATE['cas_after_rollover']
    for m in MEMBERS:
        assert STATE['presented_rolled'][m] == (STATE['issued'][m]['sha256'],) * 2, (m, STATE['presented_rolled'][m])
    # 3.9 reloads every TLS file: no restart. 3.8.0 restarts the members for each stage (client port).
    version, reloads = _reloads_tls()
    before, after = STATE['pids_before_rollover'], STATE['pids_after_rollover']
    assert (before == after) is reloads, (version, before, after)
    print('ZooKeeper %s CA rollover: %s; longest write stall %.2f s' % (
        version, 'reloaded, no restart' if reloads else 'rolling restarts',
        longest_write_stall(STATE['rollover_started_at'], STATE['rollover_done_at'])))
    # What the clients saw on one member, probed every 0.25 s while the member served someone.
    probes = [found for _t, found in STATE['probes'] if any(found.values())]
    both, new, old = 'old cert, trusts both', 'new cert, trusts new', 'old cert, trusts old'
    print('probed %s: %d answers; first %s; last %s' % (STATE['probed'], len(probes), probes[0], probes[-1]))
    assert probes[0] == {both: True, new: False, old: True}, probes[0]
    assert probes[-1] == {both: False, new: True, old: False}, probes[-1]
    # Stage 2: a client of either CA is served at once (if it trusts the new CA).
    assert any(p[both] and p[new] for p in probes), probes
    # Once served, the new CA's client stays served; once refused, the old certificate stays refused.
    first_new = next(i for i, p in enumerate(probes) if p[new])
    assert all(p[new] for p in probes[first_new:]), probes[first_new:]
    last_both = max(i for i, p in enumerate(probes) if p[both])
    assert not any(p[both] for p in probes[last_both + 1:]) and last_both >= first_new
    # A client that trusts only the old CA refuses the servers as soon as they present the new certificate.
    assert not any(p[old] and p[new] for p in probes), probes
    for secret in (_text(STATE['issued'][m]['key']).splitlines()[1] for m in MEMBERS):
        assert secret not in interrupted and secret not in done.stdout + done.stderr


def test_a_write_that_changes_both_tls_stores_restarts_every_member_once_instead_of_reloading():
    both, again = STATE['both'], STATE['both_again']
    assert both.returncode == 0, both.stdout[-3000:]
    # No rollover stage (the owed round's task of that name is skipped): the ordinary write changed both stores.
    assert not re.search(r'TASK \[[^\]]*TLS rollover \| The files of stage [12]\]', both.stdout), both.stdout[-3000:]
    before, after = STATE['pids_before_both'], STATE['pids_after_both']
    print('both TLS stores in one write: %s restarted; longest write stall %.2f s' % (
        sorted(m for m in MEMBERS if after[m] != before[m]), longest_write_stall(*STATE['both_window'])))
    for m in MEMBERS:
        restarts = len(re.findall(r'^TASK \[[^\]]*Rolling restart \| Restart %s\]' % m, both.stdout, re.M))
        assert restarts == 1 and after[m] != before[m], (m, restarts, before, after)
        assert STATE['presented_both'][m] == (STATE['issued_both'][m]['sha256'],) * 2, (m, STATE['presented_both'][m])
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]


def test_the_switch_succeeds_and_a_rerun_changes_nothing():
    assert STATE['first'].returncode == 0
    assert STATE['second'].returncode == 0
    assert set(changed(STATE['second'].stdout).values()) == {0}, STATE['second'].stdout[-3000:]


def test_an_interrupted_switch_stops_everywhere_at_the_first_stage_and_the_next_run_finishes_it():
    out = STATE['interrupted'].stdout + STATE['interrupted'].stderr
    assert STATE['interrupted'].returncode != 0
    assert 'Rolling restart stopped: after restarting %s' % STATE['victim'] in out, out[-3000:]
    # Every member's zoo.cfg is at the first intermediate stage, none further.
    assert set(STATE['stages_after_interruption'].values()) == {('false', 'true', 'false')}, STATE
    resumed = STATE['first'].stdout
    assert 'quorum TLS stage 1, SASL stage 1' in resumed and 'quorum TLS stage 2, SASL stage 2' in resumed
    # Every member restarts once per stage; the victim may instead be started on stage 1 (when
    # systemd has not already brought it back once its JVM flag was gone). Counted in the task headers only: the
    # profile_tasks recap at the end names the slowest tasks again.
    for m in MEMBERS:
        expected = (2, 3) if m == STATE['victim'] else (3,)
        assert len(re.findall(r'^TASK \[[^\]]*Rolling restart \| Restart %s\]' % m, resumed, re.M)) in expected, m


def test_no_acknowledged_write_is_lost_and_the_quorum_held():
    writer = STATE['writer']
    print('writer:', {k: v for k, v in writer.items() if not isinstance(v, list)})
    assert writer['acked'] > 100 and writer['missing_count'] == 0
    watch = STATE['watch']
    windows = rollover.windows(watch.get('no_quorum') or [])
    print('no-quorum windows (s):', [round(w, 2) for w in windows], 'samples:', watch.get('samples'))
    # At most one leader election each time: never a stretch of seconds without a quorum.
    assert max(windows or [0]) < 5


@pytest.mark.parametrize('name', MEMBERS)
def test_every_member_runs_tls_only_and_requires_sasl(name):
    cfg = zoo_cfg(name)
    assert cfg.get('sslQuorum') == 'true' and cfg.get('portUnification') == 'false'
    assert cfg.get('quorum.auth.serverRequireSasl') == 'true' and cfg.get('quorum.auth.learnerRequireSasl') == 'true'
    assert cfg.get('secureClientPort') == '2281' and cfg.get('ssl.clientAuth') == 'need'
    h = host(name)
    for path in (CONF + '/tls/keystore.pem', CONF + '/jaas.conf'):
        f = h.file(path)
        assert (f.user, f.group, oct(f.mode)) == ('root', 'zookeeper', '0o640'), path
    # The running server has loaded that zoo.cfg (even the member the interrupted switch left down):
    # it started after zoo.cfg was last written, and no restart is owed.
    pid = h.check_output('systemctl show -p MainPID --value zookeeper').strip()
    now, running_for, written = h.check_output(
        'date +%%s; ps -o etimes= -p %s; stat -c %%Y %s/zoo.cfg' % (pid, CONF)).split()
    assert int(now) - int(running_for) >= int(written) - 1, (name, now, running_for, written)
    assert not h.file(CONF + '/zkops-restart-owed').exists


def _probe(name, target, port, tls):
    """From member ``name``, open ``target:port`` with TLS (its own certificate) or in plaintext."""
    script = (
        'import socket, ssl, sys\n'
        's = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)\n'
        'if sys.argv[3] == "tls":\n'
        '    c = ssl.create_default_context(cafile="%(conf)s/tls/ca.pem")\n'
        '    c.load_cert_chain("%(conf)s/tls/keystore.pem")\n'
        '    t = c.wrap_socket(s, server_hostname=sys.argv[1])\n'
        '    print("handshake", t.version())\n'
        '    import hashlib\n'
        '    print("sha256", hashlib.sha256(t.getpeercert(True)).hexdigest())\n'
        'else:\n'
        '    s.sendall(b"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfd" + b"\\x00" * 40)\n'
        '    try:\n'
        '        data = s.recv(64)\n'
        '    except OSError as e:\n'
        '        data = b""\n'
        '    print("plain", "refused" if data in (b"",) or data[:1] == b"\\x15" else "answered %%r" %% data[:16])\n'
    ) % dict(conf=CONF)
    return host(name).run("python3 -c '%s' %s %d %s" % (script.replace("'", "'\\''"), target, port, tls))


def _leader():
    for m in VOTERS:
        if server_status(address(m), 2181, 3)['mode'] == 'leader':
            return m
    raise AssertionError('no leader')


def test_quorum_ports_speak_tls_only():
    leader = _leader()
    peer = next(m for m in MEMBERS if m != leader)
    for port in (3888, 2888):
        tls = _probe(peer, leader, port, 'tls')
        assert 'handshake TLSv1.' in tls.stdout, (port, tls.stdout, tls.stderr)
        plain = _probe(peer, leader, port, 'plain')
        assert 'plain refused' in plain.stdout, (port, plain.stdout, plain.stderr)


def test_rogue_servers_without_the_password_or_a_certificate_never_join():
    _rogues_never_join(lambda: KazooClient(hosts=plain_hosts()), lambda m: server_status(address(m), 2181, 3))


def _rogues_never_join(client, status):
    """Three rogue servers on sec4 ask the ensemble to let them in: one with a certificate of the CA but the wrong
    quorum password, one with the password but no certificate, one with the password and a certificate of the CA
    that names another host (only the name check refuses it: ZooKeeper's trust manager, which 3.9's default FIPS
    mode turns off; zookeeper_tls_hostname_verification). ``client()`` is a KazooClient of the ensemble,
    ``status(member)`` a member's srvr answer."""
    zk = client()
    zk.start(30)
    live = '\n'.join(line for line in zk.get('/zookeeper/config')[0].decode().splitlines() if line.startswith('server.'))
    zk.stop()
    leader = next(m for m in VOTERS if status(m)['mode'] == 'leader')
    since = host(leader).check_output('date +%s')
    tls = rollover.tls_keys('%s/tls/keystore.pem' % CONF, '%s/tls/ca.pem' % CONF)
    password = QUORUM_PASSWORD.replace('\\', '\\\\').replace('"', '\\"')
    # A certificate of the ensemble's CA for another host (and the right password): only the name check refuses it.
    ca = rollover.load_ca(tls_dir())
    other = rollover.issue(ca, WORK, 'rogue-elsewhere', names=['rogue.invalid', '192.0.2.1'])
    with open(os.path.join(WORK, 'rogue-elsewhere.pem'), 'w') as f:
        f.write(_text(other['key']) + _text(other['cert']))
    elsewhere = rollover.tls_keys('/tmp/rogue-keys-203.pem', '%s/tls/ca.pem' % CONF)
    rogues = {
        # a valid certificate of the lab CA, but the wrong quorum password
        201: (12888, 13888, 12181, rollover.SASL_KEYS + tls, 'not-the-password'),
        # the right password, but no certificate: plaintext on TLS-only ports
        202: (22888, 23888, 22181, rollover.SASL_KEYS, password),
        # the right password and a certificate of the CA, but for another host than the one it connects from
        203: (32888, 33888, 32181, rollover.SASL_KEYS + elsewhere, password),
    }
    sec4 = host('sec4')
    try:
        for sid, (qp, ep, cp, extra, secret) in rogues.items():
            rollover.start_rogue('sec4', sec4, WORK, sid, (qp, ep, cp), extra, live, secret,
                                 files={'/tmp/rogue-keys-203.pem': os.path.join(WORK, 'rogue-elsewhere.pem')})
        time.sleep(30)
        for sid, (qp, ep, cp, extra, password) in rogues.items():
            status = server_status(address('sec4'), cp, 3)
            print('rogue %d: %s' % (sid, status))
            assert status['mode'] not in ('leader', 'follower', 'observer'), sid
            assert sec4.run('pgrep -f rogue-%d/zoo.cfg' % sid).rc == 0, 'rogue %d did not even run' % sid
        log = host(leader).check_output('journalctl -u zookeeper --since @%s --no-pager' % since.strip())
        # Rogue 201 (wrong password), rogue 202 (plaintext) and rogue 203 (another host's name), as ZooKeeper
        # words them.
        sasl = [line for line in log.splitlines() if 'Failed to authenticate using SASL' in line]
        blocked = [line for line in log.splitlines() if "Blocked insecure connection attempt" in line]
        named = [line for line in log.splitlines() if 'Failed to verify host address' in line]
        shown = ['leader log, SASL:'] + sasl[:5] + ['leader log, TLS:'] + blocked[:5] + ['leader log, names:'] + named[:5]
        print('\n'.join(shown))
        assert sasl and blocked and named
    finally:
        sec4.run('pkill -f /tmp/rogue-; rm -rf /tmp/rogue-*')
    # The ensemble never counted them.
    zk = client()
    zk.start(30)
    assert not re.search(r'server\.20[123]=', zk.get('/zookeeper/config')[0].decode())
    zk.stop()


def _tls_client(cert=True, port=2281):
    ca = os.path.join(tls_dir(), 'ca.crt')
    extra = dict(certfile=os.path.join(tls_dir(), 'sec1.crt'), keyfile=os.path.join(tls_dir(), 'sec1.key')) if cert else {}
    return KazooClient(hosts=','.join('%s:%d' % (address(m), port) for m in VOTERS), use_ssl=True, ca=ca,
                       verify_certs=True, **extra)


def test_a_tls_client_without_a_certificate_is_refused():
    zk = _tls_client(cert=False)
    with pytest.raises(Exception):
        zk.start(10)
    zk.stop()


def test_zk_znode_over_tls_with_a_certificate_of_the_ca_creates_and_reads():
    lab = tls_dir()
    args = ['hosts=%s:2281' % address('sec2'), 'use_tls=true', 'ca=%s/ca.crt' % lab, 'cert=%s/sec3.crt' % lab,
            'key=%s/sec3.key' % lab, 'path=/tls/written', 'value=over-tls', 'makepath=true']
    for expect in ('"changed": true', '"changed": false'):
        run = subprocess.run(['ansible', 'localhost', '-m', 'zkops.zookeeper.zk_znode', '-a', ' '.join(args)],
                             capture_output=True, text=True, check=False)
        print(run.stdout[-1500:])
        assert run.returncode == 0 and expect in run.stdout and '"value": "over-tls"' in run.stdout


def _zk_znode(args):
    run = subprocess.run(['ansible', 'localhost', '-m', 'zkops.zookeeper.zk_znode', '-a', json.dumps(args)],
                         capture_output=True, text=True, check=False)
    print(run.stdout[-1500:], run.stderr[-1500:])
    return run


def test_a_sasl_user_of_the_role_owns_a_node_over_tls_and_a_wrong_password_is_refused():
    lab = tls_dir()
    tls = dict(hosts='%s:2281' % address('sec3'), use_tls=True, ca='%s/ca.crt' % lab, cert='%s/sec1.crt' % lab,
               key='%s/sec1.key' % lab)
    args = dict(tls, sasl=dict(username='app', password=APP_PASSWORD), path='/sasl/owned', value='app',
                makepath=True, acl=[dict(scheme='world', perms='r'), dict(scheme='sasl', id='app', perms='all')])
    for expect in ('"changed": true', '"changed": false'):
        run = _zk_znode(args)
        assert run.returncode == 0 and expect in run.stdout and 'sasl:app:rwcda' in run.stdout
    wrong = _zk_znode(dict(args, sasl=dict(username='app', password='not-the-password'), value='intruder'))
    assert wrong.returncode != 0 and "refused the SASL login of sasl.username 'app'" in wrong.stdout + wrong.stderr
    anonymous = _zk_znode(dict(tls, path='/sasl/owned', value='anonymous'))
    assert anonymous.returncode != 0 and 'anonymous' not in _zk_znode(dict(tls, path='/sasl/owned')).stdout


def test_the_superuser_reads_and_deletes_what_only_another_user_may():
    from kazoo.exceptions import NoAuthError
    other = KazooClient(hosts=plain_hosts(), auth_data=[('digest', 'bob:bob-pw')])
    other.start(30)
    with pytest.raises(NoAuthError):
        other.get('/secret')
    other.stop()
    zk = KazooClient(hosts=plain_hosts(), auth_data=[('digest', 'super:%s' % SUPER)])
    zk.start(30)
    assert zk.get('/secret')[0] == b'for alice only'
    zk.delete('/secret')
    assert zk.exists('/secret') is None
    zk.stop()


def _tls_status(name):
    context = ssl.create_default_context(cafile=os.path.join(tls_dir(), 'ca.crt'))
    context.load_cert_chain(os.path.join(tls_dir(), 'sec2.crt'), os.path.join(tls_dir(), 'sec2.key'))
    return server_status(address(name), 2281, 5, context)


def test_the_plaintext_client_port_goes_off_with_the_checks_over_tls_and_the_data_kept():
    """Run after every check that uses the plaintext port: the role then serves TLS clients only."""
    zk = _tls_client()
    zk.start(30)
    before = len(zk.get_children('/upgrade'))
    zk.stop()
    STATE['plaintext_off'] = converge(dict(SECURE, zookeeper_client_plaintext=False))
    STATE['plaintext_off_again'] = converge(dict(SECURE, zookeeper_client_plaintext=False))
    STATE['status_tls_only'] = converge(dict(SECURE, zookeeper_client_plaintext=False),
                                        playbook=os.path.join(HERE, '..', '..', '..', 'playbooks', 'status.yml'))
    STATE['plaintext_back'] = converge(SECURE)
    off = STATE['plaintext_off']
    assert off.returncode == 0, off.stdout[-3000:]
    for m in MEMBERS:
        assert len(re.findall(r'Restart %s\b' % m, off.stdout)) >= 1, m
        probe = host(m).run('python3 -c "import socket; socket.create_connection((\'127.0.0.1\', 2181), 3)"')
        assert probe.rc != 0 and 'refused' in probe.stderr.lower(), (m, probe.stdout, probe.stderr)
    modes = sorted(_tls_status(m)['mode'] for m in MEMBERS)
    assert modes == ['follower', 'follower', 'leader', 'observer'], modes
    zk = _tls_client()
    zk.start(30)
    try:
        lines = [line for line in zk.get('/zookeeper/config')[0].decode().splitlines() if line.startswith('server.')]
        assert len(lines) == 4 and not any(';' in line for line in lines), lines
        assert len(zk.get_children('/upgrade')) == before
    finally:
        zk.stop()
    again = STATE['plaintext_off_again']
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]
    # The status playbook asks the TLS-only members over TLS, with a member's key store.
    status = STATE['status_tls_only']
    assert status.returncode == 0, status.stdout[-3000:]
    # The table has a row per member; the verdict names the leader by its TLS client address.
    assert 'quorum, leader ' in status.stdout and ':2281' in status.stdout, status.stdout[-3000:]
    assert all(m in status.stdout for m in MEMBERS), status.stdout[-3000:]
    # Each row says when the certificate that member presents on 2281 expires (the lab CA issues 825 days).
    for m in MEMBERS:
        expiry = re.search(r'\b%s\s+\d+\s.*(\d{4}-\d\d-\d\d) \((\d+) days\)' % m, status.stdout)
        assert expiry and 820 <= int(expiry.group(2)) <= 825, (m, status.stdout[-3000:])
    back = STATE['plaintext_back']
    out = back.stdout + back.stderr
    assert back.returncode != 0 and 'keep zookeeper_client_plaintext=false' in out, out[-3000:]
    assert set(changed(back.stdout).values()) == {0}, back.stdout[-3000:]


def _secrets():
    with open(os.path.join(LAB, 'sec1.key')) as f:
        key_line = f.read().splitlines()[1]
    return [SUPER, 'quorum-secret', 'app-sasl-secret', key_line]


@pytest.mark.parametrize('name', MEMBERS)
def test_no_secret_on_a_command_line_or_in_a_world_readable_file(name):
    h = host(name)
    commands = h.check_output('ps -eo args')
    found = h.run('find %s /var/lib/zookeeper -type f -perm -o=r -print0 | xargs -0 -r grep -l -F %s'
                  % (CONF, ' '.join("-e '%s'" % s for s in _secrets())))
    for secret in _secrets():
        assert secret not in commands
    assert found.stdout.strip() == '', found.stdout


def test_no_secret_in_the_ansible_output():
    runs = [STATE['interrupted'], STATE['first'], STATE['second']]
    for run in runs + [STATE[k] for k in ('plaintext_off', 'plaintext_off_again', 'plaintext_back') if k in STATE]:
        for secret in _secrets():
            assert secret not in run.stdout and secret not in run.stderr


def _tls_writer(stop, name):
    """The writer of zk_writer.py over TLS (the plaintext port is off by now), with a member certificate."""
    lab = tls_dir()
    env = dict(os.environ, ZK_WRITER_TLS=','.join(os.path.join(lab, f) for f in ('ca.crt', 'sec1.crt', 'sec1.key')))
    return subprocess.Popen([sys.executable, os.path.join(SHARED, 'files', 'zk_writer.py'),
                             ','.join('%s:2281' % address(m) for m in MEMBERS), stop, os.path.join(WORK, name + '.json'),
                             '900', os.path.join(WORK, name + '-acks.log')], env=env)


def _tls_context():
    lab = tls_dir()
    return rollover.context([os.path.join(lab, 'ca.crt')], os.path.join(lab, 'sec2.crt'), os.path.join(lab, 'sec2.key'))


def test_quorum_tls_and_sasl_walk_back_to_plaintext_under_a_writer():
    """Quorum TLS and SASL off again on the running (TLS-client-only) ensemble: the stages in reverse, one
    rolling restart each, the quorum kept, nothing lost."""
    stop = os.path.join(WORK, 'stop-walk-back')
    writer = _tls_writer(stop, 'walk-back-writer')
    watch = rollover.QuorumWatch(server_status, [address(m) for m in VOTERS], _tls_context())
    watch.start()
    time.sleep(5)
    plain_quorum = dict(SECURE, zookeeper_client_plaintext=False, zookeeper_quorum_tls=False, zookeeper_quorum_sasl=False)
    pids = main_pids()
    back = converge(plain_quorum)
    again = converge(plain_quorum)
    time.sleep(3)
    open(stop, 'w').close()
    writer.wait(300)
    gaps = rollover.windows(watch.stop())
    with open(os.path.join(WORK, 'walk-back-writer.json')) as f:
        summary = json.load(f)
    print('walk-back writer:', {k: v for k, v in summary.items() if not isinstance(v, list)},
          'no-quorum windows (s):', [round(w, 2) for w in gaps], 'samples:', watch.samples)
    assert back.returncode == 0, back.stdout[-3000:]
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]
    assert summary['acked'] > 50 and summary['missing_count'] == 0, summary
    assert max(gaps or [0]) < 5, gaps
    after = main_pids()
    for m in MEMBERS:
        assert stages(m) == (None, None, None), (m, zoo_cfg(m))
        assert after[m] != pids[m], m
        # The quorum port speaks plaintext again: a TLS handshake there fails.
        peer = next(p for p in MEMBERS if p != m)
        assert 'handshake' not in _probe(peer, m, 3888, 'tls').stdout, m
    assert sorted(_tls_status(m)['mode'] for m in MEMBERS) == ['follower', 'follower', 'leader', 'observer']


def test_a_fresh_ensemble_is_secure_from_its_first_run_and_started_once():
    """The members are wiped (no configuration, data or unit of ZooKeeper; the packages stay), then deployed
    with other ids and every security switch on, the plaintext client port off: nothing ever answers in
    plaintext, each member starts once, and the rerun changes nothing."""
    # Other ids, in a random order among the voters; the observer's is the highest, as quorum SASL requires
    # (preflight refuses an observer below a participant: zk_quorum_security.observer_sasl_problems).
    # (Below 200: the rogue servers take 201 and 202.)
    ids = sorted(random.sample(range(1, 200), len(MEMBERS)))
    ids = random.sample(ids[:-1], len(VOTERS)) + ids[-1:]
    # The scenario's host_vars files set zookeeper_id, which an inventory cannot override: an extra var does.
    fresh = dict(SECURE, zookeeper_client_plaintext=False,
                 zookeeper_id='{{ %r[inventory_hostname] }}' % dict(zip(MEMBERS, ids)))
    # From the lab CA again (the rolled-in CA was given as PEM variables): the lab CA's rollover comes next.
    STATE.pop('tls_host_vars', None)
    STATE.update(tls_dir=LAB, fresh_vars=fresh)
    for m in MEMBERS:
        host(m).run('systemctl stop zookeeper; systemctl disable zookeeper; rm -rf %s /var/lib/zookeeper '
                    '/etc/systemd/system/zookeeper.service; systemctl daemon-reload' % CONF)
    since = host(MEMBERS[0]).check_output('date -u "+%Y-%m-%d %H:%M:%S"').strip()
    plain = dict((m, 0) for m in MEMBERS)
    stopped = []

    def knock():   # the plaintext client port, on every member, all through the first run
        import socket
        while not stopped:
            for m in MEMBERS:
                try:
                    socket.create_connection((address(m), 2181), 0.5).close()
                    plain[m] += 1
                except OSError:
                    pass
            time.sleep(0.2)
    # The observer below a participant first: refused before anything is written.
    low = dict(fresh, zookeeper_id='{{ %r[inventory_hostname] }}' % dict(zip(MEMBERS, ids[-1:] + ids[:-1])))
    refused = converge(low)
    out = refused.stdout + refused.stderr   # Molecule's ansible.cfg sends failures to stderr
    assert refused.returncode != 0 and 'Give every observer a zookeeper_id above' in out, out[-3000:]
    assert all(not host(m).file(CONF).exists for m in MEMBERS)
    import threading
    knocker = threading.Thread(target=knock, daemon=True)
    knocker.start()
    first = converge(fresh)
    again = converge(fresh)
    stopped.append(True)
    knocker.join(10)
    print('fresh ids:', dict(zip(MEMBERS, ids)), 'plaintext answers:', plain)
    assert first.returncode == 0, first.stdout[-3000:]
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]
    assert set(plain.values()) == {0}, plain
    for m, i in zip(MEMBERS, ids):
        h = host(m)
        assert h.file('/var/lib/zookeeper/myid').content_string.strip() == str(i)
        assert stages(m) == ('true', 'false', 'true'), (m, zoo_cfg(m))
        starts = h.check_output('journalctl -u zookeeper --since "%s" -o cat | grep -c "^Started " || true' % since)
        assert int(starts.strip() or 0) == 1, (m, starts)
        assert h.check_output('systemctl show -p NRestarts --value zookeeper').strip() == '0', m
        peer = next(p for p in MEMBERS if p != m)
        assert 'plain refused' in _probe(peer, m, 3888, 'plain').stdout, m
    assert sorted(_tls_status(m)['mode'] for m in MEMBERS) == ['follower', 'follower', 'leader', 'observer']
    STATE['fresh'] = [first, again]
    # Its quorum ports refuse a peer without the SASL password and a peer without a certificate.
    _rogues_never_join(_tls_client, _tls_status)


def test_the_lab_ca_is_rolled_on_request_by_stages_and_the_rerun_changes_nothing():
    """zookeeper_tls_lab_ca_generation raised on the fresh ensemble: the role makes a new lab CA, member keys
    and certificates in generation-N/, and rolls them in by the stages of any new CA."""
    assert STATE.get('fresh'), 'runs after the fresh ensemble'
    generation = random.randint(2, 9)
    rolled = dict(STATE['fresh_vars'], zookeeper_tls_lab_ca_generation=generation)
    new_dir = os.path.join(LAB, 'generation-%d' % generation)
    old_ca = _text(os.path.join(LAB, 'ca.crt'))
    pids, presented_before = main_pids(), presented()
    run = converge(rolled)
    STATE['tls_dir'] = new_dir
    again = converge(rolled)
    print('lab CA generation %d; PIDs before %s, after %s' % (generation, pids, main_pids()))
    assert run.returncode == 0, run.stdout[-3000:]
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-3000:]
    for stage in (1, 2):
        assert 'TLS rollover | The files of stage %d' % stage in run.stdout, stage
    new_ca = _text(os.path.join(new_dir, 'ca.crt'))
    assert new_ca != old_ca and _text(os.path.join(LAB, 'ca.crt')) == old_ca   # generation 1 is kept
    after = presented()
    for m in MEMBERS:
        wanted = rollover.sha256(os.path.join(new_dir, '%s.crt' % m))
        assert after[m] == (wanted, wanted) != presented_before[m], (m, after[m], presented_before[m])
        assert host(m).file('%s/tls/ca.pem' % CONF).content_string.strip() == new_ca.strip(), m
    # 3.9 reloads every TLS file (no restart); 3.8.0 restarts for the client port.
    assert (main_pids() == pids) is _reloads_tls()[1], (pids, main_pids())
    assert sorted(_tls_status(m)['mode'] for m in MEMBERS) == ['follower', 'follower', 'leader', 'observer']

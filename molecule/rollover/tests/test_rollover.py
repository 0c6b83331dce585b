"""The rollover scenario: a new CA is rolled into a running TLS-only ensemble on ZooKeeper 3.8.0, whose client port
keeps the certificate it started with, while a TLS client writes. The play is killed (kill -9 of the whole
process group) at generated points, each run planned from what the last one left: right after a stage's files
are written and before its restarts, right after the first restart of a round, and at task boundaries drawn at
random. The next plain run finishes the rollover, and the rerun changes nothing.

The writer trusts both CAs and presents a certificate of the old CA until every member presents its new
certificate, then one of the new CA (kazoo reads its files at each connection)."""
import calendar
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import testinfra

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'secure', 'tests'))
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', '.collections'))
import rollover  # noqa: E402
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import server_status  # noqa: E402

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
SHARED = os.path.join(HERE, '..', '..', 'shared')
LAB = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'lab-ca')
MEMBERS = ['rol1', 'rol2', 'rol3', 'rol4']
CONF = '/etc/zookeeper/conf_zkops'
WORK = tempfile.mkdtemp(prefix='zkops-rollover-')
STATE = {}


def host(name):
    return testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, INVENTORY))


def address(name):
    return subprocess.check_output(
        ['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name], text=True).strip()


def _text(path):
    with open(path) as f:
        return f.read()


def playbook_args():
    """The role with every member's new TLS material as per-host variables (a second inventory)."""
    more = os.path.join(WORK, 'tls_inventory.json')
    with open(more, 'w') as f:
        json.dump(dict(all=dict(hosts=STATE['tls_vars'])), f)
    return ['ansible-playbook', '-i', INVENTORY, '-i', more, os.path.join(SHARED, 'converge.yml'),
            '-e', 'ansible_become=false']


def changed(out):
    return dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^(\S+)\s+:.*?changed=(\d+)', out, re.M))


def presents(ctx):
    """{member: sha256 of what it presents on 2281} for a client context, None where the handshake fails."""
    return dict((m, (server_status(address(m), 2281, 3, ctx).get('certificate') or {}).get('sha256')) for m in MEMBERS)


def test_an_interrupted_ca_rollover_is_finished_by_the_next_run_under_a_tls_writer():
    old = rollover.load_ca(LAB)
    new_dir = os.path.join(WORK, 'new-ca')
    new = rollover.new_ca(new_dir, 'zkops rollover CA %d' % random.randrange(10 ** 6))
    issued = dict((m, rollover.issue(new, new_dir, m, like=os.path.join(LAB, '%s.crt' % m))) for m in MEMBERS)
    old_ca, new_ca = os.path.join(LAB, 'ca.crt'), os.path.join(new_dir, 'ca.crt')
    STATE['tls_vars'] = dict((m, dict(zookeeper_tls_lab_ca=False, zookeeper_tls_ca=_text(new_ca),
                                      zookeeper_tls_cert=_text(issued[m]['cert']),
                                      zookeeper_tls_key=_text(issued[m]['key']))) for m in MEMBERS)
    # The writer's files: both CAs, a client certificate of the old CA (swapped for the new one below).
    old_client, new_client = rollover.issue(old, WORK, 'writer-old'), rollover.issue(new, WORK, 'writer-new')
    wca, wcert, wkey = [os.path.join(WORK, 'writer.' + x) for x in ('ca', 'crt', 'key')]
    with open(wca, 'w') as f:
        f.write(_text(old_ca) + _text(new_ca))
    shutil.copy(old_client['cert'], wcert)
    shutil.copy(old_client['key'], wkey)
    new_only = rollover.context([new_ca], new_client['cert'], new_client['key'])
    either = rollover.context([old_ca, new_ca], new_client['cert'], new_client['key'])
    stop = os.path.join(WORK, 'stop')
    hosts = ','.join('%s:2281' % address(m) for m in MEMBERS)
    writer = subprocess.Popen([sys.executable, os.path.join(SHARED, 'files', 'zk_writer.py'), hosts, stop,
                               os.path.join(WORK, 'writer.json'), '2400', os.path.join(WORK, 'acks.log')],
                              env=dict(os.environ, ZK_WRITER_TLS='%s,%s,%s' % (wca, wcert, wkey)))
    wanted = dict((m, issued[m]['sha256']) for m in MEMBERS)
    swapped = []

    def swap():   # once every member presents its new certificate, every one trusts the new CA
        while not swapped:
            if presents(rollover.context([old_ca, new_ca], old_client['cert'], old_client['key'])) == wanted:
                shutil.copy(new_client['key'], wkey + '.tmp')
                shutil.copy(new_client['cert'], wcert + '.tmp')
                os.rename(wkey + '.tmp', wkey)
                os.rename(wcert + '.tmp', wcert)
                swapped.append(time.time())
                return
            time.sleep(0.5)
    swapper = threading.Thread(target=swap, daemon=True)
    swapper.start()
    time.sleep(5)
    kills = []
    # 1. After a stage's files, before its restarts; 2. after the first restart of a round; then at random tasks.
    out = rollover.run_until(playbook_args(), 'TLS rollover | The files of stage 2', os.path.join(WORK, 'kill-1.log'))
    kills.append(('after the files of stage 2', 'TLS rollover | The files of stage 2' in out))
    out = rollover.run_until(playbook_args(), 'Rolling restart | Restart ', os.path.join(WORK, 'kill-2.log'))
    kills.append(('after the first restart of a round', 'Rolling restart | Restart ' in out))
    for i in range(3):
        count = random.randint(5, 90)
        out, killed = rollover.run_until_task(playbook_args(), count, os.path.join(WORK, 'kill-%d.log' % (i + 3)))
        kills.append(('at task %d' % count, killed))
        assert killed or 'failed=0' in out, out[-3000:]
    print('kills:', kills)
    done = subprocess.run(playbook_args(), capture_output=True, text=True, check=False)
    again = subprocess.run(playbook_args(), capture_output=True, text=True, check=False)
    for name, run in (('done', done), ('again', again)):
        with open(os.path.join(WORK, name + '.log'), 'w') as f:
            f.write(run.stdout + run.stderr)
    assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-2000:])
    assert again.returncode == 0 and set(changed(again.stdout).values()) == {0}, again.stdout[-4000:]
    swapper.join(60)
    time.sleep(3)
    open(stop, 'w').close()
    writer.wait(300)
    with open(os.path.join(WORK, 'writer.json')) as f:
        result = json.load(f)
    print('writer:', dict((k, v) for k, v in result.items() if not isinstance(v, list)), 'logs in', WORK)
    # Every kill point of the list was reached (a release that reloads its TLS files, 3.8.1 and later, restarts no
    # member in a rollover: there is no restart to kill after).
    version = server_status(address(MEMBERS[0]), 2281, 3, either)['version'] or ''
    reloads = tuple(int(p) for p in version.split('.')[:3]) >= (3, 8, 1)
    assert kills[0][1] and (kills[1][1] or reloads), (version, kills)
    assert result['acked'] > 100 and result['missing_count'] == 0, result
    # Every member presents its new certificate to a client that trusts only the new CA, and trusts only it.
    assert presents(new_only) == wanted
    for m in MEMBERS:
        trust = host(m).file('%s/tls/ca.pem' % CONF).content_string
        assert trust.strip() == _text(new_ca).strip(), (m, trust)
        assert not host(m).file('%s/zkops-restart-owed' % CONF).exists, m
    # A client of the old CA is refused everywhere: no server runs with the old trust store any more.
    old_cert = rollover.context([old_ca, new_ca], old_client['cert'], old_client['key'])
    assert set(server_status(address(m), 2281, 3, old_cert)['mode'] for m in MEMBERS) == {'unreachable'}
    modes = sorted(server_status(address(m), 2281, 3, either)['mode'] for m in MEMBERS)
    assert modes == ['follower', 'follower', 'leader', 'observer'], modes
    # Each member's metrics exporter reads it over TLS (there is no plaintext port) with the member's own key store,
    # as the role left them after the rollover: the member answers, and the certificate whose expiry it reports is
    # the new one the member presents.
    scrape = ("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:7000/metrics', timeout=10)"
              ".read().decode())")
    for m in MEMBERS:
        text = host(m).check_output('python3 -c "%s"' % scrape)
        series = dict(re.findall(r'^(zkops_[a-z_]+) ([0-9.e+]+)$', text, re.M))
        presented = server_status(address(m), 2281, 3, new_only)['certificate']['not_after']
        expires = calendar.timegm(time.strptime(presented, '%Y-%m-%dT%H:%M:%SZ'))
        assert series.get('zkops_up') == '1.0' and series.get('zkops_quorum') == '1.0', (m, series)
        assert float(series['zkops_certificate_not_after_seconds']) == expires, (m, series, presented)
        assert float(series['zkops_tls_warn_days']) == 30 and series['zkops_restart_owed'] == '0.0', (m, series)


def test_a_server_with_a_certificate_of_the_ca_for_another_host_is_never_served():
    """Quorum TLS without SASL: a rogue server beside rol4 with a certificate of the ensemble's CA (the rolled-in
    one) that names another host asks to join as an observer. The members' trust manager checks the name against
    the address it connects from, and refuses it; the ensemble never counts it."""
    assert STATE.get('tls_vars'), 'runs after the rollover'
    new_dir = os.path.join(WORK, 'new-ca')
    ca = rollover.load_ca(new_dir)
    other = rollover.issue(ca, WORK, 'rogue-elsewhere', names=['rogue.invalid', '192.0.2.1'])
    pem = os.path.join(WORK, 'rogue-elsewhere.pem')
    with open(pem, 'w') as f:
        f.write(_text(other['key']) + _text(other['cert']))
    client = rollover.issue(ca, WORK, 'config-reader')
    ctx = rollover.context([os.path.join(new_dir, 'ca.crt')], client['cert'], client['key'])
    from kazoo.client import KazooClient
    zk = KazooClient(hosts='%s:2281' % address('rol1'), use_ssl=True, ca=os.path.join(new_dir, 'ca.crt'),
                     certfile=client['cert'], keyfile=client['key'])
    zk.start(30)
    live = '\n'.join(line for line in zk.get('/zookeeper/config')[0].decode().splitlines() if line.startswith('server.'))
    zk.stop()
    voters = [m for m in MEMBERS if server_status(address(m), 2281, 3, ctx)['mode'] in ('leader', 'follower')]
    since = dict((m, host(m).check_output('date +%s').strip()) for m in voters)
    rol4 = host('rol4')
    try:
        rollover.start_rogue('rol4', rol4, WORK, 203, (32888, 33888, 32181),
                             rollover.tls_keys('/tmp/rogue-keys-203.pem', '%s/tls/ca.pem' % CONF), live,
                             files={'/tmp/rogue-keys-203.pem': pem})
        time.sleep(30)
        status = server_status(address('rol4'), 32181, 3)
        print('rogue 203:', status)
        assert rol4.run('pgrep -f rogue-203/zoo.cfg').rc == 0, 'the rogue did not even run'
        assert status['mode'] not in ('leader', 'follower', 'observer'), status
        named = [line for m in voters for line in host(m).check_output(
            'journalctl -u zookeeper --since @%s --no-pager' % since[m]).splitlines()
            if 'Failed to verify host address' in line]
        print('\n'.join(['voters\' logs:'] + named[:5]))
        assert named
    finally:
        rol4.run('pkill -f /tmp/rogue-; rm -rf /tmp/rogue-*')
    zk = KazooClient(hosts='%s:2281' % address('rol1'), use_ssl=True, ca=os.path.join(new_dir, 'ca.crt'),
                     certfile=client['cert'], keyfile=client['key'])
    zk.start(30)
    assert 'server.203=' not in zk.get('/zookeeper/config')[0].decode()
    zk.stop()

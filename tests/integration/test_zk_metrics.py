"""The role's metrics exporter (module_utils/zk_metrics.py) against a real ZooKeeper on loopback: scraped over HTTP
and read back with prometheus_client's own parser, the provider's series and the role's."""
import json
import os
import time
import urllib.request

from kazoo.client import KazooClient
from prometheus_client.parser import text_string_to_metric_families
from zkharness import free_ports

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_metrics import start


def scrape(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=10) as reply:
        text = reply.read().decode()
    families = dict((f.name, f) for f in text_string_to_metric_families(text))
    return families


def value(families, name, suffix=''):
    return [s.value for s in families[name].samples if s.name == name + suffix][0]


def test_a_member_is_scraped_over_http_and_its_znode_count_grows(standalone, prefix, tmp_path):
    port, listen = standalone.hosts.split(',')[0].rsplit(':', 1)[1], free_ports(1)[0]
    marker = tmp_path / 'last-backup'
    marker.write_text('')
    start(dict(host='127.0.0.1', port=int(port), timeout=3, conf_dir=str(tmp_path), backup_marker=str(marker),
               listen_address='127.0.0.1', listen_port=listen))
    before = scrape(listen)
    assert value(before, 'zkops_up') == 1 and value(before, 'zkops_quorum') == 1
    assert value(before, 'zkops_restart_owed') == 0
    assert [s.labels for s in before['zkops_server_state'].samples] == [dict(state='standalone')]
    assert before['znode_count'].type == 'gauge' and before['outstanding_requests'].type == 'gauge'
    zk = KazooClient(hosts=standalone.hosts)
    zk.start(10)
    try:
        for i in range(25):
            zk.create('%s/n%d' % (prefix, i), b'x', makepath=True)
    finally:
        zk.stop()
    after = scrape(listen)
    assert value(after, 'znode_count') >= value(before, 'znode_count') + 26
    # The provider's summaries: count and sum (fsync happened with the writes).
    summaries = [f for f in after.values() if f.type == 'summary']
    assert summaries and all(value(after, f.name, '_count') >= 0 for f in summaries)
    assert 'fsynctime' in after and value(after, 'fsynctime', '_count') > 0
    assert abs(value(after, 'zkops_last_backup_timestamp_seconds') - os.stat(str(marker)).st_mtime) < 1
    # Only the member's series: none of the exporter's own process.
    assert not [n for n in after if n.startswith(('process_', 'python_'))]
    (tmp_path / 'zkops-restart-owed').write_text('owed')
    assert value(scrape(listen), 'zkops_restart_owed') == 1


def test_a_member_that_is_down_is_up_0_and_the_exporter_keeps_answering(tmp_path):
    down, listen = free_ports(2)
    start(dict(host='127.0.0.1', port=down, timeout=1, conf_dir=str(tmp_path), listen_address='127.0.0.1',
               listen_port=listen))
    for dummy in range(3):
        families = scrape(listen)
        assert value(families, 'zkops_up') == 0 and value(families, 'zkops_quorum') == 0
        assert 'znode_count' not in families
        time.sleep(0.2)


def test_the_exporter_follows_its_configuration_file(tmp_path):
    """The program as the role installs it exits when the role writes a new configuration (atomically, a new
    file), so that systemd starts it again with it: a run killed before the restart leaves nothing stale."""
    import shutil
    import subprocess
    import sys
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
    for name in ('zk_metrics.py', 'zk_fourletter.py', 'zk_endpoint.py'):
        shutil.copy(os.path.join(root, 'plugins', 'module_utils', name), str(tmp_path))
    shutil.copy(os.path.join(root, 'roles', 'zookeeper', 'files', 'zkops_metrics_exporter.py'), str(tmp_path))
    config = tmp_path / 'metrics.json'
    config.write_text(json.dumps(dict(host='127.0.0.1', port=1, listen_address='127.0.0.1', listen_port=0)))
    proc = subprocess.Popen([sys.executable, str(tmp_path / 'zkops_metrics_exporter.py'), str(config)])
    try:
        time.sleep(7)
        assert proc.poll() is None, 'it stopped with its configuration unchanged'
        replacement = tmp_path / 'metrics.json.new'
        replacement.write_text(json.dumps(dict(host='127.0.0.1', port=2, listen_address='127.0.0.1', listen_port=0)))
        os.replace(str(replacement), str(config))
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

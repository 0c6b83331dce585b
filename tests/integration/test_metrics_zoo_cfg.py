"""The native provider's zoo.cfg lines, rendered from the role's own template by ansible-playbook (the template
lookup, with the collection's filters) and the role's defaults: written only on the native path, with the
instance's metrics port; never on the exporter path or with metrics off. (No jar can be had here, so no server
runs them; a zoo.cfg naming the provider without its jar does not start, which is why preflight refuses `native`
without it: test_role_preflight.py.)"""
import os

import json
import subprocess
import sys
import tempfile

import pytest
import yaml
from ansible_runner import ansible_env

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CLASS = 'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider'


def _defaults():
    with open(os.path.join(ROOT, 'roles', 'zookeeper', 'defaults', 'main.yml')) as f:
        return dict((k, v) for k, v in yaml.safe_load(f).items() if not (isinstance(v, str) and '{{' in v))


def zoo_cfg(provider, metrics_port=7000, jar=None):
    variables = _defaults()
    variables.update(
        __zookeeper_instance=dict(name='zk1', id=7, data_dir='/var/lib/zookeeper', data_log_dir='', client_port=2181,
                                  plaintext=True, metrics_port=metrics_port),
        __zookeeper_plan=dict(quorum_mode=False),
        __zookeeper_quorum_target=dict(tls=False, sasl=False),
        __zookeeper_tls_files=dict(keystore='/k.pem', truststore='/t.pem', dir='/tls'),
        __zookeeper_metrics=dict(provider=provider, jar=jar, decided=True, problem=None),
    )
    work = tempfile.mkdtemp(prefix='zkops-zoo-cfg-')
    template = os.path.join(ROOT, 'roles', 'zookeeper', 'templates', 'zoo.cfg.j2')
    play = [{'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'vars': variables,
             'tasks': [{'ansible.builtin.copy': {'content': "{{ lookup('ansible.builtin.template', '%s') }}" % template,
                                                 'dest': os.path.join(work, 'zoo.cfg'), 'mode': '0644'}}]}]
    with open(os.path.join(work, 'play.yml'), 'w') as f:
        json.dump(play, f)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                           os.path.join(work, 'play.yml')], env=ansible_env(), capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    with open(os.path.join(work, 'zoo.cfg')) as f:
        return f.read()


@pytest.mark.parametrize('port', [7000, 9404, 17001])
def test_the_native_path_writes_the_providers_four_lines(port):
    text = zoo_cfg('native', port, '/opt/zookeeper/lib/zookeeper-prometheus-metrics-3.9.6.jar')
    lines = [line for line in text.splitlines() if line.startswith('metricsProvider.')]
    assert lines == [CLASS, 'metricsProvider.httpHost=0.0.0.0', 'metricsProvider.httpPort=%d' % port,
                     'metricsProvider.exportJvmInfo=true'], text


@pytest.mark.parametrize('provider', ['exporter', 'none'])
def test_no_provider_line_on_the_exporter_path_or_with_metrics_off(provider):
    assert 'metricsProvider' not in zoo_cfg(provider)

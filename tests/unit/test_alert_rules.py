# -*- coding: utf-8 -*-
"""The shipped alert rules (monitoring/zookeeper-alerts.yml) against promtool, from Debian's prometheus package
(scripts/bootstrap.sh unpacks it into .cache/prometheus): the file loads, every alert has a case where it fires and
one where it does not (tests/monitoring/zookeeper-alerts.test.yml), and the cases pass."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
RULES = os.path.join(ROOT, 'monitoring', 'zookeeper-alerts.yml')
CASES = os.path.join(ROOT, 'tests', 'monitoring', 'zookeeper-alerts.test.yml')
PROMTOOL = os.path.join(ROOT, '.cache', 'prometheus', 'usr', 'bin', 'promtool')


def _alerts():
    return [r['alert'] for g in yaml.safe_load(open(RULES))['groups'] for r in g['rules'] if 'alert' in r]


def test_promtool_is_there():
    assert os.access(PROMTOOL, os.X_OK), 'run scripts/bootstrap.sh (make bootstrap): it unpacks promtool'


def test_the_rules_load_and_their_templates_parse():
    out = subprocess.run([PROMTOOL, 'check', 'rules', RULES], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'SUCCESS: %d rules found' % len(_alerts()) in out.stdout


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not():
    fires, quiet = set(), set()
    for test in yaml.safe_load(open(CASES))['tests']:
        for case in test.get('alert_rule_test', []):
            (fires if case.get('exp_alerts') else quiet).add(case['alertname'])
    alerts = set(_alerts())
    assert alerts - fires == set(), 'no case where these fire'
    assert alerts - quiet == set(), 'no case where these stay quiet'
    assert (fires | quiet) - alerts == set(), 'cases of alerts that are not in the file'


def test_the_cases_pass(tmp_path):
    # promtool compares annotations in full; they are left out here (their templates are checked above).
    rules = yaml.safe_load(open(RULES))
    for group in rules['groups']:
        for rule in group['rules']:
            rule.pop('annotations', None)
    with open(str(tmp_path / 'zookeeper-alerts.yml'), 'w') as f:
        yaml.safe_dump(rules, f)
    shutil.copy(CASES, str(tmp_path))
    out = subprocess.run([PROMTOOL, 'test', 'rules', str(tmp_path / os.path.basename(CASES))],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_broken_rule_fails_its_cases(tmp_path):
    """The cases can fail: with the quorum-at-risk threshold off by one, they do."""
    rules = yaml.safe_load(open(RULES))
    for group in rules['groups']:
        for rule in group['rules']:
            rule.pop('annotations', None)
            if rule.get('alert') == 'ZooKeeperQuorumAtRisk':
                rule['expr'] = rule['expr'].replace('<=', '<')
    with open(str(tmp_path / 'zookeeper-alerts.yml'), 'w') as f:
        yaml.safe_dump(rules, f)
    shutil.copy(CASES, str(tmp_path))
    out = subprocess.run([PROMTOOL, 'test', 'rules', str(tmp_path / os.path.basename(CASES))],
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and 'ZooKeeperQuorumAtRisk' in out.stdout + out.stderr

"""The shape of the role's task files (ARCHITECTURE.md): includes nest at most three deep, and no Jinja
expression in a task is longer than 150 characters (longer logic belongs in module_utils, with tests)."""
import os
import re

import pytest
import yaml

ROLE_TASKS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'zookeeper', 'tasks')


def _load(path):
    with open(os.path.join(ROLE_TASKS, path)) as f:
        return yaml.safe_load(f) or []


def _includes(path, depth=0):
    """The deepest chain of include/import_tasks under a task file, in files (main.yml is depth 0)."""
    tasks = _load(path)
    deepest = depth

    def walk(items):
        nonlocal deepest
        for t in items:
            for key in ('ansible.builtin.include_tasks', 'ansible.builtin.import_tasks'):
                if key in t:
                    target = t[key] if isinstance(t[key], str) else t[key]['file']
                    deepest = max(deepest, _includes(target, depth + 1))
            walk(t.get('block', []) + t.get('rescue', []) + t.get('always', []))
    walk(tasks)
    return deepest


@pytest.mark.parametrize('entry', ['main.yml', 'backup.yml', 'restore.yml', 'recover.yml'])
def test_includes_nest_at_most_three_levels(entry):
    assert _includes(entry) <= 3


def _task_files():
    for d, _dirs, files in os.walk(ROLE_TASKS):
        for name in sorted(files):
            if name.endswith('.yml'):
                yield os.path.relpath(os.path.join(d, name), ROLE_TASKS)


def _expressions(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _expressions(value)
    elif isinstance(node, str):
        for m in re.finditer(r'\{\{.*?\}\}|\{%.*?%\}', node, re.S):
            yield ' '.join(m.group(0).split())


@pytest.mark.parametrize('path', list(_task_files()))
def test_no_jinja_expression_in_a_task_is_longer_than_150_characters(path):
    long = [e for e in _expressions(_load(path)) if len(e) > 150]
    assert not long, long


ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
# An address joined to a port by hand: '%s:%d' in Python, ~ ':' ~ or }}:{{ in Jinja. Only zk_endpoint.endpoint
# writes host:port (an IPv6 literal in brackets).
_JOINED = re.compile(r"""['"]%s:%d['"]|['"]%s:%s['"]\s*%\s*\((?:[^)]*(?:host|addr|server))|~\s*['"]:['"]\s*~|\}\}:\{\{""")


def _code_files():
    for top in ('plugins', 'roles', 'playbooks'):
        for d, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(files):
                if name.endswith(('.py', '.yml', '.j2')) and name != 'zk_endpoint.py':
                    yield os.path.relpath(os.path.join(d, name), ROOT)


@pytest.mark.parametrize('path', list(_code_files()))
def test_no_address_is_joined_to_a_port_outside_the_endpoint_helper(path):
    with open(os.path.join(ROOT, path)) as f:
        found = [line.strip() for line in f if _JOINED.search(line)]
    assert not found, 'write host:port with zk_endpoint.endpoint (brackets for IPv6): %s' % found

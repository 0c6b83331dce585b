"""roles/*/meta/argument_specs.yml and defaults/main.yml describe the same variables, with the same defaults."""
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(os.listdir(os.path.join(ROOT, 'roles')))


def load(role, *path):
    with open(os.path.join(ROOT, 'roles', role, *path)) as f:
        return yaml.safe_load(f) or {}


@pytest.mark.parametrize('role', ROLES)
def test_defaults_and_specs_agree(role):
    defaults = load(role, 'defaults', 'main.yml')
    options = load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert sorted(set(defaults) - set(options)) == [], 'defaults without a spec'
    for name, spec in options.items():
        assert name.startswith('%s_' % role), 'public variables start with %s_: %s' % (role, name)
        assert spec.get('description'), '%s has no description' % name
        if name in defaults:
            assert 'default' in spec, '%s has a default in defaults/main.yml but not in the spec' % name
            assert spec['default'] == defaults[name], name
        else:
            assert 'default' not in spec, '%s documents a default that defaults/main.yml lacks' % name


@pytest.mark.parametrize('role', ROLES)
def test_internal_vars_are_underscored(role):
    for name in load(role, 'vars', 'main.yml'):
        assert name.startswith('_'), name

"""Argument validation of zk_znode, run in-process without a server."""
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.zkops.zookeeper.plugins.modules import zk_znode


class Failed(Exception):
    pass


def run(args, monkeypatch):
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args})))
    monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy', raising=False)

    def fail_json(self, **kwargs):
        raise Failed(kwargs['msg'])

    def exit_json(self, **kwargs):
        raise AssertionError('should have failed: %s' % kwargs)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    with pytest.raises(Failed) as e:
        zk_znode.main()
    return str(e.value)


@pytest.mark.parametrize('args, fragment', [
    (dict(hosts='zk:2181'), 'one of the following is required: path, znodes'),
    (dict(hosts='zk:2181', path='/a', znodes=[dict(path='/b')]), 'mutually exclusive'),
    (dict(hosts='zk:2181', path='/a', value='x', value_b64='eA=='), 'mutually exclusive'),
    (dict(hosts='zk:2181', znodes=[dict(path='/a', value='x', value_b64='eA==')]), 'mutually exclusive'),
    (dict(hosts='zk:2181', path='/a', state='gone'), 'state'),
    (dict(hosts='zk:2181', path='/', state='absent'), 'root'),
    (dict(hosts='zk:2181', znodes=[dict(path='/ok'), dict(path='bad')]), "znodes[1]"),
    (dict(hosts='zk:2181', path='/a', acl=[dict(scheme='world', perms='rz')]), "'rz'"),
])
def test_bad_arguments_fail_before_connecting(args, fragment, monkeypatch):
    assert fragment in run(args, monkeypatch)

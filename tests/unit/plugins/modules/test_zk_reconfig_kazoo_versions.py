"""zk_reconfig works with the kazoo versions the members have (Debian 13's lacks ReconfigDisabledError)."""
import importlib
import sys

import kazoo.exceptions


def test_missing_kazoo_exception_names_become_never_raised_classes(monkeypatch):
    monkeypatch.delattr(kazoo.exceptions, 'ReconfigDisabledError')
    name = 'ansible_collections.zkops.zookeeper.plugins.modules.zk_reconfig'
    sys.modules.pop(name, None)
    module = importlib.import_module(name)
    for attr in ('BadArgumentsError', 'BadVersionError', 'ConnectionLoss', 'NewConfigNoQuorumError', 'NoAuthError',
                 'ReconfigDisabledError', 'ReconfigInProcessError', 'SessionExpiredError', 'UnimplementedError'):
        assert issubclass(getattr(module, attr), BaseException), attr
    assert module.ReconfigDisabledError is module._NotInThisKazoo
    try:
        raise kazoo.exceptions.ConnectionLoss()
    except (module.ConnectionLoss, module.SessionExpiredError):
        pass
    msg = module.reconfig_error(kazoo.exceptions.NewConfigNoQuorumError(), ['server.4=a:1:2'], None)
    assert 'NewConfigNoQuorum' in msg
    sys.modules.pop(name, None)

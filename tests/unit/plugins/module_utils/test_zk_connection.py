import pytest

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_connection import (
    split_hosts,
    zk_client_kwargs,
    zk_common_argument_spec,
)


@pytest.mark.parametrize('hosts, expected', [
    ('zk1:2181,zk2:2182', [('zk1', 2181), ('zk2', 2182)]),
    ('zk1', [('zk1', 2181)]),
    ('10.0.0.1:2181/chroot/app', [('10.0.0.1', 2181)]),
    ('[::1]:2182,[fe80::1]', [('::1', 2182), ('fe80::1', 2181)]),
    (' zk1:2181 , zk2 ', [('zk1', 2181), ('zk2', 2181)]),
])
def test_split_hosts(hosts, expected):
    assert split_hosts(hosts) == expected


@pytest.mark.parametrize('hosts, fragment', [
    ('', 'empty'),
    ('zk1:2181,,zk2', 'empty entry'),
    ('zk1:abc', "'zk1:abc'"),
    ('zk1:70000', 'out of range'),
    (':2181', 'no host'),
])
def test_split_hosts_errors_name_the_entry(hosts, fragment):
    with pytest.raises(ValueError) as e:
        split_hosts(hosts)
    assert fragment in str(e.value)


def test_secrets_are_no_log():
    spec = zk_common_argument_spec()
    assert spec['auth']['options']['credential']['no_log'] is True


def test_client_kwargs_plain_and_tls():
    params = dict(hosts='zk1:2181', timeout=5.0, auth=[dict(scheme='digest', credential='u:p')],
                  use_tls=False, ca=None, cert=None, key=None, verify_certs=True)
    kwargs = zk_client_kwargs(params)
    assert kwargs == dict(hosts='zk1:2181', timeout=5.0, auth_data=[('digest', 'u:p')])
    params.update(use_tls=True, ca='/ca.pem', cert='/c.pem', key='/k.pem', verify_certs=False)
    kwargs = zk_client_kwargs(params)
    assert kwargs['use_ssl'] is True and kwargs['ca'] == '/ca.pem'
    assert kwargs['certfile'] == '/c.pem' and kwargs['keyfile'] == '/k.pem' and kwargs['verify_certs'] is False

import pytest
from kazoo.security import make_digest_acl_credential

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_znode_spec import (
    ZnodeSpecError,
    acl_to_strings,
    build_diff,
    desired_data,
    digest_id,
    normalize_acl,
    parent_paths,
    validate_path,
)


@pytest.mark.parametrize('path', ['/', '/a', '/a/b-c/d_e.f', '/zookeeperx', '/caf\u00e9/\u65e5\u672c'])
def test_valid_paths(path):
    assert validate_path(path) == path


@pytest.mark.parametrize('path', ['/zookeeper', '/zookeeper/quota'])
def test_the_system_tree_needs_an_explicit_opt_in(path):
    with pytest.raises(ZnodeSpecError) as e:
        validate_path(path)
    assert 'allow_system_tree' in str(e.value)
    assert validate_path(path, allow_system_tree=True) == path


@pytest.mark.parametrize('char', ['\x01', '\x1f', '\x7f', '\x9f', '\ud800', '\ue000', '\uf8ff', '\ufff0',
                                  '\uffff', '\U0001F600'])
def test_code_points_zookeeper_refuses(char):
    with pytest.raises(ZnodeSpecError) as e:
        validate_path('/a/b%sc' % char)
    assert 'U+' in str(e.value)


@pytest.mark.parametrize('path, fragment', [
    ('', 'empty'),
    ('a/b', 'not absolute'),
    ('/a/', 'trailing slash'),
    ('/a//b', 'empty component'),
    ('/a/./b', 'relative'),
    ('/a/../b', 'relative'),
])
def test_invalid_paths_name_the_path(path, fragment):
    with pytest.raises(ZnodeSpecError) as e:
        validate_path(path)
    assert fragment in str(e.value) and path in str(e.value)


def test_parent_paths():
    assert parent_paths('/a/b/c') == ['/a', '/a/b']
    assert parent_paths('/a') == []


def test_digest_matches_kazoo():
    assert digest_id('admin', 'secret') == make_digest_acl_credential('admin', 'secret')


def test_acl_normalisation_is_order_independent():
    a = normalize_acl([dict(scheme='world', perms='r'), dict(scheme='ip', id='10.0.0.0/8', perms='rwcda')], None, 'x')
    b = normalize_acl([dict(scheme='ip', id='10.0.0.0/8', perms='all'), dict(scheme='world', id='anyone', perms='r')], None, 'x')
    assert a == b
    assert acl_to_strings(a) == ['ip:10.0.0.0/8:rwcda', 'world:anyone:r']


def test_auth_expands_to_session_digests():
    acl = normalize_acl([dict(scheme='auth', perms='cdrwa')], [dict(scheme='digest', credential='u:p')], 'x')
    assert acl == [('digest', make_digest_acl_credential('u', 'p'), 31)]


def test_auth_expands_to_the_session_digests_and_its_sasl_user():
    sasl = dict(mechanism='DIGEST-MD5', username='app', password='pw')
    acl = normalize_acl([dict(scheme='auth', perms='all')], [dict(scheme='digest', credential='u:p')], 'x', sasl)
    assert acl == sorted([('digest', make_digest_acl_credential('u', 'p'), 31), ('sasl', 'app', 31)])
    assert normalize_acl([dict(scheme='auth', perms='r')], None, 'x', sasl) == [('sasl', 'app', 1)]
    assert acl_to_strings(normalize_acl([dict(scheme='sasl', id='app', perms='rw')], None, 'x')) == ['sasl:app:rw']


@pytest.mark.parametrize('entry, auth, fragment', [
    (dict(scheme='world', perms='rq'), None, "'rq'"),
    (dict(scheme='world', perms=''), None, 'empty'),
    (dict(scheme='digest', id='nohash', perms='r'), None, "'nohash'"),
    (dict(scheme='ip', perms='r'), None, 'needs an id'),
    (dict(scheme='auth', perms='r'), None, 'auth option'),
    (dict(scheme='sasl', perms='r'), None, 'the SASL user name'),
    (dict(scheme='kerberos', id='x', perms='r'), None, "'kerberos'"),
])
def test_acl_errors(entry, auth, fragment):
    with pytest.raises(ZnodeSpecError) as e:
        normalize_acl([entry], auth, "path '/x'")
    assert fragment in str(e.value) and "'/x'" in str(e.value)


def test_desired_data():
    assert desired_data('héllo', None, 'x') == 'héllo'.encode('utf-8')
    assert desired_data(None, 'AAH/', 'x') == b'\x00\x01\xff'
    assert desired_data(None, None, 'x') is None
    with pytest.raises(ZnodeSpecError) as e:
        desired_data(None, 'not base64!', 'znodes[3]')
    assert 'znodes[3]' in str(e.value)


def test_diff_create_update_delete_binary():
    acl = [('world', 'anyone', 31)]
    create = build_diff('/a', (False, None, None), (True, b'v', acl))
    assert create['before'] == {} and create['after'] == dict(path='/a', value='v', acl=['world:anyone:rwcda'])
    update = build_diff('/a', (True, b'old', acl), (True, b'new', acl))
    assert update['before']['value'] == 'old' and update['after']['value'] == 'new'
    assert update['before_header'] == '/a'
    delete = build_diff('/a', (True, b'v', acl), (False, None, None))
    assert delete['after'] == {}
    binary = build_diff('/b', (False, None, None), (True, b'\xff\x00', acl))
    assert binary['after']['value'] == 'base64:/wA='

"""Server lines, dynamic configs and zoo.cfg ownership (zk_config), with generated cases."""
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import (
    ConfigError,
    format_server,
    parse_dynamic,
    parse_properties,
    parse_server,
    render_dynamic,
    static_config,
    static_digest,
)

ports = st.integers(1, 65535)
addresses = st.one_of(
    st.from_regex(r'\A[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,2}\Z'),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)
servers = st.builds(
    dict, id=st.integers(1, 255), address=addresses, quorum_port=ports, election_port=ports,
    role=st.sampled_from(['participant', 'observer']),
    client_address=st.one_of(st.just('0.0.0.0'), st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str)),
    client_port=ports)


@given(servers)
def test_server_line_round_trip(server):
    key, value = format_server(server).split('=', 1)
    assert parse_server(key, value) == server


def test_zookeeper_forms():
    s = parse_server('server.7', 'zk7.example:2888:3888;2181')
    assert (s['role'], s['client_address'], s['client_port']) == ('participant', None, 2181)
    s = parse_server('server.9', '[fd00::9]:2888:3888:observer;[::]:2182')
    assert (s['address'], s['role'], s['client_address'], s['client_port']) == ('fd00::9', 'observer', '::', 2182)
    s = parse_server('server.3', 'zk3:2888:3888')
    assert s['client_port'] is None and format_server(s) == 'server.3=zk3:2888:3888:participant'


def test_bad_lines_name_the_server():
    for key, value in [('server.1', 'zk1:2888'), ('server.2', 'zk:2888:3888:voter'), ('server.3', 'zk:x:3888'),
                       ('server.4', 'zk:2888:70000'), ('server.x', 'zk:1:2')]:
        try:
            parse_server(key, value)
        except ConfigError as e:
            assert key.split('.')[1] in str(e) or 'server' in str(e)
        else:
            raise AssertionError('accepted %s=%s' % (key, value))


@given(st.lists(servers, unique_by=lambda s: s['id'], min_size=1, max_size=9))
def test_dynamic_round_trip(listed):
    text = render_dynamic(listed) + 'version=100000003\n'
    parsed = parse_dynamic(text)
    assert parsed['version'] == '100000003'
    assert sorted(parsed['servers'].values(), key=lambda s: s['id']) == sorted(listed, key=lambda s: s['id'])


props = st.dictionaries(st.from_regex(r'\A[a-zA-Z][a-zA-Z0-9.]{0,15}\Z').filter(lambda k: k != 'dynamicConfigFile'),
                        st.from_regex(r'\A[a-zA-Z0-9/._,-]{1,20}\Z'), min_size=1, max_size=12)


def render(d, comment='# managed by zkops\n'):
    return comment + ''.join('%s=%s\n' % kv for kv in d.items())


def on_disk(text):
    props = parse_properties(text)
    return static_digest(props), props.get('dynamicConfigFile')


@settings(max_examples=200)
@given(props, st.integers(1, 2 ** 40))
def test_zookeeper_rewrite_is_not_fought(desired, version):
    """ZooKeeper's rewrite (keys reordered, comments gone, new dynamic file) is left as it is."""
    first = static_config(render(desired), None, None, '/etc/zk/zoo.cfg.dynamic')
    assert first['write'] and parse_properties(first['content'])['dynamicConfigFile'] == '/etc/zk/zoo.cfg.dynamic'
    items = list(desired.items())
    random.Random(version).shuffle(items)
    rewritten = render(dict(items), comment='') + 'dynamicConfigFile=/etc/zk/zoo.cfg.dynamic.%x\n' % version
    assert static_config(render(desired), *on_disk(rewritten), dynamic_file='')['write'] is False


@given(props, props)
def test_a_real_change_is_written_and_keeps_zookeepers_pointer(old, new):
    current = render(old, comment='') + 'dynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000002\n'
    out = static_config(render(new), *on_disk(current), dynamic_file='')
    parsed = parse_properties(out['content'])
    assert parsed.pop('dynamicConfigFile') == '/etc/zk/zoo.cfg.dynamic.100000002'
    assert parsed == new
    assert out['write'] is (old != new)
    assert static_config(render(new), *on_disk(out['content']), dynamic_file='')['write'] is False


def test_reinitialising_points_back_at_the_role_file():
    current = 'a=1\ndynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000002\n'
    out = static_config('a=1\n', *on_disk(current), dynamic_file='/etc/zk/zoo.cfg.dynamic')
    assert out['write'] and out['content'].endswith('dynamicConfigFile=/etc/zk/zoo.cfg.dynamic\n')


def test_standalone_has_no_dynamic_file():
    out = static_config('dataDir=/var/lib/zookeeper\nclientPort=2181\n', None, None, None)
    assert out['write'] and 'dynamicConfigFile' not in out['content']

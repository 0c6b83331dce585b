"""The role's one validation pass (module_utils/zk_settings.py), rule by rule, over generated values: the
defaults and any valid values pass; one bad value among valid ones gives exactly one problem, naming the
variable and its value."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_settings import (
    platform_problems,
    MANAGED_KEYS, SYSTEM_DIRS, path_problems, settings_problems, unit_problems)

DEFAULTS = dict(
    zookeeper_id=7, zookeeper_role='participant', zookeeper_address='zk1.example.net', zookeeper_client_port=2181,
    zookeeper_quorum_port=2888, zookeeper_election_port=3888, zookeeper_secure_client_port=2281,
    zookeeper_admin_server_port=8080, zookeeper_admin_server_enabled=False, zookeeper_client_tls=False,
    zookeeper_tick_time=2000, zookeeper_init_limit=10, zookeeper_sync_limit=5, zookeeper_max_client_connections=60,
    zookeeper_autopurge_snap_retain_count=3, zookeeper_autopurge_purge_interval=24, zookeeper_limit_nofile=65536,
    zookeeper_service_timeout=180, zookeeper_heap_size='512m', zookeeper_data_dir='/var/lib/zookeeper',
    zookeeper_conf_dir='/etc/zookeeper/conf_zkops', zookeeper_log_dir='/var/log/zookeeper', zookeeper_data_log_dir='',
    zookeeper_install_root='/opt/zookeeper', zookeeper_backup_remote_dir='/var/backups/zookeeper',
    zookeeper_user='zookeeper', zookeeper_group='zookeeper', zookeeper_service_name='zookeeper',
    zookeeper_4lw_whitelist=['srvr', 'mntr', 'ruok'], zookeeper_jvm_flags=[], zookeeper_firewall='auto',
    zookeeper_install_method='package', zookeeper_client_tls_auth='need', zookeeper_client_sources=[],
    zookeeper_firewall_source='', zookeeper_extra_config={}, zookeeper_backup_keep=7, zookeeper_backup_prefix='zookeeper',
    zookeeper_backup_verify_heap='512m', zookeeper_client_port_address='', zookeeper_admin_server_address='127.0.0.1',
    zookeeper_quorum_sasl_user='zkquorum', zookeeper_backup_host='', zookeeper_systemd_read_write_paths=['/var/log/gc'],
    zookeeper_tls_warn_days=30, zookeeper_tls_renew_days=30, zookeeper_tls_lab_ca_generation=1,
)

VALID = {
    'zookeeper_id': st.one_of(st.integers(1, 255), st.integers(1, 255).map(str)),
    'zookeeper_tick_time': st.integers(1, 600000),
    'zookeeper_init_limit': st.integers(1, 1000),
    'zookeeper_sync_limit': st.integers(1, 1000).map(str),
    'zookeeper_max_client_connections': st.integers(0, 10 ** 6),
    'zookeeper_tls_lab_ca_generation': st.one_of(st.integers(1, 10 ** 4), st.integers(1, 99).map(str)),
    'zookeeper_heap_size': st.sampled_from(['32m', '64M', '1g', '2G', '131072k', str(64 << 20)]),
    'zookeeper_address': st.sampled_from(['zk1', 'zk-2.example.net', '10.1.2.3', 'fd00::5', 'a_b.local']),
    'zookeeper_data_dir': st.sampled_from(['/var/lib/zookeeper', '/srv/zk/data', '/data/zookeeper/', '/var/lib/zk2']),
    'zookeeper_client_sources': st.sampled_from([[], ['10.0.0.0/8'], ['192.168.1.5', 'fd00::/64']]),
    'zookeeper_extra_config': st.sampled_from([
        {}, {'snapCount': 50000}, {'minSessionTimeout': '4000', 'maxSessionTimeout': 40000},
        {'forceSync': 'yes', 'jute.maxbuffer': 4194304}]),
}

BAD = {
    'zookeeper_id': [0, 256, '1.5', 1.5, 'one', '', True],
    'zookeeper_role': ['leader', 'Participant', ''],
    'zookeeper_address': ['zk 1', '', 'a..b', '999.1.1.1', 'zk1\n'],
    'zookeeper_tick_time': [-5, 0, 'fast', 2.5],
    'zookeeper_init_limit': [0, -1],
    'zookeeper_sync_limit': [0, '0'],
    'zookeeper_max_client_connections': [-1, 'many'],
    'zookeeper_autopurge_snap_retain_count': [2, 0],
    'zookeeper_heap_size': [100, '100', '16m', '512x', 'big'],
    'zookeeper_client_port': [0, 65536, -1, 'x'],
    'zookeeper_quorum_port': [2181],
    'zookeeper_data_dir': sorted(SYSTEM_DIRS) + ['relative/dir', '/etc/', '/var/lib/../lib', '/with space'],
    'zookeeper_conf_dir': ['/etc', '/usr/local'],
    'zookeeper_log_dir': ['/var/log'],
    'zookeeper_user': ['root', 'Bad User', ''],
    'zookeeper_service_name': ['zookeeper.service', 'a b', ''],
    'zookeeper_firewall_source': ['999.1.1.1', 'host.example'],
    'zookeeper_client_sources': [['10.0.0.300'], 'any'],
    'zookeeper_4lw_whitelist': [['status'], 'srvr', ['ruok', 'mntr'], []],
    'zookeeper_systemd_read_write_paths': [['/var/log/gc', 'gc-logs'], '/var/log/gc', ['/a\nb']],
    'zookeeper_jvm_flags': [['Xmx1g'], ['-Dx=1\n-Dy=2']],
    'zookeeper_firewall': ['iptables'],
    'zookeeper_limit_nofile': [10],
    'zookeeper_backup_keep': [-1],
    'zookeeper_tls_warn_days': [-1, 'soon'],
    'zookeeper_tls_renew_days': [-1, 825, 'often'],
    'zookeeper_tls_lab_ca_generation': [0, -2, 'next', 1.5],
    'zookeeper_backup_prefix': ['a/b'],
    'zookeeper_backup_host': ['not-in-inventory'],
    'zookeeper_extra_config': [{'server.9': 'x:1:2'}, {'group.1': '1:2'}, {'weight.3': '1'}, {'dataDir': '/tmp'},
                               {'clientPort': 1}, {'snapCount': '1\nserver.99=evil:1:2'}, {'bad key': 1},
                               {'snapCount': -5}, {'forceSync': 'maybe'},
                               {'minSessionTimeout': 9000, 'maxSessionTimeout': 4000}, 'text'],
}


def test_the_defaults_pass():
    assert settings_problems(DEFAULTS, ['zk1']) == dict(problems=[], warnings=[])


@given(st.fixed_dictionaries(VALID))
def test_valid_values_pass(values):
    result = settings_problems(dict(DEFAULTS, **values), ['zk1'])
    assert result['problems'] == []


@pytest.mark.parametrize('name,value', [(n, v) for n, vs in sorted(BAD.items()) for v in vs])
def test_one_bad_value_is_one_problem_naming_it(name, value):
    problems = settings_problems(dict(DEFAULTS, **{name: value}), ['zk1'])['problems']
    assert len(problems) == 1, problems
    assert name in problems[0]
    if name == 'zookeeper_quorum_port':
        assert 'zookeeper_client_port' in problems[0]


def test_tls_and_admin_ports_join_the_distinct_check_only_when_on():
    values = dict(DEFAULTS, zookeeper_secure_client_port=2181, zookeeper_admin_server_port=2888)
    assert settings_problems(values)['problems'] == []
    values.update(zookeeper_client_tls=True, zookeeper_admin_server_enabled=True)
    problems = settings_problems(values)['problems']
    assert len(problems) == 2 and 'zookeeper_secure_client_port' in ' '.join(problems)


def test_every_managed_key_is_refused_and_unknown_keys_only_warn():
    for key in MANAGED_KEYS:
        assert settings_problems(dict(DEFAULTS, zookeeper_extra_config={key: '1'}))['problems']
    result = settings_problems(dict(DEFAULTS, zookeeper_extra_config={'someFutureKey': 'x', 'skipACL': 'yes'}))
    assert result['problems'] == [] and len(result['warnings']) == 2


def test_existing_directories_with_foreign_content_are_refused():
    values = dict(DEFAULTS, zookeeper_data_dir='/srv/zk', zookeeper_conf_dir='/etc/zk')
    found = {'/srv/zk': dict(exists=True, is_dir=True, entries=['myid', 'version-2', 'pre-restore-20261202T000000Z']),
             '/etc/zk': dict(exists=True, is_dir=True, entries=['zoo.cfg', 'zoo.cfg.dynamic.100000000', 'java.args']),
             '/var/log/zookeeper': dict(exists=True, is_dir=True, entries=['zookeeper.log', 'zookeeper.log.1']),
             '/opt/zookeeper': dict(exists=True, is_dir=True, entries=['apache-zookeeper-3.9.3-bin', 'current', 'dist'])}
    assert path_problems(values, found) == []
    found['/srv/zk']['entries'] = ['myid', 'postgresql', 'www']
    found['/etc/zk'] = dict(exists=True, is_dir=False, entries=[])
    problems = path_problems(values, found)
    assert len(problems) == 2 and 'postgresql' in problems[0] and 'zookeeper_data_dir' in problems[0]
    assert 'zookeeper_conf_dir' in problems[1] and 'not a directory' in problems[1]


def test_units_that_are_not_zookeepers_are_refused():
    assert unit_problems('zookeeper', dict(fragment_path=None)) == []
    assert unit_problems('zookeeper', dict(fragment_path='/etc/systemd/system/zookeeper.service',
                                           mentions_zookeeper=True)) == []
    assert unit_problems('dbus', dict(fragment_path='/lib/systemd/system/dbus.service', description='D-Bus',
                                      mentions_zookeeper=False))
    assert unit_problems('zookeeper', dict(fragment_path='/lib/systemd/system/zookeeper.service',
                                           mentions_zookeeper=True))
    assert unit_problems('web', dict(fragment_path='/etc/systemd/system/web.service', mentions_zookeeper=False))


DEBIAN = dict(os_family='Debian', distribution='Debian', distribution_version='12.7')


def test_platform_problems_name_the_family_and_the_install_method():
    assert platform_problems(dict(zookeeper_install_method='package', zookeeper_packages=['zookeeper']), DEBIAN,
                             ['Debian']) == []
    problems = platform_problems(dict(zookeeper_install_method='package', zookeeper_packages=[]),
                                 dict(DEBIAN, os_family='Gentoo', distribution='Gentoo'), ['Debian', 'RedHat'])
    assert problems == ["OS family 'Gentoo' (Gentoo 12.7) is not supported; supported families: Debian, RedHat.",
                        "zookeeper_install_method='package' is not available on Gentoo 12.7 (zookeeper_packages=[]); "
                        "use zookeeper_install_method=tarball."]


@pytest.mark.parametrize('values, fragment', [
    (dict(zookeeper_version='3.9'), "zookeeper_version='3.9' is not X.Y.Z."),
    (dict(zookeeper_tarball_checksum='md5:abc'), "zookeeper_tarball_checksum='md5:abc' is not sha512:"),
    (dict(zookeeper_tarball_checksum='sha512:' + 'a' * 127), 'is not sha512:'),
    (dict(zookeeper_tarball_src='/nonexistent/zk.tar.gz'), "zookeeper_tarball_src='/nonexistent/zk.tar.gz' is not a file"),
])
def test_tarball_settings_are_checked_only_for_a_tarball_install(values, fragment):
    tarball = dict(dict(zookeeper_install_method='tarball', zookeeper_version='3.9.3', zookeeper_packages=[]), **values)
    problems = platform_problems(tarball, DEBIAN, ['Debian'])
    assert len(problems) == 1 and fragment in problems[0], problems
    package = dict(tarball, zookeeper_install_method='package', zookeeper_packages=['zookeeper'])
    assert platform_problems(package, DEBIAN, ['Debian']) == []


def test_a_tarball_on_the_controller_needs_its_checksum_beside_it_or_given(tmp_path):
    src = tmp_path / 'apache-zookeeper-3.9.3-bin.tar.gz'
    src.write_bytes(b'x')
    values = dict(zookeeper_install_method='tarball', zookeeper_version='3.9.3', zookeeper_tarball_src=str(src))
    assert 'has no .sha512 file beside it' in platform_problems(values, DEBIAN, ['Debian'])[0]
    assert platform_problems(dict(values, zookeeper_tarball_checksum='sha512:' + 'a' * 128), DEBIAN, ['Debian']) == []
    (tmp_path / (src.name + '.sha512')).write_text('a' * 128)
    assert platform_problems(values, DEBIAN, ['Debian']) == []


def test_a_unit_named_like_the_exporter_that_is_not_the_roles_is_refused_and_never_touched():
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_settings import (
        exporter_unit_is_ours, exporter_unit_problems)
    ours = dict(fragment_path='/etc/systemd/system/zookeeper-metrics.service',
                description='Prometheus metrics of Apache ZooKeeper server 7 (zkops-metrics)')
    theirs = dict(fragment_path='/etc/systemd/system/zookeeper-metrics.service',
                  description='JMX exporter for ZooKeeper')
    packaged = dict(ours, fragment_path='/lib/systemd/system/zookeeper-metrics.service')
    assert exporter_unit_is_ours(None) and exporter_unit_is_ours(dict(fragment_path=None)) and exporter_unit_is_ours(ours)
    assert exporter_unit_problems('zookeeper', ours) == []
    for unit in (theirs, packaged):
        assert not exporter_unit_is_ours(unit)
        problem, = exporter_unit_problems('zookeeper', unit)
        assert 'zookeeper_metrics=true' in problem and unit['fragment_path'] in problem and unit['description'] in problem

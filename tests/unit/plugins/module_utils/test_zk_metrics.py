"""mntr as the Prometheus provider's series (zk_metrics.mntr_series): names, types and the role's own series, on
replies of 3.8 and 3.9 leaders and followers and on generated ones."""
from hypothesis import given, strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import parse_mntr
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_metrics import mntr_series, read_member

LEADER_38 = '''zk_version\t3.8.0-${mvngit.commit.id}, built on 2023-10-06 12:00 UTC
zk_server_state\tleader
zk_avg_latency\t0.1234
zk_max_latency\t12
zk_min_latency\t0
zk_packets_received\t420
zk_outstanding_requests\t0
zk_znode_count\t2045
zk_watch_count\t3
zk_ephemerals_count\t1
zk_approximate_data_size\t118271
zk_open_file_descriptor_count\t71
zk_max_file_descriptor_count\t1048576
zk_quorum_size\t3
zk_learners\t3
zk_synced_followers\t2
zk_synced_observers\t1
zk_pending_syncs\t0
zk_avg_fsynctime\t1.5
zk_min_fsynctime\t0
zk_max_fsynctime\t9
zk_cnt_fsynctime\t20
zk_sum_fsynctime\t30
zk_avg_election_time\t250.0
zk_min_election_time\t250
zk_max_election_time\t250
zk_cnt_election_time\t1
zk_sum_election_time\t250
zk_connection_rejected\t0
zk_unrecoverable_error_count\t0
'''


def _by_name(series):
    return dict((s[0], s) for s in series)


def test_a_leaders_reply_is_the_providers_series():
    found = _by_name(mntr_series(parse_mntr(LEADER_38)))
    for gauge in ('znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size', 'outstanding_requests',
                  'open_file_descriptor_count', 'max_file_descriptor_count', 'quorum_size', 'learners',
                  'synced_followers', 'synced_observers', 'pending_syncs', 'avg_latency', 'max_latency',
                  'connection_rejected', 'unrecoverable_error_count'):
        assert found[gauge][1] == 'gauge', gauge
    assert found['znode_count'][2] == 2045 and found['avg_latency'][2] == 0.1234
    assert found['fsynctime'] == ('fsynctime', 'summary', (20, 30), {})
    assert found['election_time'][2] == (1, 250)
    assert not [n for n in found if n.startswith(('avg_fsync', 'cnt_', 'sum_', 'min_election'))]
    assert found['zkops_server_state'] == ('zkops_server_state', 'info', 1, dict(state='leader'))
    assert found['zkops_server_info'][3] == dict(version='3.8.0')
    assert 'followers' not in found and 'version' not in found and 'server_state' not in found


_KEYS = st.from_regex(r'\A[a-z][a-z0-9_]{0,20}\Z').filter(lambda k: not k.startswith(('avg_', 'min_', 'max_', 'cnt_',
                                                                                      'sum_')))


@given(st.dictionaries(_KEYS, st.one_of(st.integers(-10 ** 9, 10 ** 12), st.floats(allow_nan=False, allow_infinity=False),
                                        st.text(alphabet='abc xyz-,.', max_size=12)), max_size=15),
       st.lists(_KEYS, max_size=4))
def test_every_numeric_key_is_one_series_and_summaries_take_their_five_keys(gauges, summaries):
    fields = dict(('zk_' + k, str(v)) for k, v in gauges.items())
    summaries = [n for n in summaries if n not in gauges]   # mntr has no gauge of a summary's name
    for name in summaries:
        for part, value in (('avg', 2.0), ('min', 1), ('max', 3), ('cnt', 4), ('sum', 8)):
            fields['zk_%s_%s' % (part, name)] = str(value)
    series = mntr_series(fields)
    names = [s[0] for s in series]
    assert len(names) == len(set(names)), names
    for name in summaries:
        assert (name, 'summary', (4.0, 8.0), {}) in series
    taken = set('zk_%s_%s' % (p, n) for n in summaries for p in ('avg', 'min', 'max', 'cnt', 'sum'))
    for key, value in fields.items():
        if key in taken or key in ('zk_server_state', 'zk_version'):
            continue
        try:
            number = float(value)
        except ValueError:
            assert key[3:] not in names
        else:
            assert (key[3:], 'gauge', number, {}) in series


def test_a_member_that_does_not_answer_is_up_0_and_the_role_series_stay(tmp_path):
    (tmp_path / 'zkops-restart-owed').write_text('owed')
    marker = tmp_path / 'last-backup'
    marker.write_text('')
    found = _by_name(read_member(dict(host='127.0.0.1', port=1, timeout=0.5, conf_dir=str(tmp_path),
                                      backup_marker=str(marker))))
    assert found['zkops_up'][2] == 0 and found['zkops_quorum'][2] == 0 and found['zkops_restart_owed'][2] == 1
    assert abs(found['zkops_last_backup_timestamp_seconds'][2] - marker.stat().st_mtime) < 1
    assert 'znode_count' not in found and 'zkops_certificate_not_after_seconds' not in found


# --- Which metrics path a host takes (choose_provider) ---

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_metrics import choose_provider, provider_jar  # noqa: E402

LIB = '/opt/zookeeper/apache-zookeeper-3.9.6-bin/lib'
JAR = 'zookeeper-prometheus-metrics-3.9.6.jar'
DEBIAN = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-log4j12.jar']


@given(st.lists(st.from_regex(r'\A[a-z][a-z0-9.-]{0,20}\.jar\Z'), max_size=30), st.booleans(),
       st.sampled_from(['auto', 'native', 'exporter']), st.booleans())
def test_the_path_follows_the_jar_on_the_classpath(others, with_jar, requested, enabled):
    entries = sorted(set(others) | ({JAR} if with_jar else set()))
    has = any(provider_jar(['%s/*' % LIB], {LIB: dict(exists=True, entries=[e])})['jar'] for e in entries)
    out = choose_provider(requested, enabled, ['/etc/zookeeper/conf', '%s/*' % LIB],
                          {LIB: dict(exists=True, entries=entries)}, 'zk7')
    assert out['decided']
    if not enabled:
        assert out['provider'] == 'none' and out['problem'] is None
    elif requested == 'exporter':
        assert out['provider'] == 'exporter'
    elif has:
        assert out['provider'] == 'native' and out['jar'].startswith(LIB + '/zookeeper-prometheus-metrics-')
    elif requested == 'native':
        assert out['provider'] == 'none' and 'zk7' in out['problem'] and "zookeeper_metrics_provider='native'" in out['problem']
    else:
        assert out['provider'] == 'exporter'


def test_names_that_only_look_like_the_jar_are_not_it():
    for name in ('zookeeper-prometheus-metrics.jar', 'zookeeper-prometheus-metrics-3.9.6.jar.bak',
                 'xzookeeper-prometheus-metrics-3.9.6.jar', 'zookeeper-prometheus-metrics-3.9.6-tests.txt'):
        assert provider_jar(['%s/*' % LIB], {LIB: dict(exists=True, entries=[name])})['jar'] is None, name


def test_debians_classpath_has_no_jar_and_native_is_refused_naming_it():
    out = choose_provider('native', True, DEBIAN, {}, 'zk1')
    assert out['provider'] == 'none' and out['decided']
    assert 'Host zk1' in out['problem'] and '/usr/share/java/zookeeper.jar' in out['problem']
    assert choose_provider('auto', True, DEBIAN, {})['provider'] == 'exporter'
    assert choose_provider('auto', True, DEBIAN + ['/srv/lib/%s' % JAR], {})['provider'] == 'native'


def test_a_tarball_not_unpacked_yet_is_decided_after_the_install():
    for requested in ('auto', 'native'):
        out = choose_provider(requested, True, ['%s/*' % LIB], {LIB: dict(exists=False, entries=[])})
        assert not out['decided'] and out['problem'] is None
    assert choose_provider('exporter', True, ['%s/*' % LIB], {})['decided']


def test_beside_the_native_provider_the_exporter_serves_the_role_series_only(tmp_path):
    found = _by_name(read_member(dict(host='127.0.0.1', port=1, timeout=0.5, conf_dir=str(tmp_path), role_only=True,
                                      tls_warn_days=30)))
    assert set(found) == {'zkops_up', 'zkops_quorum', 'zkops_restart_owed', 'zkops_tls_warn_days'}
    assert found['zkops_tls_warn_days'][2] == 30

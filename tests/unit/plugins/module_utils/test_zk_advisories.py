"""The advisory table (zk_advisories): generated versions inside, at the edges of and outside every affected range."""
from hypothesis import given, strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_advisories import (
    ADVISORIES,
    advisory_warnings,
    affecting,
    version_tuple,
)

VERSIONS = st.tuples(st.integers(3, 3), st.integers(4, 10), st.integers(0, 12))


def _text(v):
    return '%d.%d.%d' % v


@given(VERSIONS, st.sampled_from(['', '-1', '-2+deb12u1']))
def test_a_version_is_affected_exactly_when_a_range_holds_it(version, suffix):
    found = [a['id'] for a in affecting(_text(version) + suffix)]
    assert found == [a['id'] for a in ADVISORIES if any(lo <= version <= hi for lo, hi in a['affected'])]


def test_the_edges_of_each_range_and_the_releases_the_issue_names():
    for adv in ADVISORIES:
        for lo, hi in adv['affected']:
            assert adv in affecting(_text(lo)) and adv in affecting(_text(hi))
            after = (hi[0], hi[1], hi[2] + 1)
            assert adv not in affecting(_text(after))
            assert _text(after) in adv['fixed'] or adv['id'] == 'CVE-2023-44981' and hi == (3, 7, 1)

    def ids(version):
        return sorted(a['id'] for a in affecting(version))
    assert 'CVE-2026-24281' in ids('3.8.0') and 'CVE-2026-24281' in ids('3.9.4')
    assert 'CVE-2026-24281' not in ids('3.8.6') and 'CVE-2026-24281' not in ids('3.9.5')
    assert 'CVE-2025-58457' in ids('3.9.3') and 'CVE-2025-58457' not in ids('3.9.4')
    assert ids('3.9.6') == [] and ids('3.8.6') == []
    assert affecting('not a version') == [] and version_tuple('3.9') is None


@given(VERSIONS, st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_each_warning_names_the_advisory_the_version_and_whether_the_settings_mitigate_it(version, ctls, qtls, sasl, admin):
    settings = dict(client_tls=ctls, quorum_tls=qtls, quorum_sasl=sasl, admin_server=admin)
    warnings = advisory_warnings(_text(version), 'The running server', settings)
    advs = affecting(_text(version))
    assert len(warnings) == len(advs)
    for adv, msg in zip(advs, warnings):
        assert msg.startswith('The running server %s is affected by %s' % (_text(version), adv['id']))
        mitigated = adv['mitigated'] is not None and adv['mitigated'](settings)
        assert ('not exploitable as configured' in msg) == mitigated
    if any(a['id'] == 'CVE-2025-58457' for a in advs):
        msg = [w for w in warnings if 'CVE-2025-58457' in w][0]
        assert ('not exploitable' in msg) == (not admin)


@given(VERSIONS, st.lists(VERSIONS, max_size=3), st.sampled_from(['tarball', 'package']), st.booleans())
def test_preflight_matches_a_tarball_by_its_target_and_running_versions_and_never_a_package(
        target, running, method, with_target):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_advisories import preflight_warnings
    values = dict(zookeeper_install_method=method, zookeeper_version=_text(target), zookeeper_client_tls='true')
    found = preflight_warnings(values, [_text(v) for v in running] + [None], target=with_target)
    if method == 'package':
        assert found == []
        return
    expected = len(affecting(_text(target))) if with_target else 0
    expected += sum(len(affecting(v)) for v in set(_text(v) for v in running) if v != _text(target))
    assert len(found) == expected
    assert all(('The tarball zookeeper_version' in w) or ('The running server' in w) for w in found)


def test_the_status_lines_name_each_affected_version_once():
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_advisories import status_lines
    lines = status_lines(['3.8.0', '3.8.0', '3.9.6', None, '3.9.3'])
    assert len(lines) == 2 and lines[0].startswith('ZooKeeper 3.8.0 is in the range of CVE-2026-24281')
    assert 'CVE-2025-58457 (fixed in 3.9.4)' in lines[1] and status_lines(['3.9.6']) == []

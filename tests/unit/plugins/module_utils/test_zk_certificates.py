"""The preflight check of a member's TLS material, on certificates generated here (cryptography):
each defect is reported alone, naming the variable, the certificate and the date; valid material
(direct or through intermediates, any address kind) passes; a near expiry is a warning only."""
import datetime
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings, strategies as st
from tls_lab import certificate

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import (
    certificate_problems, client_reload_supported, fingerprint, names_address, reloads_certificates)

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
_KEYS = [ec.generate_private_key(ec.SECP256R1()) for _i in range(6)]


def _cert(cn, key, issuer_cn, issuer_key, ca=False, sans=(), start=NOW - DAY, end=NOW + 400 * DAY):
    return certificate(cn, key, issuer_cn, issuer_key, start, end, ca=ca, names=sans)


def _pem(*certs):
    return ''.join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def _key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def material(defect, address, via_intermediate):
    """cert, key, ca PEM texts for a member at ``address``, with one ``defect`` (or None)."""
    ca_key, inter_key, leaf_key, other_key = _KEYS[:4]
    ca = _cert('zk CA', ca_key, 'zk CA', ca_key, ca=True,
               end=NOW + (3 * DAY if defect == 'ca_soon' else -DAY if defect == 'ca_expired' else 3000 * DAY),
               start=NOW - 10 * DAY)
    issuer_cn, issuer_key, chain = 'zk CA', ca_key, []
    if via_intermediate:
        inter = _cert('zk intermediate', inter_key, 'zk CA', ca_key, ca=True)
        issuer_cn, issuer_key = 'zk intermediate', inter_key
        chain = [] if defect == 'no_intermediate' else [inter]
    if defect == 'other_ca':
        issuer_cn, issuer_key = 'zk CA', other_key   # same name, another key: the signature tells
    window = dict(expired=(NOW - 30 * DAY, NOW - DAY), not_yet=(NOW + DAY, NOW + 30 * DAY),
                  soon=(NOW - DAY, NOW + 5 * DAY)).get(defect, (NOW - DAY, NOW + 400 * DAY))
    sans = ['other.example'] if defect == 'no_san' else ['zk-member.example', address]
    leaf = _cert('zk-member', leaf_key, issuer_cn, issuer_key, sans=sans, start=window[0], end=window[1])
    key = _KEYS[4] if defect == 'wrong_key' else leaf_key
    return _pem(leaf, *chain), _key(key), _pem(ca)


EXPECTED = {
    None: ([], []),
    'expired': (['zookeeper_tls_cert (CN=zk-member', 'expired on'], []),
    'not_yet': (['zookeeper_tls_cert (CN=zk-member', 'is not valid before'], []),
    'soon': ([], ['zookeeper_tls_cert (CN=zk-member', 'expires on', 'in 5.0 days']),
    'ca_soon': ([], ['zookeeper_tls_ca (CN=zk CA', 'in 3.0 days']),
    'ca_expired': (['zookeeper_tls_ca (CN=zk CA', 'expired on'], []),
    'wrong_key': (['zookeeper_tls_key is not the key of zookeeper_tls_cert'], []),
    'other_ca': (['is not signed by zookeeper_tls_ca'], []),
    'no_intermediate': (['is not signed by zookeeper_tls_ca'], []),
    'no_san': (["does not name this member's address"], []),
}


@settings(max_examples=40, deadline=None)
@given(defect=st.sampled_from(sorted(EXPECTED, key=str)), via_intermediate=st.booleans(),
       address=st.sampled_from(['10.1.2.3', 'zk7.example.net', '2001:db8::7', 'ZK7.Example.NET']))
def test_each_defect_is_reported_alone_and_valid_material_passes(defect, via_intermediate, address):
    if defect == 'no_intermediate' and not via_intermediate:
        defect = None
    cert, key, ca = material(defect, address, via_intermediate)
    errors, warnings = certificate_problems(cert, key, ca, [address], warn_days=30, now=NOW)
    want_errors, want_warnings = EXPECTED[defect]
    assert len(errors) == (1 if want_errors else 0), errors
    assert len(warnings) == (1 if want_warnings else 0), warnings
    for text, fragments in ((errors, want_errors), (warnings, want_warnings)):
        for fragment in fragments:
            assert fragment in text[0], (fragment, text)
    if defect in ('expired', 'soon'):
        assert NOW.strftime('%Y') in (errors + warnings)[0]


def test_the_warning_window_is_the_variable():
    cert, key, ca = material('soon', '10.0.0.1', False)
    assert certificate_problems(cert, key, ca, ['10.0.0.1'], warn_days=4, now=NOW) == ([], [])
    assert len(certificate_problems(cert, key, ca, ['10.0.0.1'], warn_days=5, now=NOW)[1]) == 1


def test_a_secret_key_is_never_quoted():
    cert, key, ca = material('wrong_key', '10.0.0.1', False)
    errors, _warnings = certificate_problems(cert, key, ca, ['10.0.0.1'], now=NOW)
    assert errors and not any('PRIVATE KEY' in e or key.splitlines()[1] in e for e in errors)
    errors, _warnings = certificate_problems(cert, 'not a key ' + key[40:80], ca, ['10.0.0.1'], now=NOW)
    assert len(errors) == 1 and key[40:80] not in errors[0], errors


@pytest.mark.parametrize('name,address,covered', [
    ('*.example.net', 'zk1.example.net', True),
    ('*.example.net', 'a.zk1.example.net', False),
    ('*.example.net', 'example.net', False),
    ('10.0.0.1', '10.0.0.01', False),
    ('2001:db8::1', '2001:DB8:0:0::1', True),
    ('zk1.example.net', 'zk1.example.net.', True),
])
def test_names_cover_an_address_as_rfc6125_says(name, address, covered):
    cert = _cert('x', _KEYS[5], 'x', _KEYS[5], sans=[name])
    assert names_address(cert, address) is covered


# Which servers reload renewed TLS files without a restart. The two versions Debian ships were measured
# on the real jars (tests/integration/test_tls_reload.py): 3.8.0 reloads the quorum's stores only,
# 3.9.3 the client port's as well.
CLIENT_TLS = {'secureClientPort': '2281', 'client.certReload': 'true'}
QUORUM_TLS = {'sslQuorum': 'true', 'portUnification': 'false', 'sslQuorumReloadCertFiles': 'true'}


@given(major=st.integers(0, 4), minor=st.integers(0, 12), patch=st.integers(0, 20), suffix=st.sampled_from(['', '-1', '-abc']))
def test_client_reload_comes_with_3_7_2_3_8_1_and_3_9_0(major, minor, patch, suffix):
    expected = (major, minor) > (3, 8) or (major, minor, patch) >= (3, 8, 1) and (major, minor) == (3, 8) \
        or (major, minor) == (3, 7) and patch >= 2
    assert client_reload_supported('%d.%d.%d%s' % (major, minor, patch, suffix)) is expected


@pytest.mark.parametrize('version, props, reloads', [
    ('3.9.3', dict(CLIENT_TLS, **QUORUM_TLS), True),
    ('3.8.0', QUORUM_TLS, True),
    ('3.8.0', CLIENT_TLS, False),
    ('3.8.0', dict(CLIENT_TLS, **QUORUM_TLS), False),
    ('3.8.1', dict(CLIENT_TLS, **QUORUM_TLS), True),
    ('3.5.4', QUORUM_TLS, False),
    ('3.9.3', dict(CLIENT_TLS, **{'client.certReload': 'false'}), False),
    ('3.9.3', dict(QUORUM_TLS, sslQuorumReloadCertFiles='false'), False),
    ('3.9.3', {'sslQuorum': 'false', 'portUnification': 'true'}, False),
    ('3.9.3', {}, True),
    (None, {}, False),
    ('unknown', QUORUM_TLS, False),
])
def test_a_server_reloads_only_when_every_tls_use_has_its_key_and_its_version_honours_it(version, props, reloads):
    assert reloads_certificates(version, props) is reloads


def test_the_fingerprint_is_the_one_zk_status_reports_of_the_first_certificate():
    ca_key, leaf_key = _KEYS[:2]
    ca = _cert('zk CA', ca_key, 'zk CA', ca_key, ca=True)
    leaf = _cert('zk1', leaf_key, 'zk CA', ca_key, sans=['zk1'])
    der = leaf.public_bytes(serialization.Encoding.DER)
    assert fingerprint(_pem(leaf, ca)) == hashlib.sha256(der).hexdigest()
    assert fingerprint('') is None


@settings(max_examples=60, deadline=None)
@given(address=st.sampled_from(['zk7.example.net', '10.1.2.3']), source=st.sampled_from(['10.1.2.3', '10.9.9.9']),
       version=st.sampled_from(['', '3.8.0', '3.8.5', '3.8.6', '3.9.3', '3.9.4', '3.9.5', '3.9.6', '3.10.0', 'x']))
def test_a_quorum_certificate_without_the_ip_a_member_connects_from_is_refused_where_no_ptr_fallback_is_left(
        address, source, version):
    """Quorum TLS checked by name: the leader checks the IP a learner connects from. On releases with the reverse-DNS
    switch (3.8.6+, 3.9.5+; the role turns the fallback off) a certificate without that IP entry is refused; on the
    others it is a warning (their PTR fallback may still accept it)."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import reverse_dns_switch
    cert, key, ca = material(None, address, False)
    switch = reverse_dns_switch(version)
    errors, warnings = certificate_problems(cert, key, ca, [address], now=NOW, source_ips=[source],
                                            source_ip_required=switch)
    named = address == source
    assert (errors, warnings) == ([], []) if named else (bool(errors), bool(warnings)) == (switch, not switch)
    for text in errors + warnings:
        assert 'has no IP entry for %s' % source in text and 'zookeeper_tls_cert (CN=' in text
    assert switch == (version in ('3.8.6', '3.9.5', '3.9.6', '3.10.0'))

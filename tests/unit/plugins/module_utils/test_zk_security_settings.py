# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from hypothesis import given, strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_security_settings import (
    security_problems,
    security_settings,
    subject_alt_names,
)


@given(st.lists(st.one_of(st.ip_addresses().map(str), st.from_regex(r'\A[a-z][a-z0-9-]{0,20}\Z'), st.just('')),
                max_size=8))
def test_subject_alt_names_type_each_entry_once(names):
    sans = subject_alt_names(names)
    assert len(sans) == len(set(sans))
    for name in filter(None, names):
        assert ('IP:%s' % name in sans) if (':' in name or name.replace('.', '').isdigit()) else ('DNS:%s' % name in sans)


KEY = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n'
CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


def _settings(**kw):
    base = dict(client_tls=False, quorum_tls=False, quorum_sasl=False, sasl_user='zkquorum', sasl_password='',
                lab_ca=False, cert='', key='', ca='', instances=0, secure_client_port=2281,
                other_ports=[2181, 2888, 3888])
    base.update(kw)
    return base


def test_security_settings_name_what_is_missing_and_never_quote_secrets():
    assert security_problems(_settings()) == []
    assert security_problems(_settings(quorum_tls=True, lab_ca=True)) == []
    assert security_problems(_settings(client_tls=True, cert=CERT, key=KEY, ca=CERT)) == []
    msg = ' '.join(security_problems(_settings(client_tls=True, quorum_tls=True, cert=CERT)))
    assert 'zookeeper_client_tls=true and zookeeper_quorum_tls=true needs zookeeper_tls_key, zookeeper_tls_ca' in msg
    secret = '-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n'
    msg = ' '.join(security_problems(_settings(client_tls=True, cert=CERT, key=secret, ca=CERT)))
    assert 'PKCS#8' in msg and 'RSA PRIVATE KEY' in msg and 'c2VjcmV0' not in msg
    assert 'zookeeper_quorum_sasl_password' in ' '.join(security_problems(_settings(quorum_sasl=True)))
    assert "zookeeper_quorum_sasl_user='a b'" in ' '.join(
        security_problems(_settings(quorum_sasl=True, sasl_password='p', sasl_user='a b')))
    assert 'zookeeper_secure_client_port=2888' in ' '.join(
        security_problems(_settings(client_tls=True, lab_ca=True, secure_client_port=2888)))
    assert 'zookeeper_instances' in ' '.join(security_problems(_settings(client_tls=True, lab_ca=True, instances=3)))
    assert 'zookeeper_tls_ca holds no PEM certificate' in ' '.join(
        security_problems(_settings(client_tls=True, cert=CERT, key=KEY, ca='nothing')))


def test_client_sasl_users_are_named_and_their_passwords_never_shown():
    assert security_problems(_settings(client_sasl_users={'app': 'pw', 'svc.1': 'x"y'})) == []
    msg = ' '.join(security_problems(_settings(client_sasl_users={'a b': 'hidden-pw', 'ok': '', 'n': None})))
    assert "user name 'a b'" in msg and "user 'ok' needs a password" in msg and "user 'n' needs a password" in msg
    assert 'hidden-pw' not in msg and 'zookeeper_client_sasl_users' in msg
    assert 'mapping' in ' '.join(security_problems(_settings(client_sasl_users=['app'])))


def test_the_plaintext_port_goes_off_only_with_the_tls_port_on():
    assert 'zookeeper_client_plaintext=false needs zookeeper_client_tls=true' in ' '.join(
        security_problems(_settings(client_plaintext=False)))
    assert security_problems(_settings(client_plaintext=False, client_tls=True, lab_ca=True)) == []


@given(st.sampled_from([True, 'true', 'True', 'yes', 1, '1']), st.sampled_from([False, 'false', 'no', 0, '0', '']))
def test_the_role_variables_as_the_inventory_gives_them_reach_the_tls_and_sasl_rules(yes, no):
    values = dict(zookeeper_client_tls=yes, zookeeper_quorum_tls=no, zookeeper_quorum_sasl=yes, zookeeper_tls_lab_ca=no,
                  zookeeper_quorum_sasl_user='zkquorum', zookeeper_quorum_sasl_password='', zookeeper_tls_cert=CERT,
                  zookeeper_instances=[dict(id=1), dict(id=2)], zookeeper_secure_client_port=2181,
                  zookeeper_client_port=2181, zookeeper_quorum_port=2888, zookeeper_election_port=3888)
    s = security_settings(values)
    assert (s['client_tls'], s['quorum_tls'], s['quorum_sasl'], s['lab_ca']) == (True, False, True, False)
    assert s['client_plaintext'] is True and s['instances'] == 2 and s['other_ports'] == [2181, 2888, 3888]
    msg = ' '.join(security_problems(s))
    for wanted in ('zookeeper_tls_key', 'zookeeper_quorum_sasl_password', 'zookeeper_instances', '2181'):
        assert wanted in msg, (wanted, msg)

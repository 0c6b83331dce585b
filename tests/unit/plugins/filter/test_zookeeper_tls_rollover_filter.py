"""The zookeeper_tls_rollover filter takes each host's wanted TLS material from __zookeeper_tls_pem in the write
phase and, before it (preflight), from the PEM variables: so preflight sees a CA rollover that the write phase
would start, and refuses it under --limit before anything changes."""
import base64
import random

from ansible_collections.zkops.zookeeper.plugins.filter.zookeeper import zookeeper_tls_rollover

FILES = dict(keystore='/k.pem', truststore='/ca.pem')


def _block(label):
    body = base64.b64encode(('%s-%s' % (label, random.random())).encode() * 3).decode()
    return '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----' % body


OLD_CA, NEW_CA = _block('old ca'), _block('new ca')


def _hostvars(hosts, **wanted):
    found = dict((h, {FILES['truststore']: [OLD_CA], FILES['keystore']: [_block('old ' + h)]}) for h in hosts)
    return dict((h, dict(__zookeeper_host=dict(certificates=found[h]), **wanted)) for h in hosts)


def test_in_preflight_the_pem_variables_give_the_stages():
    hosts = ['zk%d' % i for i in range(random.randint(1, 5))]
    hostvars = _hostvars(hosts, zookeeper_tls_ca=NEW_CA, zookeeper_tls_cert=_block('new'))
    assert [s['stage'] for s in zookeeper_tls_rollover(hosts, hostvars, FILES)] == [1, 2]
    # read/vars.yml starts each run with empty material: the variables still give the stages.
    for h in hosts:
        hostvars[h]['__zookeeper_tls_pem'] = dict(ca='', cert='', key='')
    assert [s['stage'] for s in zookeeper_tls_rollover(hosts, hostvars, FILES)] == [1, 2]


def test_in_preflight_a_lab_ca_has_no_pem_variables_and_no_stage():
    hosts = ['a', 'b', 'c']
    assert zookeeper_tls_rollover(hosts, _hostvars(hosts, zookeeper_tls_ca='', zookeeper_tls_cert=''), FILES) == []
    assert zookeeper_tls_rollover(hosts, _hostvars(hosts), FILES) == []


def test_in_the_write_phase_the_material_of_the_run_wins():
    hosts = ['a', 'b']
    same = dict(zookeeper_tls_ca=NEW_CA, zookeeper_tls_cert=_block('new'),
                __zookeeper_tls_pem=dict(ca=OLD_CA, cert=_block('renewed'), key='k'))
    assert zookeeper_tls_rollover(hosts, _hostvars(hosts, **same), FILES) == []
    rolled = dict(__zookeeper_tls_pem=dict(ca=NEW_CA, cert=_block('lab gen 2'), key='k'))
    assert [s['stage'] for s in zookeeper_tls_rollover(hosts, _hostvars(hosts, **rolled), FILES)] == [1, 2]

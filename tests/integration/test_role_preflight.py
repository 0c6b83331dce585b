"""The role's preflight stops bad inventories before anything changes.

The role runs in check mode against inventory hosts that all connect locally;
each bad input must fail in a Preflight task, with a message naming the host,
the variable and the value, and with nothing changed (not even in check mode).
"""
import os
import subprocess
import sys
import textwrap

import pytest
from ansible_runner import ROOT, ansible_env

PLAY = textwrap.dedent('''\
    - name: Role under test
      hosts: zookeeper
      gather_facts: true
      roles:
        - role: zkops.zookeeper.zookeeper
    ''')


def run_role(tmp_path, hosts, extra_vars='', tags=None):
    inventory = tmp_path / 'hosts'
    inventory.write_text('[zookeeper]\n%s\n[zookeeper:vars]\nansible_connection=local\n'
                         'ansible_python_interpreter=%s\nzookeeper_firewall=none\n'
                         'zookeeper_data_dir=%s\n%s\n'
                         % (hosts, sys.executable, tmp_path / 'data', extra_vars))
    play = tmp_path / 'play.yml'
    play.write_text(PLAY)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory), str(play), '--check']
    if tags:
        cmd += ['--tags', tags]
    env = ansible_env()
    env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.default'
    env['ANSIBLE_NOCOLOR'] = '1'
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def assert_refused(rc, out, *fragments):
    assert rc != 0, out
    failed_task = [line for line in out.splitlines() if line.startswith('TASK [')][-1]
    # A member that fails a check stops the others of its ensemble at the end of that stage (apply/ensemble_whole.yml).
    assert 'Preflight' in failed_task or 'in preflight' in failed_task or 'Validating arguments' in failed_task, out
    assert 'changed=0' in out and 'changed=1' not in out, 'something changed before preflight stopped: ' + out
    for fragment in fragments:
        assert fragment in out, (fragment, out)


def test_valid_ensemble_passes_preflight(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb zookeeper_id=2\nzkc zookeeper_id=3\n'
                                 'zkd zookeeper_id=4 zookeeper_role=observer', tags='preflight_only')
    assert rc == 0, out
    assert 'failed=0' in out


def test_duplicate_id(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb zookeeper_id=1\nzkc zookeeper_id=3')
    assert_refused(rc, out, 'zookeeper_id=1 is set on more than one member', 'zka', 'zkb')


def test_missing_id(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb\nzkc zookeeper_id=3')
    assert_refused(rc, out, 'Host zkb', 'zookeeper_id=(not set)')


@pytest.mark.parametrize('bad', ['0', '256'])
def test_out_of_range_id(tmp_path, bad):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=%s' % bad)
    assert_refused(rc, out, 'Host zka', 'zookeeper_id=%s' % bad, '1 to 255')


def test_non_numeric_id_refused_by_argument_spec(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=one')
    assert_refused(rc, out, 'zookeeper_id', 'one')


def test_an_ensemble_group_with_no_hosts_is_named(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb zookeeper_id=2\nzkc zookeeper_id=3',
                       extra_vars='zookeeper_ensemble_group=nosuchgroup')
    assert_refused(rc, out, 'Host zka', "zookeeper_ensemble_group='nosuchgroup' names no group with hosts in the "
                   "inventory")


def test_observers_only(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1 zookeeper_role=observer\nzkb zookeeper_id=2 zookeeper_role=observer')
    assert_refused(rc, out, 'no participants', 'zookeeper_role=observer')


def test_two_participants(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb zookeeper_id=2')
    assert_refused(rc, out, '2 participants', 'tolerates 0 failures', 'zookeeper_allow_unsafe_ensemble')


def test_two_participants_allowed_when_asked(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb zookeeper_id=2',
                       extra_vars='zookeeper_allow_unsafe_ensemble=true', tags='preflight_only')
    assert rc == 0, out


def test_even_participants_warn(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1\nzkb zookeeper_id=2\nzkc zookeeper_id=3\nzkd zookeeper_id=4',
                       tags='preflight_only')
    assert rc == 0, out
    assert '4 participants tolerate 1 failure(s), the same as 3' in out


def test_myid_on_disk_is_never_changed(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'myid').write_text('7\n')
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1')
    assert_refused(rc, out, 'Host zka', 'myid holds 7', 'zookeeper_id=1')
    assert (data / 'myid').read_text() == '7\n'


# What Debian's zookeeper package puts in /var/lib/zookeeper/myid.
DEBIAN_MYID = "replace this text with the cluster-unique zookeeper's instance id (1-255)\n"


def test_debians_placeholder_myid_is_not_an_id_unless_data_is_beside_it(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'myid').write_text(DEBIAN_MYID)
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', tags='preflight_only')
    assert rc == 0 and 'myid holds' not in out, out
    # The same sentence beside a data tree (a server ran with it) is refused, and kept.
    (data / 'version-2').mkdir()
    (data / 'version-2' / 'log.100000001').write_bytes(b'\0' * 64)
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', tags='preflight_only')
    assert_refused(rc, out, 'Host zka', 'myid holds replace this text', 'zookeeper_id=1')
    assert (data / 'myid').read_text() == DEBIAN_MYID


def test_bad_choice_refused_by_argument_spec(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1 zookeeper_role=leader')
    assert_refused(rc, out, 'zookeeper_role', 'leader')


@pytest.mark.parametrize('extra, fragments', [
    ('zookeeper_version=3.9', ["zookeeper_version='3.9'", 'X.Y.Z']),
    ('zookeeper_tarball_checksum=md5:abc', ["zookeeper_tarball_checksum='md5:abc'", 'sha512:']),
    ('zookeeper_tarball_src=/nonexistent/zk.tar.gz', ["zookeeper_tarball_src='/nonexistent/zk.tar.gz'", 'not a file']),
])
def test_tarball_settings(tmp_path, extra, fragments):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars='zookeeper_install_method=tarball\n' + extra)
    assert_refused(rc, out, 'Host zka', *fragments)


def test_tarball_src_needs_its_checksum(tmp_path):
    tarball = tmp_path / 'apache-zookeeper-3.9.3-bin.tar.gz'
    tarball.write_bytes(b'not really a tarball')
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1',
                       extra_vars='zookeeper_install_method=tarball\nzookeeper_tarball_src=%s' % tarball)
    assert_refused(rc, out, 'Host zka', 'has no .sha512 file beside it')


def test_instances_on_one_host_must_not_share_ports(tmp_path):
    instances = ('zookeeper_instances=\'[{"id": 1, "client_port": 2181, "quorum_port": 2888, "election_port": 3888},'
                 ' {"id": 2, "client_port": 2182, "quorum_port": 2888, "election_port": 3889},'
                 ' {"id": 3, "client_port": 2183, "quorum_port": 2890, "election_port": 3890}]\'')
    rc, out = run_role(tmp_path, 'zka zookeeper_address=127.0.0.1 ' + instances)
    assert_refused(rc, out, 'Host zka', 'port(s) 2888 used twice in zookeeper_instances')


def test_pseudo_cluster_passes_preflight(tmp_path):
    instances = ('zookeeper_instances=\'[{"id": 1, "client_port": 2181, "quorum_port": 2887, "election_port": 3887},'
                 ' {"id": 2, "client_port": 2182, "quorum_port": 2888, "election_port": 3888},'
                 ' {"id": 3, "client_port": 2183, "quorum_port": 2889, "election_port": 3889}]\'')
    rc, out = run_role(tmp_path, 'zka zookeeper_address=127.0.0.1 ' + instances, tags='preflight_only')
    assert rc == 0, out


@pytest.mark.parametrize('extra, fragments', [
    ('zookeeper_heap_size=lots', ["zookeeper_heap_size='lots'", 'JVM size']),
    # INI group variables are strings: a list written as text is refused, not joined letter by letter.
    ('zookeeper_4lw_whitelist=\'["ruok"]\'', ['zookeeper_4lw_whitelist', 'a list of four-letter words']),
    ('zookeeper_client_port=70000', ['zookeeper_client_port=70000', 'from 1 to 65535']),
    # IPv6: a zone index names one host's interface; brackets are the role's to add.
    ('zookeeper_address=fe80::1%eth0', ["zookeeper_address='fe80::1%eth0'", 'zone index']),
    ('zookeeper_address=[fd00::2]', ["zookeeper_address='[fd00::2]'", 'without brackets']),
    ('zookeeper_client_tls=true\nzookeeper_tls_lab_ca=true\nzookeeper_secure_client_port=0',
     ['zookeeper_secure_client_port=0', 'from 1 to 65535']),
])
def test_settings_checked_before_changes(tmp_path, extra, fragments):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra)
    assert_refused(rc, out, 'Host zka', *fragments)


@pytest.mark.parametrize('hostline, extra, fragments', [
    # The metrics port clashes with another port of the instance.
    ('', 'zookeeper_metrics_port=2181', ['zookeeper_client_port and zookeeper_metrics_port are all 2181']),
    ('', 'zookeeper_admin_server_enabled=true\nzookeeper_admin_server_port=7000',
     ['zookeeper_admin_server_port and zookeeper_metrics_port are all 7000']),
    ('', 'zookeeper_metrics_port=0', ['zookeeper_metrics_port=0', 'from 1 to 65535']),
    # Sources that are not addresses.
    (' zookeeper_metrics_sources=\'["10.1.2.3", "prometheus.example"]\'', '',
     ['zookeeper_metrics_sources', "'prometheus.example'", 'addresses or CIDR ranges']),
    # The native provider without its jar (Debian's classpath here has none).
    ('', 'zookeeper_metrics_provider=native',
     ["zookeeper_metrics_provider='native'", 'no zookeeper-prometheus-metrics-*.jar', '/usr/share/java/zookeeper.jar']),
    # An unknown provider.
    ('', 'zookeeper_metrics_provider=jmx', ['zookeeper_metrics_provider', 'jmx']),
    # The exporter reads mntr.
    (' zookeeper_4lw_whitelist=\'["srvr", "ruok"]\'', '', ['zookeeper_4lw_whitelist', 'lacks mntr']),
    # The role sets the provider.
    (' zookeeper_extra_config=\'{"metricsProvider.httpPort": 7001}\'', '',
     ['metricsProvider.httpPort', 'the role sets the metrics provider']),
])
def test_metrics_settings_checked_before_changes(tmp_path, hostline, extra, fragments):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1' + hostline, extra_vars=extra)
    assert_refused(rc, out, 'Host zka' if 'jmx' not in extra else 'zka', *fragments)


def test_the_metrics_port_of_an_instance_clashing_with_another_instance_is_refused(tmp_path):
    instances = ('zookeeper_instances=\'[{"id": 1, "client_port": 2181, "quorum_port": 2887, "election_port": 3887},'
                 ' {"id": 2, "client_port": 2182, "quorum_port": 2888, "election_port": 3888, "metrics_port": 2181}]\'')
    rc, out = run_role(tmp_path, 'zka zookeeper_address=127.0.0.1 ' + instances, extra_vars='zookeeper_allow_unsafe_ensemble=true')
    assert_refused(rc, out, 'Host zka', 'zka/2 has metrics_port=2181', 'another instance of this host')


def test_the_whitelist_needs_srvr(tmp_path):
    # On the host line, INI values are parsed as Python literals: a real list of valid words, without srvr.
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1 zookeeper_4lw_whitelist=\'["ruok", "mntr"]\'')
    assert_refused(rc, out, 'Host zka', 'zookeeper_4lw_whitelist', 'lacks srvr')


def test_client_sources_must_be_addresses(tmp_path):
    # On the host line, INI values are parsed as Python literals: a real list.
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1 zookeeper_client_sources=\'["10.0.0.0/8","everyone"]\'')
    assert_refused(rc, out, 'Host zka', 'zookeeper_client_sources', "'everyone'", 'IPv4 or IPv6 addresses or CIDR ranges')


def test_read_write_paths_must_be_absolute(tmp_path):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1 zookeeper_systemd_read_write_paths=\'["/var/log/gc","gc-logs"]\'')
    assert_refused(rc, out, 'Host zka', 'zookeeper_systemd_read_write_paths', "'gc-logs'", 'not absolute')


@pytest.mark.parametrize('extra, fragments', [
    ('zookeeper_quorum_tls=true', ['zookeeper_quorum_tls=true needs zookeeper_tls_cert, zookeeper_tls_key, zookeeper_tls_ca']),
    ('zookeeper_client_tls=true\nzookeeper_tls_lab_ca=true\nzookeeper_secure_client_port=3888',
     ['zookeeper_election_port and zookeeper_secure_client_port are all 3888', 'each port must be different']),
    ('zookeeper_quorum_sasl=true', ['zookeeper_quorum_sasl=true needs zookeeper_quorum_sasl_password']),
])
def test_secure_settings_name_what_is_missing(tmp_path, extra, fragments):
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra)
    assert_refused(rc, out, 'Host zka', *fragments)


def test_a_key_ZooKeeper_cannot_read_is_refused_without_showing_it(tmp_path):
    secret_body = 'MIIEpAIBAAKCAQEAzkopsSecretBodyLine'
    (tmp_path / 'member.key').write_text('-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n' % secret_body)
    (tmp_path / 'member.crt').write_text('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    extra = ('zookeeper_quorum_tls=true\n'
             'zookeeper_tls_key="{{ lookup(\'ansible.builtin.file\', \'%(d)s/member.key\') }}"\n'
             'zookeeper_tls_cert="{{ lookup(\'ansible.builtin.file\', \'%(d)s/member.crt\') }}"\n'
             'zookeeper_tls_ca="{{ lookup(\'ansible.builtin.file\', \'%(d)s/member.crt\') }}"' % dict(d=tmp_path))
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra)
    assert_refused(rc, out, 'Host zka', 'zookeeper_tls_key must be one unencrypted PKCS#8 key', 'RSA PRIVATE KEY')
    assert secret_body not in out


def _member_material(tmp_path, sans, start_days, end_days):
    """A CA and a member certificate valid from now+start_days to now+end_days, written as PEM files."""
    import datetime
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from tls_lab import certificate as cert

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert('preflight CA', ca_key, 'preflight CA', ca_key, now - datetime.timedelta(days=30),
              now + datetime.timedelta(days=3000), ca=True)
    leaf = cert('zka', key, 'preflight CA', ca_key, now + datetime.timedelta(days=start_days),
                now + datetime.timedelta(days=end_days), names=sans)
    pem = serialization.Encoding.PEM
    (tmp_path / 'ca.pem').write_bytes(ca.public_bytes(pem))
    (tmp_path / 'member.crt').write_bytes(leaf.public_bytes(pem))
    (tmp_path / 'member.key').write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
    return ('zookeeper_quorum_tls=true\nzookeeper_address=10.9.8.7\n'
            'zookeeper_tls_key="{{ lookup(\'ansible.builtin.file\', \'%(d)s/member.key\') }}"\n'
            'zookeeper_tls_cert="{{ lookup(\'ansible.builtin.file\', \'%(d)s/member.crt\') }}"\n'
            'zookeeper_tls_ca="{{ lookup(\'ansible.builtin.file\', \'%(d)s/ca.pem\') }}"' % dict(d=tmp_path)), leaf


def test_a_certificate_that_expires_soon_is_a_warning_naming_it_and_its_date(tmp_path):
    extra, leaf = _member_material(tmp_path, ['zka', '10.9.8.7'], -1, 5)
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra, tags='preflight_only')
    assert rc == 0, out
    assert 'WARNING: host zka: zookeeper_tls_cert (CN=zka, serial %x) expires on %s' % (
        leaf.serial_number, leaf.not_valid_after_utc.strftime('%Y-%m-%d %H:%M UTC')) in out, out
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra + '\nzookeeper_tls_warn_days=4',
                       tags='preflight_only')
    assert rc == 0 and 'expires on' not in out, out


@pytest.mark.parametrize('sans, start, end, fragments', [
    (['zka', '10.9.8.7'], -30, -1, ['expired on']),
    (['zka', '10.9.8.7'], 2, 30, ['is not valid before']),
    (['zka', 'other.example'], -1, 300, ["does not name this member's address 10.9.8.7", '(zka, other.example)']),
])
def test_an_expired_or_misnamed_certificate_is_refused_before_anything_changes(tmp_path, sans, start, end, fragments):
    extra, leaf = _member_material(tmp_path, sans, start, end)
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra)
    assert_refused(rc, out, 'Host zka', 'zookeeper_tls_cert (CN=zka, serial %x)' % leaf.serial_number, *fragments)
    assert 'PRIVATE KEY' not in out


def test_a_quorum_certificate_without_the_ip_the_member_connects_from_is_refused_where_no_ptr_fallback_is_left(
        tmp_path):
    """Quorum TLS checked by name (the default): the member connects from zookeeper_firewall_source. A certificate
    without that IP is a warning for a distribution package (3.8.0 and 3.9.3 fall back to the PTR record) and refused
    for a tarball release that has the reverse-DNS switch the role turns off (3.9.5 and later)."""
    extra, leaf = _member_material(tmp_path, ['zka'], -1, 300)
    extra = extra.replace('zookeeper_address=10.9.8.7', 'zookeeper_firewall_source=10.9.8.7')
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra, tags='preflight_only')
    assert rc == 0, out
    assert 'WARNING: host zka: zookeeper_tls_cert (CN=zka, serial %x) has no IP entry for 10.9.8.7' % (
        leaf.serial_number) in out, out
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', extra_vars=extra + '\nzookeeper_install_method=tarball\n'
                       'zookeeper_version=3.9.6\nzookeeper_tarball_checksum=sha512:' + '0' * 128)
    assert_refused(rc, out, 'Host zka', 'zookeeper_tls_cert (CN=zka, serial %x) has no IP entry for 10.9.8.7'
                   % leaf.serial_number, '3.9.5 and later refuse it')
    rc, out = run_role(tmp_path, 'zka zookeeper_id=1', tags='preflight_only',
                       extra_vars=extra + '\nzookeeper_tls_hostname_verification=false')
    assert rc == 0 and 'has no IP entry' not in out, out

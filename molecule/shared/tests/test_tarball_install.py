"""Tarball installs run from the unpacked tree alone, not from Debian's jars."""
import pytest
from conftest import MEMBERS

testinfra_hosts = MEMBERS


@pytest.fixture
def method(host):
    return host.ansible.get_variables().get('zookeeper_install_method', 'package')


def test_runs_from_the_tarball_lib_only(host, method):
    if method != 'tarball':
        pytest.skip('package install')
    version = host.ansible.get_variables()['zookeeper_version']
    assert not host.package('zookeeper').is_installed
    assert not host.file('/usr/share/java/zookeeper.jar').exists
    current = host.file('/opt/zookeeper/current')
    assert current.is_symlink
    pid = host.run('systemctl show -p MainPID --value zookeeper').stdout.strip()
    code = ("import os, sys; d = '/proc/%s/fd' % sys.argv[1]; "
            "print('\\n'.join(sorted({os.readlink(os.path.join(d, f)) for f in os.listdir(d)})))")
    # Only the JVM's own user may read its fd links (root here lacks CAP_SYS_PTRACE).
    files = host.run('runuser -u zookeeper -- python3 -c %s %s', code, pid).stdout.split()
    jars = {f for f in files if f.endswith('.jar')}
    assert jars, 'the JVM has no jar open'
    assert all(j.startswith('/opt/zookeeper/apache-zookeeper-') for j in jars), jars
    assert any('zookeeper-%s' % version in j or current.linked_to in j for j in jars), jars
    assert host.file('/etc/zookeeper/conf_zkops/logback.xml').exists

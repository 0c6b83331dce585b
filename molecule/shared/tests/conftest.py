"""Shared helpers for every scenario's testinfra verification."""
import os
import re
import time
import uuid

import pytest
import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
MEMBERS = RUNNER.get_hosts('zookeeper')
CLIENTS = RUNNER.get_hosts('clients')


def get_host(name):
    return testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, INVENTORY))


def host_vars(name):
    return get_host(name).ansible.get_variables()


def mode_of(name):
    """Mode as zkServer.sh status prints it, the way operators check it."""
    out = get_host(name).run("bash -lc 'zkServer.sh status'")
    match = re.search(r'^Mode: (\S+)', out.stdout + out.stderr, re.M)
    return match.group(1) if match else None


def zkcli(name, command, server='127.0.0.1:2181'):
    return get_host(name).run("bash -lc %s" % repr('zkCli.sh -server %s %s' % (server, command)))


def wait_until(check, timeout=60, interval=2):
    deadline = time.time() + timeout
    while True:
        result = check()
        if result or time.time() > deadline:
            return result
        time.sleep(interval)


@pytest.fixture(scope='session')
def members():
    return {name: host_vars(name) for name in MEMBERS}


@pytest.fixture(scope='session')
def modes():
    return {name: wait_until(lambda n=name: mode_of(n)) for name in MEMBERS}


@pytest.fixture
def znode_path():
    return '/zkops-verify-%s' % uuid.uuid4().hex[:8]

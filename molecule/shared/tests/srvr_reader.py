"""srvr read inside a container, through molecule/shared/files/quorum_watch.py.

The scenarios' one reader inside the containers, where the collection is not installed. It
is deliberately independent of the modules' reader (module_utils/zk_fourletter.py), so that
a bug there cannot hide itself in the checks. Tests that run on the docker host use the
modules' reader instead.
"""
import os
import re

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'files', 'quorum_watch.py')
REMOTE = '/root/quorum_watch.py'
_COPIED = set()


def srvr_in(host, port=2181):
    """The srvr reply of 127.0.0.1:port as seen inside the container of testinfra ``host``."""
    key = host.backend.get_hostname()
    if key not in _COPIED:
        with open(SCRIPT) as f:
            host.run("cat > %s <<'ZKOPS_EOF'\n%s\nZKOPS_EOF" % (REMOTE, f.read()))
        _COPIED.add(key)
    return host.run('python3 %s --srvr 127.0.0.1 %d' % (REMOTE, port)).stdout


def field_in(host, field, port=2181):
    """One field of the reply (Mode, Zxid, Zookeeper version...), or None."""
    match = re.search(r'^%s: (.+)$' % re.escape(field), srvr_in(host, port), re.M)
    return match.group(1).strip() if match else None

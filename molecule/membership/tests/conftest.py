"""The membership scenario's client: it writes znodes through every step, and logs each acknowledged one."""
import os
import subprocess
import time

import pytest
from ensemble import ACK_LOG, CANDIDATES, SHARED_FILES, STALLS, acked_now, host, srvr_mode


@pytest.fixture(scope='session', autouse=True)
def writer():
    client = host('mclient')
    for name in ('zk_writer.py', 'zk_acked.py'):
        with open(os.path.join(SHARED_FILES, name)) as f:
            client.run('cat > /root/%s <<\'EOF\'\n%s\nEOF' % (name, f.read()))
    client.run('rm -f /root/membership.stop /root/membership.stop.pause /root/membership-summary.json %s' % ACK_LOG)
    # The standalone server holds data before it grows.
    if srvr_mode('zka') == 'standalone':
        host('zka').check_output(
            'python3 -c "from kazoo.client import KazooClient; z=KazooClient(\'127.0.0.1:2181\'); z.start(30); '
            '[z.create(\'/seed/n%d\' % i, b\'seed\', makepath=True) for i in range(200) '
            'if not z.exists(\'/seed/n%d\' % i)]; z.stop()"')
    subprocess.run(['docker', 'exec', '-d', 'mclient', 'python3', '/root/zk_writer.py', CANDIDATES,
                    '/root/membership.stop', '/root/membership-summary.json', '3600', ACK_LOG], check=True)
    deadline = time.time() + 60
    while not acked_now() and time.time() < deadline:
        time.sleep(1)
    yield
    client.run('touch /root/membership.stop')
    print('\n=== longest write stall per step: %s' % STALLS)

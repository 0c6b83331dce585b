"""Watch an ensemble's quorum from a client host while a change rolls through.

Polls srvr on every member every 0.2 s until the stop file appears (or the
time limit passes), then writes a JSON summary: how many samples were taken,
how many had no quorum (a leader plus a majority of participants serving),
the times of those samples, the leader seen first, and the modes seen per member.
Usage: quorum_watch.py zk1,zk2,zk3 OBSERVERS STOPFILE SUMMARY MAX_SECONDS
       quorum_watch.py --srvr HOST PORT   (prints one srvr reply; the testinfra tests use it)
"""
import json
import os
import socket
import sys
import time


def srvr(host, port=2181, timeout=1):
    """The srvr reply of host:port ('' when it cannot be reached).

    The scenarios' one srvr reader inside the containers (where the collection is not
    installed), deliberately independent of module_utils/zk_fourletter.py, which it checks.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b'srvr')
            data = b''
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return ''
    return data.decode('utf-8', 'replace')


def mode(host):
    text = srvr(host)
    if not text:
        return 'unreachable'
    if 'not currently serving' in text:
        return 'not-serving'
    for line in text.splitlines():
        if line.startswith('Mode:'):
            return line.split(':', 1)[1].strip()
    return 'unknown'


def main():
    if sys.argv[1] == '--srvr':
        print(srvr(sys.argv[2], int(sys.argv[3]), 3))
        return
    members = sys.argv[1].split(',')
    observers = [o for o in sys.argv[2].split(',') if o]
    stop_file, summary_file, limit = sys.argv[3], sys.argv[4], float(sys.argv[5])
    participants = [m for m in members if m not in observers]
    samples = 0
    no_quorum = []
    first_leader = None
    seen = {m: [] for m in members}
    deadline = time.time() + limit
    while not os.path.exists(stop_file) and time.time() < deadline:
        modes = {m: mode(m) for m in members}
        leaders = [m for m in participants if modes[m] == 'leader']
        voting = [m for m in participants if modes[m] in ('leader', 'follower')]
        samples += 1
        if not (len(leaders) == 1 and len(voting) * 2 > len(participants)):
            no_quorum.append(time.time())
        if first_leader is None and leaders:
            first_leader = leaders[0]
        for m in members:
            if not seen[m] or seen[m][-1] != modes[m]:
                seen[m].append(modes[m])
        time.sleep(0.2)
    with open(summary_file, 'w') as f:
        json.dump(dict(samples=samples, no_quorum=no_quorum, first_leader=first_leader,
                       modes_seen=seen, started=deadline - limit, ended=time.time()), f)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of what the package manager and systemd print, for the zk_host_info module.

Every parser answers conservatively: whatever it cannot tell for sure is reported as "not there" (a package missing,
a unit neither active nor enabled), so the role then runs the task that makes it so, and that task decides.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# A name with any of these is a pattern, a version or an architecture: the package manager decides.
NOT_A_PLAIN_NAME = set(':=<>*?[]() ')


def plain_names(names):
    """The names that are plain package names (the others are always reported missing)."""
    return [n for n in names if n and not NOT_A_PLAIN_NAME.intersection(n)]


def installed_from_dpkg(stdout):
    """Names installed, from `dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\n'`.

    The second letter of the abbreviated status is the package's state; `i` is installed."""
    installed = set()
    for line in stdout.splitlines():
        name, sep, status = line.partition('\t')
        if sep and len(status) >= 2 and status[1] == 'i':
            installed.add(name.strip())
    return installed


def installed_from_rpm(stdout, names):
    """Names installed, from `rpm -q --qf '%{NAME}\\n' names` (missing ones print `package X is not installed`)."""
    lines = set(line.strip() for line in stdout.splitlines())
    return set(n for n in names if n in lines)


def missing_packages(names, installed):
    """The names given that are not installed (in the order given, once each)."""
    plain = set(plain_names(names))
    seen, missing = set(), []
    for name in names:
        if name not in seen and (name not in plain or name not in installed):
            missing.append(name)
        seen.add(name)
    return missing


def units_from_systemctl_show(stdout, names):
    """{name: {active, enabled, fragment_path, description}} from `systemctl show -p ActiveState -p UnitFileState
    -p FragmentPath -p Description -- names`.

    systemctl prints one block per unit, in the order given, separated by an empty line. A unit it does not know
    is inactive and not enabled; anything unreadable is reported as neither."""
    blocks, current = [], {}
    for line in stdout.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, sep, value = line.partition('=')
        if sep:
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    if len(blocks) != len(names):
        return dict((n, dict(active=False, enabled=False, fragment_path=None, description=None)) for n in names)
    return dict((n, dict(active=b.get('ActiveState') == 'active', enabled=b.get('UnitFileState') == 'enabled',
                         fragment_path=b.get('FragmentPath') or None, description=b.get('Description') or None))
                for n, b in zip(names, blocks))


def port_strings(ports):
    """firewalld's (port, protocol) pairs as `port/protocol` strings, the form ansible.posix.firewalld takes."""
    return sorted('%s/%s' % (port, proto) for port, proto in ports)


UNIT_DOWN_STATES = ('failed', 'inactive', 'deactivating')
UNIT_DOWN_SUBSTATES = ('auto-restart', 'failed', 'dead', 'exited')


def unit_down(now, before):
    """Why a unit that should be starting or running is not (it exited, or crash-loops), or None.
    ``now`` and ``before`` are dicts of `systemctl show -p ActiveState -p SubState -p NRestarts -p ExecMainStatus`
    (``before``: when the wait began; its NRestarts counts the restarts already behind it)."""
    restarts = int(now.get('NRestarts') or 0) - int((before or {}).get('NRestarts') or 0)
    if now.get('ActiveState') in UNIT_DOWN_STATES or now.get('SubState') in UNIT_DOWN_SUBSTATES or restarts > 0:
        return '%s/%s, exit status %s, restarted %d time(s) while waiting' % (
            now.get('ActiveState') or '?', now.get('SubState') or '?', now.get('ExecMainStatus') or '?', max(restarts, 0))
    return None


def parse_show(stdout):
    """`systemctl show -p ... unit` (one unit) as a dict."""
    return dict(line.split('=', 1) for line in stdout.splitlines() if '=' in line)

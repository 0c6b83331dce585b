# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Known advisories of Apache ZooKeeper, by upstream version: what the role's preflight warns about (without failing)
for the version a tarball install targets or a running server reports, and what the status playbook shows.

Distribution packages backport fixes without changing the upstream version they report (Debian's 3.8.0-11+deb12u1
carries the fix of CVE-2023-44981), so for a package install the version is only reported, never matched here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import version_tuple
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_security_settings import security_settings

# Each: the id, what it is, the affected ranges (first, last, both included), the first fixed releases, what to do,
# and when the role's settings already take the risk away (a function of the settings dict, or None).
ADVISORIES = (
    dict(id='CVE-2026-24281', summary='TLS hostname verification falls back to a reverse-DNS (PTR) lookup',
         affected=(((3, 8, 0), (3, 8, 5)), ((3, 9, 0), (3, 9, 4))), fixed='3.8.6, 3.9.5',
         action='upgrade to 3.8.6 or 3.9.5 or later',
         mitigated=lambda s: not (s.get('client_tls') or s.get('quorum_tls')),
         mitigation='no TLS in use'),
    dict(id='CVE-2025-58457', summary='AdminServer snapshot and restore commands run without the permission check',
         affected=(((3, 9, 0), (3, 9, 3)),), fixed='3.9.4', action='upgrade to 3.9.4 or later',
         mitigated=lambda s: not s.get('admin_server'), mitigation='the AdminServer is off (zookeeper_admin_server_enabled)'),
    dict(id='CVE-2024-51504', summary='AdminServer IP authentication can be bypassed by a spoofed X-Forwarded-For header',
         affected=(((3, 9, 0), (3, 9, 2)),), fixed='3.9.3', action='upgrade to 3.9.3 or later',
         mitigated=lambda s: not s.get('admin_server'), mitigation='the AdminServer is off (zookeeper_admin_server_enabled)'),
    dict(id='CVE-2024-23944', summary='persistent watchers leak the paths of child znodes a client may not read',
         affected=(((3, 6, 0), (3, 8, 3)), ((3, 9, 0), (3, 9, 1))), fixed='3.8.4, 3.9.2',
         action='upgrade to 3.8.4 or 3.9.2 or later', mitigated=None, mitigation=None),
    dict(id='CVE-2023-44981', summary='quorum SASL accepts a peer whose principal host is not a server line',
         affected=(((3, 5, 0), (3, 7, 1)), ((3, 8, 0), (3, 8, 2)), ((3, 9, 0), (3, 9, 0))), fixed='3.7.2, 3.8.3, 3.9.1',
         action='upgrade to 3.8.3 or 3.9.1 or later',
         mitigated=lambda s: not s.get('quorum_sasl'), mitigation='quorum SASL is off'),
)


def affecting(version):
    """The advisories whose affected ranges include ``version`` (a string), in the table's order."""
    parts = version_tuple(version)
    if parts is None:
        return []
    return [a for a in ADVISORIES if any(lo <= parts <= hi for lo, hi in a['affected'])]


def advisory_warnings(version, what, settings=None):
    """Preflight's warnings for ``version``: ``what`` says where it comes from ('the tarball zookeeper_version' or
    'the running server'). ``settings``: client_tls, quorum_tls, quorum_sasl, admin_server (booleans). One message
    per advisory, naming it, the version, the fix and whether the role's settings take the risk away."""
    settings = settings or {}
    out = []
    for adv in affecting(version):
        mitigated = adv['mitigated'] is not None and adv['mitigated'](settings)
        out.append('%s %s is affected by %s (%s; fixed in %s): %s%s.' % (
            what, version, adv['id'], adv['summary'], adv['fixed'], adv['action'],
            ' (not exploitable as configured: %s)' % adv['mitigation'] if mitigated else ''))
    return out


def role_settings(values):
    """advisory_warnings' settings from the role's variables by name (as the inventory gives them): the TLS and SASL
    switches as security_settings reads them, and the AdminServer's."""
    from ansible.module_utils.parsing.convert_bool import boolean
    security = security_settings(values)
    return dict(client_tls=security['client_tls'], quorum_tls=security['quorum_tls'],
                quorum_sasl=security['quorum_sasl'],
                admin_server=boolean(values.get('zookeeper_admin_server_enabled', False), strict=False))


def preflight_warnings(values, server_versions=(), target=True):
    """Preflight's advisory warnings for one host: ``values``, the role's variables by name; ``server_versions``, what
    its running servers report (zk_server_info's server_version). A tarball install is matched by the version it
    targets (with ``target``) and the other versions its servers run. A distribution package backports fixes
    without changing the upstream version it reports: it is not matched (the status playbook names its version)."""
    settings = role_settings(values)
    versions = sorted(set(v for v in server_versions if v))
    if values.get('zookeeper_install_method') != 'tarball':
        return []
    out = advisory_warnings(values.get('zookeeper_version'), 'The tarball zookeeper_version', settings) if target else []
    for version in versions:
        if version != str(values.get('zookeeper_version')):
            out += advisory_warnings(version, 'The running server', settings)
    return out


def status_lines(versions):
    """The status playbook's lines for the versions the members report: the advisories each is in the range of."""
    out = []
    for version in sorted(set(v for v in versions if v)):
        found = affecting(version)
        if found:
            out.append('ZooKeeper %s is in the range of %s (upstream; a distribution package may carry the fixes).'
                       % (version, ', '.join('%s (fixed in %s)' % (a['id'], a['fixed']) for a in found)))
    return out

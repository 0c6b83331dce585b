# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the zkops.zookeeper role: the ensemble model, the membership plan and zoo.cfg ownership.

The logic lives in module_utils (unit-tested there); these are thin wrappers.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# module_utils are imported inside each filter, not here: Ansible loads this file afresh in every worker process
# (one per task and host) and compiles each module_utils file it imports from source, so a filter pays only for
# the module_utils it uses (tests/bench/bench_role_noop.py measures a run of the role with nothing to change).
# pylint: disable=import-outside-toplevel


def _by_name(infos):
    """zk_server_info entries as a dict by instance name (given a list, or already a dict)."""
    return infos if isinstance(infos, dict) else dict((i['name'], i) for i in infos)


def zookeeper_members(hosts, hostvars, defaults=None):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import build_members
    return build_members(list(hosts), hostvars, dict(defaults or {}))


def zookeeper_member_problems(members, host, group, instances_given=False, allow_unsafe=False, client_tls=False,
                              group_known=True):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import member_problems
    return member_problems(list(members), host, group, bool(instances_given), boolean(allow_unsafe, strict=False),
                           boolean(client_tls, strict=False), boolean(group_known, strict=False))


def zookeeper_fleet_problems(host, play_hosts, hostvars, groups, defaults=None):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import fleet_problems
    return fleet_problems(host, list(play_hosts), hostvars, dict(groups), defaults)


def zookeeper_restarts(data, what, *args, **kwargs):
    """Everything about restarts, one filter (module_utils/zk_ensemble_model.py):

    - ``instances | zookeeper_restarts('due', kind=..., ...)``: restarts_due, the instances a round restarts;
    - ``rollover_steps | zookeeper_restarts('rounds', switch_steps)``: staged_rounds;
    - ``zk_status loop results | zookeeper_restarts('plan')``: restart_plan, each with its mode before;
    - ``plan | zookeeper_restarts('order')``: restart_order, the leader last;
    - ``members | zookeeper_restarts('blockers', infos)``: restart_blockers (infos a list or a dict by name);
    - ``registered results | zookeeper_restarts('changed')``: changed_instances, names whose files changed;
    - ``names | zookeeper_restarts('tls', stores=labels, server_info=...)``: tls_file_restarts, who restarts and
      who reloads for renewed TLS files;
    - ``instances | zookeeper_restarts('idle', units=..., server_info=..., ...)``: apply_idle, whether this host has
      nothing to start, restart or check.
    """
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import (
        apply_idle, changed_instances, restart_blockers, restart_order, restart_plan, restarts_due, staged_rounds, tls_file_restarts)
    try:
        if what == 'due':
            return restarts_due(list(data), *args, **kwargs)
        if what == 'rounds':
            return staged_rounds(list(data or []), *args)
        if what == 'plan':
            return restart_plan(list(data))
        if what == 'order':
            return restart_order(list(data))
        if what == 'blockers':
            return restart_blockers(list(data), _by_name(args[0]))
        if what == 'changed':
            return changed_instances([r for r in data if isinstance(r, dict)], *args)
        if what == 'tls':
            return tls_file_restarts(list(data), *args, **kwargs)
        if what == 'idle':
            return apply_idle(list(data), *args, **kwargs)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise AnsibleFilterError('zookeeper_restarts(%r): %s' % (what, e))
    raise AnsibleFilterError("zookeeper_restarts: what must be due, rounds, plan, order, blockers, changed, tls or idle, got %r" % (what,))


def zookeeper_inventory_hosts(servers, hostvars, all_hosts, defaults):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import inventory_hosts
    return inventory_hosts(list(servers), hostvars, list(all_hosts), dict(defaults))


def zookeeper_membership_plan(members, infos, params):
    """``infos``: zk_server_info entries (a list, or a dict by instance name)."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import ConfigError
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_membership import plan_membership
    infos = _by_name(infos)
    try:
        return plan_membership(list(members), infos, dict(params))
    except (ConfigError, KeyError, ValueError) as e:
        raise AnsibleFilterError('zookeeper_membership_plan: %s' % e)


def zookeeper_static_config(desired_text, info, dynamic_file):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_config import static_config
    info = info or {}
    return static_config(desired_text, info.get('static_digest'), info.get('dynamic_file'), dynamic_file)


def zookeeper_rich_rules(local, members, client_sources, this_host, metrics_sources=None, metrics_provider='none'):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import wanted_rules
    return wanted_rules(list(local), list(members), list(client_sources or []), this_host,
                        list(metrics_sources or []), metrics_provider)


def zookeeper_metrics_provider(classpath, requested, enabled, listings, host='this host'):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_metrics import choose_provider
    return choose_provider(requested, boolean(enabled, strict=False), list(classpath or []), dict(listings or {}), host)


def zookeeper_invalid_sources(sources):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import invalid_sources
    return invalid_sources(list(sources or []))


def zookeeper_stale_rich_rules(current, wanted, local):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import stale_rules
    return stale_rules(list(current), list(wanted), list(local))


def zookeeper_firewalld_changes(local, firewalld, wanted, client_sources):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_firewall import firewalld_changes
    return firewalld_changes(list(local), firewalld, list(wanted), list(client_sources or []))


def zookeeper_status_table(status, members, certificates=None):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_status_report import status_table
    return status_table(list(members), dict(status), dict(certificates) if certificates else None)


def zookeeper_quorum_switch(members, infos, plan, desired, sasl_password_set=True, tls_material=True):
    """Intermediate quorum TLS/SASL stages for the members of the live ensemble (none when it is not running),
    and why they cannot run now (errors)."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import restart_blockers
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_quorum_security import switch_refusals
    infos = _by_name(infos)
    switch = _quorum_switch(list(members), infos, plan, desired)
    if not switch['errors']:
        blockers = restart_blockers(list(members), infos) if switch['steps'] else []
        switch['errors'] = switch_refusals(switch['steps'], boolean(sasl_password_set, strict=False),
                                           boolean(tls_material, strict=False), blockers)
    return switch


def _quorum_switch(members, infos, plan, desired):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_quorum_security import observer_sasl_problems, switch_steps
    problems = observer_sasl_problems(list(members), dict(desired))
    if problems:
        return dict(steps=[], errors=problems)
    if not plan.get('live'):
        return dict(steps=[], errors=[])
    actions = plan.get('instances', {})
    current = [dict(infos[m['name']].get('quorum_stages') or dict(tls=0, sasl=0),
                    owed=bool(infos[m['name']].get('restart_owed'))) for m in members
               if actions.get(m['name'], {}).get('action') in ('member', 'convert') and m['name'] in infos]
    return switch_steps(current, dict((k, int(v)) for k, v in dict(desired).items()))


def zookeeper_quorum_config(stages, files):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_quorum_security import config_keys
    return config_keys(dict(stages), dict(files))


def zookeeper_subject_alt_names(names):
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_security_settings import subject_alt_names
    return subject_alt_names(list(names))


def zookeeper_certificate_problems(pem, addresses, warn_days=30, source_ips=None, version=None):
    """{'errors': [...], 'warnings': [...], 'sha256': ...} for a member's TLS material (cert, key and ca PEM texts).
    ``source_ips``: the IPs the member connects to its quorum peers from, checked when given; a missing one is an
    error for a ``version`` without the reverse-DNS fallback (a tarball's zookeeper_version), else a warning."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import (
        certificate_problems, fingerprint, reverse_dns_switch)
    errors, warnings = certificate_problems(pem.get('cert'), pem.get('key'), pem.get('ca'), list(addresses),
                                            int(warn_days), source_ips=list(source_ips or []),
                                            source_ip_required=reverse_dns_switch(version))
    try:
        sha256 = fingerprint(pem.get('cert'))
    except ValueError:
        sha256 = None
    return dict(errors=errors, warnings=warnings, sha256=sha256)


def zookeeper_tls_rollover(hosts, hostvars, files):
    """The CA rollover stages for the play's ``hosts`` (module_utils/zk_certificates.rollover_steps), from each host's
    deployed certificates (zk_host_info, registered as __zookeeper_host) and the ones it is to have: __zookeeper_tls_pem
    in the write phase; before it (preflight, where it is unset or empty), the PEM variables as given (a lab CA is
    made in the write phase)."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import rollover_steps
    members = []
    for host in hosts:
        hv = hostvars[host]
        pem = hv.get('__zookeeper_tls_pem') or {}
        if not pem.get('cert'):  # preflight: the run's material is not made yet (read/vars.yml leaves it empty)
            pem = dict(ca=hv.get('zookeeper_tls_ca') or '', cert=hv.get('zookeeper_tls_cert') or '')
        found = (hv.get('__zookeeper_host') or {}).get('certificates') or {}
        if not pem.get('cert'):
            continue
        # The running servers that keep the TLS material they started with (3.8.0's client port): what they
        # present, and whether one owes a restart (its files are ahead of it).
        servers = [s for s in (hv.get('__zookeeper_host') or {}).get('servers') or []
                   if s.get('server_version') and not s.get('reloads_certificates')]
        members.append(dict(host=host, deployed_trust=found.get(files['truststore'], []),
                            deployed_cert=found.get(files['keystore'], []), trust=pem.get('ca'), cert=pem.get('cert'),
                            presented=[s['presented_certificate']['pem'] for s in servers if s.get('presented_certificate')],
                            owed=any(s.get('restart_owed') for s in servers)))
    return rollover_steps(members)


def zookeeper_super_digest(password, user='super'):
    """user:base64(sha1(user:password)), the form of zookeeper.DigestAuthenticationProvider.superDigest."""
    raw = hashlib.sha1(('%s:%s' % (user, password)).encode('utf-8')).digest()
    return '%s:%s' % (user, base64.b64encode(raw).decode('ascii'))


def zookeeper_rebuild_plan(members, infos, kind, manifest=None, force=False, superuser=False):
    """``kind``: restore or recover; ``infos``: zk_server_info entries (a list, or a dict by instance name)."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_rebuild import backup_plan, recover_plan, restore_plan
    force, superuser = boolean(force, strict=False), boolean(superuser, strict=False)
    infos = _by_name(infos)
    if kind == 'backup':
        return backup_plan(list(members), infos)
    if kind == 'restore':
        return restore_plan(list(members), infos, dict(manifest or {}), bool(force), bool(superuser))
    if kind == 'recover':
        return recover_plan(list(members), infos, bool(superuser))
    raise AnsibleFilterError('zookeeper_rebuild_plan: kind must be backup, restore or recover, got %r' % (kind,))


def zookeeper_preflight(values, inventory_hosts=None, host_state=None, services=None, facts=None, families=None):
    """``values``: the role's variables by name. Without ``host_state``, checks the values (and, given ``facts``,
    the platform against the supported OS ``families`` and the install method); with it (zk_host_info's result),
    checks the directories and units it read. Returns dict(problems, warnings)."""
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_security_settings import security_problems, security_settings
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_settings import (
        as_bool, exporter_unit_problems, path_problems, platform_problems, settings_problems, unit_problems)
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_advisories import preflight_warnings
    values = dict(values)
    if host_state is None:
        # The platform and every variable first; the TLS and SASL rules only once the values themselves are usable.
        result = settings_problems(values, list(inventory_hosts) if inventory_hosts is not None else None)
        if facts is not None:
            result['problems'] = platform_problems(values, facts, list(families or [])) + result['problems']
        if not result['problems']:
            result['problems'] = security_problems(security_settings(values))
        if values.get('zookeeper_install_method') == 'tarball':   # the version it targets; running servers later
            result['warnings'] = result['warnings'] + preflight_warnings(values)
        return result
    problems = path_problems(values, host_state.get('paths') or {})
    for service in services or []:
        problems.extend(unit_problems(service, (host_state.get('units') or {}).get(service)))
        if as_bool(values.get('zookeeper_metrics', False)):
            problems.extend(exporter_unit_problems(service, (host_state.get('units') or {}).get(service + '-metrics')))
    versions = [s.get('server_version') for s in host_state.get('servers') or []]
    return dict(problems=problems, warnings=preflight_warnings(values, versions, target=False))


class FilterModule(object):
    def filters(self):
        return dict(
            zookeeper_members=zookeeper_members,
            zookeeper_member_problems=zookeeper_member_problems,
            zookeeper_restarts=zookeeper_restarts,
            zookeeper_inventory_hosts=zookeeper_inventory_hosts,
            zookeeper_membership_plan=zookeeper_membership_plan,
            zookeeper_static_config=zookeeper_static_config,
            zookeeper_super_digest=zookeeper_super_digest,
            zookeeper_quorum_switch=zookeeper_quorum_switch,
            zookeeper_quorum_config=zookeeper_quorum_config,
            zookeeper_subject_alt_names=zookeeper_subject_alt_names,
            zookeeper_fleet_problems=zookeeper_fleet_problems,
            zookeeper_certificate_problems=zookeeper_certificate_problems,
            zookeeper_tls_rollover=zookeeper_tls_rollover,
            zookeeper_rich_rules=zookeeper_rich_rules,
            zookeeper_metrics_provider=zookeeper_metrics_provider,
            zookeeper_stale_rich_rules=zookeeper_stale_rich_rules,
            zookeeper_firewalld_changes=zookeeper_firewalld_changes,
            zookeeper_invalid_sources=zookeeper_invalid_sources,
            zookeeper_status_table=zookeeper_status_table,
            zookeeper_rebuild_plan=zookeeper_rebuild_plan,
            zookeeper_preflight=zookeeper_preflight,
        )

# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's view of the ensemble, built from the inventory: one entry per ZooKeeper instance.

A host runs one instance (zookeeper_id and the port variables) or several
(zookeeper_instances, the tutorials' pseudo-cluster).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, boolean
from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_endpoint import canonical, endpoint, is_ipv6

_IP = re.compile(r'^[0-9.]+$')


def _int_or_raw(value):
    if value is None:
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() else value


def _lower(value):
    """A value as Ansible's boolean lists spell it (a string in lower case, or the value itself)."""
    return value.lower() if isinstance(value, str) else value


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


# The role's defaults (roles/zookeeper/defaults/main.yml) for what a host does not set.
ROLE_DEFAULTS = dict(quorum_port=2888, election_port=3888, client_port=2181, service_name='zookeeper',
                     conf_dir='/etc/zookeeper/conf_zkops', data_dir='/var/lib/zookeeper', data_log_dir='',
                     client_tls=False, secure_client_port=2281, client_plaintext=True, metrics=True,
                     metrics_port=7000, metrics_role_port=7100)


def build_members(hosts, hostvars, defaults=None):
    """Instances of ``hosts`` (inventory names), from ``hostvars``.

    ``defaults`` holds the role's values for variables a host does not set:
    quorum_port, election_port, client_port, service_name, conf_dir, data_dir,
    data_log_dir, client_tls, secure_client_port, client_plaintext.  Without them, the role's
    defaults (ROLE_DEFAULTS).

    Without the plaintext client port (client_plaintext false, with client TLS), the server
    line has no client address and ``client``/``remote_client`` are the TLS port: the role's
    checks connect there with TLS.
    """
    defaults = dict(ROLE_DEFAULTS, **(defaults or {}))
    out = []
    for host in hosts:
        hv = hostvars[host]
        address = canonical(_get(hv, 'zookeeper_address', host))
        source = _get(hv, 'zookeeper_firewall_source')
        if source is None:
            if _IP.match(address) or is_ipv6(address):
                source = address
            else:
                facts = _get(hv, 'ansible_facts', {}) or {}
                source = _get(_get(facts, 'default_ipv4', {}) or {}, 'address', '')
        instances = list(_get(hv, 'zookeeper_instances', []) or [])
        multi = len(instances) > 0
        service = _get(hv, 'zookeeper_service_name', defaults['service_name'])
        bind = _get(hv, 'zookeeper_client_port_address', '') or ''
        tls = boolean(_get(hv, 'zookeeper_client_tls', defaults['client_tls']), strict=False)
        secure_port = int(_get(hv, 'zookeeper_secure_client_port', defaults['secure_client_port'])) if tls else 0
        plaintext = not (tls and _lower(_get(hv, 'zookeeper_client_plaintext', defaults['client_plaintext'])) in BOOLEANS_FALSE)
        metrics = _lower(_get(hv, 'zookeeper_metrics', defaults['metrics'])) not in BOOLEANS_FALSE
        mport = _int_or_raw(_get(hv, 'zookeeper_metrics_port', defaults['metrics_port']))
        rport = _int_or_raw(_get(hv, 'zookeeper_metrics_role_port', defaults['metrics_role_port']))
        for index, inst in enumerate(instances if multi else [{'id': _get(hv, 'zookeeper_id')}]):
            sid = _int_or_raw(inst.get('id'))
            qport = int(inst.get('quorum_port') or _get(hv, 'zookeeper_quorum_port', defaults['quorum_port']))
            eport = int(inst.get('election_port') or _get(hv, 'zookeeper_election_port', defaults['election_port']))
            cport = int(inst.get('client_port') or _get(hv, 'zookeeper_client_port', defaults['client_port']))
            sub = ('/%s' % sid) if multi else ''
            log_dir = defaults.get('data_log_dir') or ''
            name = ('%s/%s' % (host, sid)) if multi else host
            conf_dir = defaults['conf_dir'] + sub
            data_dir = defaults['data_dir'] + sub
            local_host = bind or '127.0.0.1'
            local_plain = endpoint(local_host, cport)
            secure_client = endpoint(address, secure_port) if secure_port else None
            client = local_plain if plaintext else secure_client
            remote_client = endpoint(address, cport if plaintext else secure_port)
            out.append(dict(
                host=host,
                name=name,
                id=sid,
                role=inst.get('role') or _get(hv, 'zookeeper_role', 'participant'),
                address=address,
                quorum_port=qport,
                election_port=eport,
                client_port=cport,
                secure_client_port=secure_port,
                plaintext=plaintext,
                client_ports=([cport] if plaintext else []) + ([secure_port] if secure_port else []),
                client=client,
                remote_client=remote_client,
                remote_secure_client=endpoint(address, secure_port) if secure_port else None,
                line_client_address=bind or '0.0.0.0',
                endpoint=endpoint(address, qport),
                # The wildcard the role's own listeners (the metrics exporter) bind: IPv6's, which takes IPv4 too,
                # where the member is addressed by an IPv6 literal.
                listen_any='::' if is_ipv6(address) else '0.0.0.0',
                # Where the role's own checks on the member itself reach its plaintext client port.
                local_host=local_host,
                firewall_source=str(source),
                service=('%s-%s' % (service, sid)) if multi else service,
                # The metrics ports (the exporter's or the native provider's, and the role's series beside the
                # native provider): an instance of a pseudo-cluster takes its own, or the base port plus its index.
                metrics=metrics,
                metrics_port=_int_or_raw(inst.get('metrics_port') or (_plus(mport, index) if multi else mport)),
                metrics_role_port=_int_or_raw(inst.get('metrics_role_port') or (_plus(rport, index) if multi else rport)),
                conf_dir=conf_dir,
                data_dir=data_dir,
                data_log_dir=(log_dir + sub) if log_dir else '',
                server=dict(id=sid, address=address, quorum_port=qport, election_port=eport,
                            role=inst.get('role') or _get(hv, 'zookeeper_role', 'participant'),
                            client_port=cport if plaintext else 0, client_address=bind or '0.0.0.0',
                            secure_client_port=secure_port),
                # zk_server_info reads both client ports: the plaintext one may be turned off (or not yet).
                probe=dict(name=name, config=conf_dir + '/zoo.cfg', data_dir=data_dir, client=local_plain,
                           secure_client=secure_client, data_log_dir=(log_dir + sub) if log_dir else None),
            ))
    return out


def _plus(port, index):
    return port + index if isinstance(port, int) else port


def duplicates(values):
    """Values that occur more than once, in order of first repetition."""
    seen, dups = set(), []
    for value in values:
        key = repr(value)
        if key in seen and value not in dups:
            dups.append(value)
        seen.add(key)
    return dups


def _valid_id(value):
    return value is not None and re.match(r'^[0-9]+\Z', str(value)) is not None and 1 <= int(value) <= 255


def member_problems(members, host, group, instances_given=False, allow_unsafe=False, client_tls=False,
                    group_known=True):
    """What is wrong with the ensemble the inventory describes (``members``, from build_members), seen from
    ``host``: its own instances (ids, ports), then the ensemble as a whole (ids and quorum endpoints used twice,
    participants). ``group_known`` false (the group named is not in the inventory, or has no hosts) is refused
    alone. Returns dict(problems, ensemble_warnings); every message names the variable and its value.
    ``ensemble_warnings`` are the same on every host (the role prints them once)."""
    problems = []
    if not boolean(group_known, strict=False):
        return dict(problems=["zookeeper_ensemble_group='%s' names no group with hosts in the inventory: set it to the "
                              "inventory group of the ensemble's members." % group], ensemble_warnings=[])
    local = [m for m in members if m['host'] == host]
    if not local:
        hosts = list(dict.fromkeys(m['host'] for m in members))
        problems.append("this host is not in the inventory group zookeeper_ensemble_group='%s' (%s)."
                        % (group, ', '.join(hosts)))
    id_var = 'zookeeper_instances id' if instances_given else 'zookeeper_id'
    for m in local:
        if not _valid_id(m['id']):
            problems.append('%s=%s is invalid; set a unique integer from 1 to 255 for every member.'
                            % (id_var, m['id'] if m['id'] is not None else '(not set)'))
    port_keys = ('client_port', 'quorum_port', 'election_port')
    dup_ports = duplicates([m[k] for k in port_keys for m in local])
    if dup_ports:
        problems.append('port(s) %s used twice in zookeeper_instances (each instance needs its own client, quorum '
                        'and election port).' % ', '.join(str(p) for p in dup_ports))
    elif len(local) > 1:
        taken = [m[k] for k in port_keys + ('secure_client_port',) for m in local if m.get(k)]
        for m in local:
            for key in ('metrics_port', 'metrics_role_port'):
                if m.get('metrics') and m.get(key) in taken:
                    problems.append('%s has %s=%s, a port another instance of this host already uses (each instance '
                                    'needs its own; set %s in zookeeper_instances).' % (m['name'], key, m[key], key))
                taken.append(m.get(key))
    names = ('client_port', 'quorum_port', 'election_port') + (('secure_client_port',) if client_tls else ())
    for m in local:
        for name in names:
            value = m[name]
            if not (isinstance(value, int) and 1 <= value <= 65535):
                problems.append('%s has %s=%s; ports are 1-65535.'
                                % (m['name'], ('zookeeper_instances ' + name) if instances_given else
                                   ('zookeeper_' + name), value))
    for sid in duplicates([m['id'] for m in members if m['id'] is not None]):
        problems.append('zookeeper_id=%s is set on more than one member: %s.'
                        % (sid, ', '.join(m['name'] for m in members if m['id'] == sid)))
    for endpoint in duplicates([m['endpoint'] for m in members]):
        problems.append('Quorum endpoint %s (zookeeper_address:zookeeper_quorum_port) is used by more than one '
                        'member: %s.' % (endpoint, ', '.join(m['name'] for m in members if m['endpoint'] == endpoint)))
    participants = [m['name'] for m in members if m['role'] == 'participant']
    if not participants:
        problems.append("The ensemble group '%s' has no participants (every member has zookeeper_role=observer); "
                        "observers need participants to follow." % group)
    elif len(participants) == 2 and not allow_unsafe:
        problems.append('The ensemble has 2 participants (%s): a quorum of 2 needs both, so it tolerates 0 failures, '
                        'worse than 1 server. Use 3 (or 1), or set zookeeper_allow_unsafe_ensemble=true.'
                        % ', '.join(participants))
    ensemble_warnings = []
    if len(participants) > 2 and len(participants) % 2 == 0:
        ensemble_warnings.append('%d participants tolerate %d failure(s), the same as %d. An odd number of '
                                 'participants is the usual choice.' % (len(participants), (len(participants) - 1) // 2,
                                                                        len(participants) - 1))
    return dict(problems=problems, ensemble_warnings=ensemble_warnings)


def restart_order(plan):
    """Instances to restart, followers and observers first and the leader last."""
    return [m for m in plan if m.get('mode') != 'leader'] + [m for m in plan if m.get('mode') == 'leader']


def restart_plan(results):
    """Instances to restart (zk_status loop results), each with its mode before the restart."""
    plan = []
    for result in results:
        servers = result.get('servers') or [{'mode': 'unknown'}]
        plan.append(dict(result['item'], mode=servers[0].get('mode') or 'unknown'))
    return plan


# Why a round of restarts happens (tasks/apply/restart.yml), in the order a run meets them.
ROUND_KINDS = ('rollover', 'switch', 'owed', 'plaintext')


def staged_rounds(rollover_steps, switch_steps):
    """The rounds of restarts that carry a staged change, in the order they run.

    A CA rollover's stages come first (every member trusts both CAs, then presents its new
    certificate), then the quorum TLS/SASL switch steps; each round writes its stage's files,
    then restarts. The final files of both are written after the last round (tasks/main.yml).
    """
    rounds = [dict(kind='rollover', stage=s['stage'], step=s) for s in rollover_steps or []]
    rounds += [dict(kind='switch', stage='TLS stage %s, SASL stage %s' % (s['tls'], s['sasl']), step=s) for s in switch_steps or []]
    return rounds


def restarts_due(instances, kind, server_info=(), joiners=(), written=False, started=(), was_running=(),
                 changed=(), rolling=False, stores=(), restarted=()):
    """The instances of one host that a round of restarts restarts: the one place that decides.

    - ``rollover``: a CA rollover stage wrote new files (``written``): the running servers that
      cannot reload their TLS files (zk_server_info's ``reloads_certificates``), or every running
      server when the stage changed both the key store and the trust store (``stores``, the labels of
      the files it changed; see tls_file_restarts). Also, whatever this stage writes, a running server
      that cannot reload and is behind its files: it owes a restart (``restart_owed``) or presents a
      certificate other than its key store's (``certificate_stale``), unless it was ``restarted`` earlier in
      this run. A stage is done when the servers run it, so its debts are paid before the next is written.
    - ``switch``: a quorum switch step: every member but the joiners and those the step just
      ``started`` (left down by an interrupted switch; they start on the step's files).
    - ``owed``: running before the apply phase (``was_running``) and either their files
      ``changed`` in this run or a restart is owed from an earlier one (zk_server_info's
      ``restart_owed``) and not paid by a restart earlier in this run (``restarted``); every running
      instance when ``rolling`` (zookeeper_rolling_restart).
    - ``plaintext``: after the reconfig that dropped the plaintext client addresses: every
      member but the joiners.
    """
    if kind not in ROUND_KINDS:
        raise ValueError('kind must be one of %s, got %r' % (', '.join(ROUND_KINDS), kind))
    written, rolling = boolean(written, strict=False), boolean(rolling, strict=False)
    info = dict((i.get('name'), i) for i in server_info or [])
    names = [i['name'] for i in instances]
    if kind == 'rollover':
        both = both_stores_changed(stores)
        running = [n for n in names if info.get(n, {}).get('server_version')]
        due = [n for n in running if (written and (both or not info[n].get('reloads_certificates')))
               or (n not in restarted and not info[n].get('reloads_certificates')
                   and (info[n].get('restart_owed') or info[n].get('certificate_stale')))]
    elif kind == 'switch':
        due = [n for n in names if n not in joiners and n not in started]
    elif kind == 'owed':
        owed = names if rolling else [n for n in names if info.get(n, {}).get('restart_owed') and n not in restarted]
        due = [n for n in names if n in was_running and (n in changed or n in owed)]
    else:
        due = [n for n in names if n not in joiners]
    return [i for i in instances if i['name'] in due]


def apply_idle(instances, units, server_info=(), changed=(), units_changed=False, reloaded=(), rolling=False):
    """Whether the apply phase's start step (tasks/apply/start.yml) has nothing to do on this host: every
    instance's unit is active and enabled (``units``: zk_host_info's, by service), no unit file changed (no
    daemon-reload), no running instance owes a restart (restarts_due ``owed``: files ``changed`` in this run, a
    marker left by an earlier one, ``rolling``), and no server ``reloaded`` TLS files whose certificate is to be
    checked. tasks/main.yml skips the step for the whole play when every host is idle and the plan has no staged
    round, joiner, reconfig, leaver or dropped client address.
    """
    if boolean(units_changed, strict=False) or list(reloaded or []):
        return False
    for instance in instances:
        unit = (units or {}).get(instance['service']) or {}
        if not (unit.get('active') and unit.get('enabled')):
            return False
    running = [i['name'] for i in instances]
    return not restarts_due(instances, 'owed', server_info=server_info, was_running=running, changed=changed,
                            rolling=rolling)


# What zk_server_info reports for an instance with no process listening on its client port.
DOWN_MODES = (None, 'unreachable')


def restart_blockers(members, infos):
    """Members whose absence makes a rolling restart unsafe, as messages.

    ``infos`` are zk_server_info entries by instance name, read before this run
    changed anything.  A member blocks when it is not running although it was
    configured before (its zoo.cfg exists) and this role did not leave it down
    (no owed-restart marker: someone stopped it, or it crashed), or when its
    state could not be read at all.  New members (nothing on disk) and members
    whose own restart failed earlier are started by the role, so they do not block.
    """
    out = []
    for member in members:
        info = infos.get(member['name'])
        where = '%s (id %s, %s)' % (member['host'], member['id'], member['remote_client'])
        if info is None:
            out.append('%s: its state could not be read.' % where)
        elif info.get('mode') in DOWN_MODES and info.get('form') != 'none' and not info.get('restart_owed'):
            out.append('%s is not running, and this role did not stop it.' % where)
    return out


def inventory_hosts(servers, hostvars, all_hosts, defaults):
    """For servers (dicts with id and address), the inventory host and service that run them.

    A host matches when its zookeeper_address, ansible_host or inventory name is
    the server's address.  Servers no inventory host matches get host None.
    """
    out = []
    for server in servers:
        found = None
        for host in all_hosts:
            hv = hostvars[host]
            names = [canonical(name) for name in (_get(hv, 'zookeeper_address', host), _get(hv, 'ansible_host', host), host)]
            if canonical(server['address']) in names:
                found = host
                break
        service = defaults['service_name']
        if found is not None:
            hv = hostvars[found]
            service = _get(hv, 'zookeeper_service_name', service)
            if _get(hv, 'zookeeper_instances', []):
                service = '%s-%s' % (service, server['id'])
        out.append(dict(id=int(server['id']), address=server['address'], host=found, service=service))
    return out


# The labels of the TLS files in the security write (tasks/write/stores.yml).
TLS_STORES = ('keystore', 'truststore')


def both_stores_changed(stores):
    """Whether ``stores`` (labels of the files a write changed) holds both the key store and the trust store:
    then no server may be left to reload them (see tls_file_restarts)."""
    return all(label in (stores or ()) for label in TLS_STORES)


def tls_file_restarts(names, stores=(), server_info=()):
    """What renewed TLS files cost the instances ``names`` of one host: ``stores`` is the labels of the
    files the write changed (only ``keystore`` and ``truststore`` count). Returns ``dict(restart=[...], reloaded=[...])``.

    A server that reloads its TLS files (zk_server_info's ``reloads_certificates``) uses a renewed key store
    or trust store on new connections. It must not be asked to when both changed in one write: ZooKeeper
    (3.8.0 and 3.9.3 alike, X509Util) watches each file with its own thread, and each rebuilds the whole
    TLS context, reading the key and the certificate of the key store in two reads. Two files replaced
    together can leave the context of the later thread half old and half new, for good: on 3.8.0 the
    quorum port then presented a certificate its key did not sign (tests/integration/test_tls_reload.py).
    Those instances restart instead. A renewal from the same CA and most rollover stages change one file.
    """
    if not any(label in TLS_STORES for label in stores or ()):
        return dict(restart=[], reloaded=[])
    reloading = set(i.get('name') for i in server_info or [] if i.get('reloads_certificates'))
    if both_stores_changed(stores):
        reloading = set()
    return dict(restart=[n for n in names if n not in reloading], reloaded=[n for n in names if n in reloading])


def changed_instances(registered, loop_var='__zookeeper_instance'):
    """Names of the instances whose loop result changed in any of ``registered`` (registered loop results).

    A zk_files result counts its files only, and not those labelled ``host`` (the host's base files, such as
    zkServer.sh's environment): a directory's owner or mode, or a file no server reads, needs no restart."""
    names = []
    for reg in registered:
        for result in (reg or {}).get('results', []):
            name = (result.get(loop_var) or {}).get('name')
            if isinstance(result.get('files'), list):
                changed = any(f.get('changed') and f.get('label') != 'host' for f in result['files'])
            else:
                changed = result.get('changed')
            if changed and name is not None and name not in names:
                names.append(name)
    return names


def _ports(member):
    keys = ('client_port', 'quorum_port', 'election_port', 'secure_client_port')
    ports = set(member[k] for k in keys if member.get(k))
    if member.get('metrics'):
        ports.update(p for p in (member.get('metrics_port'), member.get('metrics_role_port')) if isinstance(p, int))
    return ports


def fleet_problems(host, play_hosts, hostvars, groups, defaults=None):
    """What is wrong with several ensembles in one play, seen from ``host``. Each play host names its ensemble by
    ``zookeeper_ensemble_group`` (default ``zookeeper``).

    - ``host`` is in the groups of two ensembles of the play: refused, naming both groups (it would be configured,
      restarted and backed up twice, as a member of each);
    - a host of another ensemble is the same machine (same ``ansible_host``, or the same name) and shares a port with
      this host's instances (client, quorum, election, TLS client or metrics ports): refused, naming both;
    - with the lab CA, hosts of the play use different lab CA directories or generations: refused (the play makes
      one lab CA, from its first host's settings).
    Returns a list of messages."""
    problems = []
    hv = hostvars[host]
    ensembles = list(dict.fromkeys(str(_get(hostvars[h], 'zookeeper_ensemble_group', 'zookeeper')) for h in play_hosts))
    mine = str(_get(hv, 'zookeeper_ensemble_group', 'zookeeper'))
    member_of = [g for g in ensembles if host in (groups.get(g) or [])]
    if len(member_of) > 1:
        problems.append("this host is a member of %s, the groups of %d ensembles of this play "
                        "(zookeeper_ensemble_group): a host belongs to one ensemble."
                        % (' and '.join("'%s'" % g for g in member_of), len(member_of)))
    machine = str(_get(hv, 'ansible_host', host))
    others = [h for h in play_hosts if h != host
              and str(_get(hostvars[h], 'zookeeper_ensemble_group', 'zookeeper')) != mine
              and str(_get(hostvars[h], 'ansible_host', h)) == machine]
    if others:
        own = set()
        for m in build_members([host], hostvars, defaults):
            own |= _ports(m)
        for other in others:
            shared = own & set().union(*[_ports(m) for m in build_members([other], hostvars, defaults)])
            if shared:
                group = _get(hostvars[other], 'zookeeper_ensemble_group', 'zookeeper')
                ports = ', '.join(str(p) for p in sorted(shared))
                problems.append("this host and %s (ensemble '%s') are the same machine (%s) and both use port(s) %s: "
                                "give the instances of one ensemble other ports (zookeeper_client_port, "
                                "zookeeper_quorum_port, zookeeper_election_port, zookeeper_metrics_port, "
                                "zookeeper_metrics_role_port, or zookeeper_instances)." % (other, group, machine, ports))
    if boolean(_get(hv, 'zookeeper_tls_lab_ca', False), strict=False):
        def lab(h):
            return (_get(hostvars[h], 'zookeeper_tls_lab_ca_dir'), str(_get(hostvars[h], 'zookeeper_tls_lab_ca_generation', 1)))
        with_lab = [h for h in play_hosts if boolean(_get(hostvars[h], 'zookeeper_tls_lab_ca', False), strict=False)]
        differ = [h for h in with_lab if lab(h) != lab(host)]
        if differ:
            problems.append("zookeeper_tls_lab_ca_dir=%s (generation %s) differs from that of %s: one play makes one "
                            "lab CA; give every ensemble of the play the same lab CA directory and generation, or run "
                            "them in separate plays." % (lab(host)[0], lab(host)[1], ', '.join(differ)))
    return problems

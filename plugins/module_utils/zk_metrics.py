# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's metrics exporter: one member's ``mntr`` as Prometheus series, under the names and types ZooKeeper's
own Prometheus provider (``PrometheusMetricsProvider``, 3.6 and later) gives them, so that one set of alert rules and
one dashboard fit both; and the role's own series, which no provider has.

The mapping (zookeeperMonitor.md: mntr's keys are the provider's metrics with a ``zk_`` prefix):

- a numeric ``zk_<name>`` is the gauge ``<name>`` (``znode_count``, ``outstanding_requests``, ``avg_latency``...);
- a summary that mntr spells ``zk_avg_<s>``, ``zk_min_<s>``, ``zk_max_<s>``, ``zk_cnt_<s>`` and ``zk_sum_<s>`` is the
  summary ``<s>`` (``<s>_count`` and ``<s>_sum``; the provider's quantiles are not in mntr);
- the same with a ``<key>_`` prefix (per-namespace or per-type summaries) stays as it is, a label-free name;
- ``zk_server_state`` and ``zk_version`` are strings: they become ``zkops_server_state{state}`` and
  ``zkops_server_info{version}``.

The role's series: ``zkops_up`` (1 when the server answered mntr, serving or not), ``zkops_quorum`` (1 when the
member serves as a leader, follower, observer or standalone server: it is part of a quorum, from its own point of
view; a running server without a quorum answers mntr with "not currently serving" and has
``zkops_server_state{state="not-serving"}``), ``zkops_restart_owed`` (the role's marker
beside zoo.cfg), ``zkops_certificate_not_after_seconds`` (the notAfter of the certificate the member presents on its
TLS client port) and ``zkops_last_backup_timestamp_seconds`` (the marker the backup playbook leaves).

Reads mntr with zk_fourletter (over TLS with the member's own key store when there is no plaintext port). Runs on
the members as the program ``zkops-exporter`` (the role installs this file and zk_fourletter.py beside it); imports
prometheus_client only there (``serve``), so the mapping is usable without it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import json
import math
import os
import re
import ssl
import time

try:
    from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_fourletter import (
        NOT_SERVING, SERVING_MODES, parse_mntr, send_command)
except ImportError:  # installed on a member as a plain program, beside zk_fourletter.py
    from zk_fourletter import NOT_SERVING, SERVING_MODES, parse_mntr, send_command  # pylint: disable=import-error

_SUMMARY_PARTS = ('avg_', 'min_', 'max_', 'cnt_', 'sum_')
_NAME = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number   # NaN is not a value


def mntr_series(fields):
    """``fields`` (parse_mntr's dict) as ``[(name, kind, value, labels)]``: kind ``gauge`` (value a number),
    ``summary`` (value ``(count, sum)``) or ``info`` (value 1, the string in ``labels``). Names the provider's."""
    out, summaries = [], {}
    for key, value in fields.items():
        name = key[3:] if key.startswith('zk_') else key
        for part in _SUMMARY_PARTS:
            if name.startswith(part) and ('zk_cnt_' + name[len(part):]) in fields \
                    and ('zk_sum_' + name[len(part):]) in fields:
                summaries.setdefault(name[len(part):], {})[part[:-1]] = value
                break
        else:
            if key == 'zk_server_state':
                out.append(('zkops_server_state', 'info', 1, dict(state=value)))
            elif key == 'zk_version':
                out.append(('zkops_server_info', 'info', 1, dict(version=value.split(',')[0].split('-')[0].strip())))
            elif _NAME.match(name) and _number(value) is not None:
                out.append((name, 'gauge', _number(value), {}))
    for name, parts in summaries.items():
        count, total = _number(parts.get('cnt')), _number(parts.get('sum'))
        if _NAME.match(name) and count is not None and total is not None:
            out.append((name, 'summary', (count, total), {}))
    return sorted(out, key=lambda s: s[0])


def tls_context(config):
    """A client TLS context with the member's own key store, trusting its trust store; None without TLS."""
    if not config.get('tls'):
        return None
    context = ssl.create_default_context(cafile=config['tls']['ca'])
    context.check_hostname = False   # the member itself, on the address it listens on
    context.load_cert_chain(config['tls']['cert'], config['tls']['key'])
    return context


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def read_member(config, now=None):
    """Everything one scrape exports for the member ``config`` describes (a dict: ``host``, ``port``, ``timeout``,
    ``tls`` (ca, cert, key) or none, ``conf_dir``, ``backup_marker``): ``[(name, kind, value, labels)]``.
    Never raises for a member that is down or refuses mntr: ``zkops_up`` is then 0."""
    series = []
    fields, certificate, answered = {}, None, False
    try:
        peer = {}
        context = tls_context(config)
        text = send_command(config['host'], int(config['port']), 'mntr', float(config.get('timeout', 3)), context,
                            peer if context is not None else None)
        fields = parse_mntr(text)
        certificate = peer.get('certificate')
        answered = bool(fields) or text.strip().startswith(NOT_SERVING)
        if not fields and answered:
            fields = {'zk_server_state': 'not-serving'}
    except (OSError, ssl.SSLError, ValueError):
        fields = {}
    series.append(('zkops_up', 'gauge', 1 if answered else 0, {}))
    if not config.get('role_only'):
        series.extend(mntr_series(fields))
    elif 'zk_server_state' in fields:
        series.extend(s for s in mntr_series(fields) if s[0] == 'zkops_server_state')
    state = fields.get('zk_server_state')
    series.append(('zkops_quorum', 'gauge', 1 if state in SERVING_MODES else 0, {}))
    owed = os.path.exists(os.path.join(config.get('conf_dir') or '/nonexistent', 'zkops-restart-owed'))
    series.append(('zkops_restart_owed', 'gauge', 1 if owed else 0, {}))
    if certificate and certificate.get('not_after'):
        expires = calendar.timegm(time.strptime(certificate['not_after'], '%Y-%m-%dT%H:%M:%SZ'))
        series.append(('zkops_certificate_not_after_seconds', 'gauge', expires, {}))
    if config.get('tls_warn_days') is not None:
        series.append(('zkops_tls_warn_days', 'gauge', float(config['tls_warn_days']), {}))
    backup = _mtime(config.get('backup_marker') or '')
    if backup is not None:
        series.append(('zkops_last_backup_timestamp_seconds', 'gauge', backup, {}))
    return series


PROVIDER_CLASS = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider'
PROVIDER_JAR = re.compile(r'^zookeeper-prometheus-metrics-[0-9][^/]*\.jar\Z')


def provider_jar(classpath, listings):
    """Where the native provider's jar is on ``classpath`` (the instance's: jar files and ``<dir>/*`` entries).
    ``listings`` is zk_host_info's ``paths`` answer for the directories (``{dir: {exists, entries}}``).
    Returns dict(jar, known): ``jar`` its path or None; ``known`` false when a directory of the classpath is not
    there yet (a tarball this run is to unpack), so the answer must wait for the install."""
    known = True
    for entry in classpath or []:
        entry = str(entry)
        if entry.endswith('/*'):
            directory = entry[:-2]
            listing = (listings or {}).get(directory) or {}
            if not listing.get('exists'):
                known = False
                continue
            for name in sorted(listing.get('entries') or []):
                if PROVIDER_JAR.match(name):
                    return dict(jar='%s/%s' % (directory, name), known=True)
        elif PROVIDER_JAR.match(os.path.basename(entry)):
            return dict(jar=entry, known=True)
    return dict(jar=None, known=known)


def choose_provider(requested, enabled, classpath, listings, host='this host'):
    """Which metrics path a host takes: ``none`` (metrics off), ``native`` (ZooKeeper's own Prometheus provider,
    when its jar is on the classpath) or ``exporter`` (the role's). ``requested`` is zookeeper_metrics_provider:
    ``auto`` (native when the jar is there), ``native`` or ``exporter``. Returns dict(provider, jar, decided,
    problem): ``decided`` false when the classpath is not on the host yet (decide again after the install);
    ``problem`` names the host, the variable and the jar when ``native`` cannot be had."""
    found = provider_jar(classpath, listings)
    out = dict(provider='none', jar=found['jar'], decided=True, problem=None)
    if not enabled:
        return out
    if requested == 'exporter':
        out['provider'] = 'exporter'
    elif found['jar']:
        out['provider'] = 'native'
    elif not found['known']:
        out.update(provider='exporter' if requested == 'auto' else 'native', decided=False)
    elif requested == 'native':
        out['problem'] = ("Host %s: zookeeper_metrics_provider='native', but no zookeeper-prometheus-metrics-*.jar "
                          "is on the server's classpath (%s). Debian's packages do not ship it; Apache's tarballs of "
                          "3.6 and later do. Use 'auto' or 'exporter' (the role's exporter)."
                          % (host, ', '.join(str(c) for c in classpath or []) or 'empty'))
    else:
        out['provider'] = 'exporter'
    return out


HELP = {
    'zkops_up': 'Whether the member answered mntr (1) or not (0) at this scrape.',
    'zkops_quorum': 'Whether the member serves (leader, follower, observer, standalone): part of a quorum, as it sees it.',
    'zkops_restart_owed': 'Whether the zkops.zookeeper role owes the member a restart (its marker beside zoo.cfg).',
    'zkops_certificate_not_after_seconds': 'When the certificate the member presents on its TLS client port expires.',
    'zkops_last_backup_timestamp_seconds': 'When the last verified backup of the ensemble was taken (the backup marker).',
    'zkops_tls_warn_days': 'zookeeper_tls_warn_days as the role set it: the certificate alert fires within it.',
    'zkops_server_state': "The member's mode as mntr reports it (label state).",
    'zkops_server_info': 'The ZooKeeper version the member reports (label version).',
}


class Collector(object):
    """A prometheus_client collector: one mntr per scrape."""

    def __init__(self, config):
        self.config = config

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
        for name, kind, value, labels in read_member(self.config):
            doc = HELP.get(name, 'ZooKeeper mntr %s' % name)
            if kind == 'summary':
                family = SummaryMetricFamily(name, doc, count_value=value[0], sum_value=value[1])
            else:
                family = GaugeMetricFamily(name, doc, labels=sorted(labels))
                family.add_metric([labels[k] for k in sorted(labels)], value)
            yield family


def load_config(path):
    with open(path) as f:
        return json.load(f)


def start(config):
    """Serve the member ``config`` describes on its ``listen_address`` and ``listen_port`` from a thread: only this
    member's series (a registry of its own, without the exporter's process metrics)."""
    from prometheus_client import CollectorRegistry, start_http_server
    registry = CollectorRegistry()
    registry.register(Collector(config))
    start_http_server(int(config['listen_port']), addr=config.get('listen_address', '0.0.0.0'), registry=registry)
    return registry


def _stamp(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime, st.st_size)


def serve(config_path, poll=5.0):
    """The program: serve the member of the JSON file ``config_path`` until it changes (the role writes a new one
    atomically), then return, and systemd (Restart=always) starts it again with the new one. So a run of the role
    killed between writing the configuration and restarting the exporter leaves nothing stale."""
    stamp = _stamp(config_path)
    start(load_config(config_path))
    while _stamp(config_path) == stamp:
        time.sleep(poll)

"""The restart decisions of the apply phase (zk_ensemble_model.restarts_due, staged_rounds) on generated
ensembles, and the order tasks/apply/restart.yml runs a round in.

The role runs a round per host: restarts_due picks the host's instances, zk_status reads their modes,
restart_plan + restart_order make one ensemble order, and apply/restart_one.yml restarts them one at a
time behind the health gate. The properties below are checked on that same pipeline."""
import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import (
    ROUND_KINDS,
    TLS_STORES,
    apply_idle,
    restart_order,
    restart_plan,
    restarts_due,
    staged_rounds,
    tls_file_restarts,
)

ROLE_TASKS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'zookeeper', 'tasks')


@st.composite
def ensembles(draw):
    """Hosts with one or two instances each: ids, roles, what runs, what changed, what is owed."""
    ids = draw(st.lists(st.integers(1, 255), min_size=1, max_size=9, unique=True))
    hosts, instances = {}, []
    for sid in ids:
        host = 'h%d' % draw(st.integers(0, max(0, len(ids) // 2)))
        inst = dict(name='%s/%d' % (host, sid), host=host, id=sid, client='%s:%d' % (host, 2000 + sid),
                    role=draw(st.sampled_from(['participant', 'participant', 'observer'])))
        instances.append(inst)
        hosts.setdefault(host, []).append(inst)
    info, facts = {}, {}
    for inst in instances:
        running = draw(st.booleans())
        info[inst['name']] = dict(name=inst['name'], server_version='3.9.3' if running else None,
                                  reloads_certificates=running and draw(st.booleans()),
                                  restart_owed=draw(st.booleans()), certificate_stale=running and draw(st.booleans()))
        facts[inst['name']] = dict(running=running, changed=draw(st.booleans()), joiner=not running and draw(st.booleans()))
    voters = [i for i in instances if i['role'] == 'participant' and facts[i['name']]['running']]
    leader = draw(st.sampled_from(voters))['name'] if voters else None
    return dict(hosts=hosts, info=info, facts=facts, leader=leader, rolling=draw(st.booleans()))


def round_order(ens, kind, written=None, started=(), stores=(), restarted=()):
    """One round as apply/restart.yml runs it: each host's due instances, their modes, one order."""
    results = []
    for host, local in sorted(ens['hosts'].items()):
        names = [i['name'] for i in local]
        due = restarts_due(local, kind, server_info=[ens['info'][n] for n in names],
                           joiners=[n for n in names if ens['facts'][n]['joiner']], stores=stores,
                           written=(written or {}).get(host, False), started=started,
                           was_running=[n for n in names if ens['facts'][n]['running']],
                           changed=[n for n in names if ens['facts'][n]['changed']], rolling=ens['rolling'],
                           restarted=restarted)
        for inst in due:
            mode = 'leader' if inst['name'] == ens['leader'] else ('observer' if inst['role'] == 'observer' else 'follower')
            results.append(dict(item=inst, servers=[dict(mode=mode)]))
    return restart_order(restart_plan(results))


@settings(max_examples=300)
@given(ensembles())
def test_every_owed_restart_happens_exactly_once_and_the_leader_last(ens):
    order = [m['name'] for m in round_order(ens, 'owed')]
    facts, info = ens['facts'], ens['info']
    owing = set(n for n in facts if facts[n]['running']
                and (ens['rolling'] or facts[n]['changed'] or info[n]['restart_owed']))
    assert sorted(order) == sorted(owing)                 # exactly once each, nobody else
    if ens['leader'] in owing:
        assert order[-1] == ens['leader']
    # never a member that is down or joins: a restart only ever takes down one serving member
    assert not [n for n in order if not facts[n]['running'] or facts[n]['joiner']]


@settings(max_examples=300)
@given(ensembles())
def test_one_member_down_at_a_time_keeps_a_quorum_of_voters_in_every_round(ens):
    facts = ens['facts']
    voters = [i['name'] for local in ens['hosts'].values() for i in local
              if i['role'] == 'participant' and facts[i['name']]['running']]
    written = dict((h, True) for h in ens['hosts'])
    for kind in ROUND_KINDS:
        order = [m['name'] for m in round_order(ens, kind, written=written)]
        assert len(order) == len(set(order)), (kind, order)
        # restart_one.yml waits for the member and the gate before the next: at most one is down.
        for name in order:
            serving = [v for v in voters if v != name]
            if len(voters) >= 3:
                assert len(serving) > len(voters) // 2, (kind, name, voters)
        leaders = [n for n in order if n == ens['leader']]
        assert not leaders or leaders == [order[-1]], (kind, order)


@given(ensembles(), st.sets(st.sampled_from(['h0', 'h1', 'h2', 'h3', 'h4'])), st.sets(st.sampled_from(TLS_STORES)),
       st.data())
def test_a_rollover_stage_restarts_the_servers_that_would_run_behind_their_files(ens, wrote, stores, data):
    """A stage restarts the running servers that cannot reload on the hosts it wrote (every running server there
    when it changed both stores: reloading both at once is unsafe), and, written or not, the running servers that
    cannot reload and are behind their files (a restart owed, a stale certificate) unless restarted earlier in the
    run: a stage is done when the servers run it."""
    both = set(stores) == set(TLS_STORES)
    written = dict((h, h in wrote) for h in ens['hosts'])
    names = sorted(ens['info'])
    restarted = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    order = round_order(ens, 'rollover', written=written, stores=sorted(stores), restarted=restarted)
    info = ens['info']

    def due(host, n):
        i = info[n]
        if not i['server_version']:
            return False
        behind = not i['reloads_certificates'] and (i['restart_owed'] or i['certificate_stale']) and n not in restarted
        return (written[host] and (both or not i['reloads_certificates'])) or behind
    expected = set(n for h, local in ens['hosts'].items() for n in (i['name'] for i in local) if due(h, n))
    assert set(m['name'] for m in order) == expected
    # Never a server that does not run, nor a reloading one on a host the stage left alone.
    assert all(info[m['name']]['server_version'] for m in order)
    assert not [m for m in order if not written[m['host']] and info[m['name']]['reloads_certificates']]


@given(ensembles(), st.data())
def test_a_switch_step_restarts_every_member_but_joiners_and_those_it_started(ens, data):
    names = sorted(ens['facts'])
    started = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    order = set(m['name'] for m in round_order(ens, 'switch', started=started))
    assert order == set(n for n in names if not ens['facts'][n]['joiner'] and n not in started)
    plaintext = set(m['name'] for m in round_order(ens, 'plaintext'))
    assert plaintext == set(n for n in names if not ens['facts'][n]['joiner'])


@given(st.lists(st.integers(1, 2), max_size=2), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=4))
def test_rollover_stages_come_before_switch_steps_each_round_with_its_stage(stages, steps):
    rollover = [dict(stage=s, trust={}, new_cert=[]) for s in stages]
    switch = [dict(tls=t, sasl=s) for t, s in steps]
    rounds = staged_rounds(rollover, switch)
    kinds = [r['kind'] for r in rounds]
    assert kinds == ['rollover'] * len(rollover) + ['switch'] * len(switch)
    assert [r['step'] for r in rounds] == rollover + switch
    assert [r['stage'] for r in rounds[len(rollover):]] == ['TLS stage %d, SASL stage %d' % t for t in steps]
    assert staged_rounds(None, None) == []


@given(ensembles(), st.sets(st.sampled_from(['keystore', 'truststore', 'jaas', 'host'])))
def test_renewed_tls_files_are_reloaded_only_one_store_at_a_time_and_everyone_else_restarts(ens, stores):
    # ZooKeeper rebuilds its TLS context from a thread per watched file; two stores replaced together may
    # be read half old, half new (tests/integration/test_tls_reload.py), so only a single store is reloaded.
    for host, local in ens['hosts'].items():
        names = [i['name'] for i in local]
        got = tls_file_restarts(names, sorted(stores), [ens['info'][n] for n in names])
        assert set(got['restart']) | set(got['reloaded']) == (set(names) if stores & set(TLS_STORES) else set())
        assert not set(got['restart']) & set(got['reloaded'])
        for n in got['reloaded']:
            assert ens['info'][n]['reloads_certificates'] and len(stores & set(TLS_STORES)) == 1
        if len(stores & set(TLS_STORES)) == 1:
            assert set(got['reloaded']) == set(n for n in names if ens['info'][n]['reloads_certificates'])


@given(ensembles(), st.data())
def test_a_host_is_idle_exactly_when_the_start_step_would_do_nothing_on_it(ens, data):
    # tasks/main.yml skips apply/start.yml when every host is idle: that must be exactly when the step, as
    # start.yml computes it, would start, enable, daemon-reload, restart (round owed) and check nothing.
    for host, local in ens['hosts'].items():
        names = [i['name'] for i in local]
        local = [dict(i, service='zookeeper-%d' % i['id']) for i in local]
        units = dict((i['service'], dict(active=ens['facts'][i['name']]['running'], enabled=data.draw(st.booleans())))
                     for i in local if data.draw(st.integers(0, 9)))  # now and then a unit zk_host_info did not find
        units_changed = data.draw(st.integers(0, 3)) == 0
        reloaded = data.draw(st.lists(st.sampled_from(names), max_size=1)) if data.draw(st.integers(0, 3)) == 0 else []
        changed = [n for n in names if ens['facts'][n]['changed']]
        info = [ens['info'][n] for n in names]
        running = [i['name'] for i in local if units.get(i['service'], {}).get('active')]
        to_start = [i for i in local if not (units.get(i['service'], {}).get('active') and units[i['service']].get('enabled'))]
        owed = restarts_due(local, 'owed', server_info=info, was_running=running, changed=changed, rolling=ens['rolling'])
        start_step_work = to_start or owed or units_changed or reloaded
        assert apply_idle(local, units, server_info=info, changed=changed, units_changed=units_changed,
                          reloaded=reloaded, rolling=ens['rolling']) is (not start_step_work)


def test_each_kind_of_work_alone_makes_a_host_not_idle():
    local = [dict(name='a', service='zookeeper'), dict(name='b', service='zookeeper-2')]
    up = dict(active=True, enabled=True)
    units = dict(zookeeper=up, **{'zookeeper-2': up})
    assert apply_idle(local, units, units_changed='False', rolling='false') is True
    for unit in (dict(up, active=False), dict(up, enabled=False), None):
        assert apply_idle(local, dict(units, **{'zookeeper-2': unit})) is False, unit
    assert apply_idle(local, units, units_changed='True') is False
    assert apply_idle(local, units, reloaded=['b']) is False
    assert apply_idle(local, units, changed=['b']) is False
    assert apply_idle(local, units, server_info=[dict(name='b', restart_owed=True)]) is False
    assert apply_idle(local, units, rolling='true') is False


def test_the_role_labels_its_tls_files_as_tls_file_restarts_reads_them():
    with open(os.path.join(ROLE_TASKS, 'write', 'stores.yml')) as f:
        files = yaml.safe_load(f)[0]['vars']['__tls_files']
    assert tuple(f['label'] for f in files) == TLS_STORES
    with open(os.path.join(ROLE_TASKS, 'apply', 'restart.yml')) as f:
        stage = yaml.safe_load(f)[0]['vars']
    assert (stage['__keystore']['label'], stage['__trust']['label']) == TLS_STORES


def test_flags_given_as_text_by_a_template_mean_what_they_say():
    inst = [dict(name='a'), dict(name='b')]
    info = [dict(name='a', server_version='3.9.3'), dict(name='b', server_version='3.8.0')]
    assert restarts_due(inst, 'rollover', server_info=info, written='False') == []
    assert restarts_due(inst, 'rollover', server_info=info, written='True') == inst
    assert restarts_due(inst, 'owed', was_running=['a', 'b'], rolling='False') == []
    assert restarts_due(inst, 'owed', was_running=['a'], rolling='true') == inst[:1]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        restarts_due([], 'reboot')


def _names(path):
    with open(os.path.join(ROLE_TASKS, path)) as f:
        return [t['name'] for t in yaml.safe_load(f)]


def test_a_round_writes_its_stage_before_anything_restarts():
    names = _names('apply/restart.yml')
    first_restart = next(i for i, n in enumerate(names) if n.startswith('Restart | Restart one member at a time'))
    for write in ('TLS rollover | The files of stage', 'Quorum switch | zoo.cfg at the step', 'Quorum switch | The restart is owed',
                  'Restart | The restart is owed'):
        assert next(i for i, n in enumerate(names) if n.startswith(write)) < first_restart, write

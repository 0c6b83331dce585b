# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from hypothesis import given, strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_quorum_security import (
    config_keys,
    observer_sasl_problems,
    stages_of,
    switch_refusals,
    switch_steps,
)

FILES = dict(keystore='/k.pem', truststore='/ca.pem')
STAGE = st.integers(min_value=0, max_value=3)
STAGES = st.fixed_dictionaries(dict(tls=STAGE, sasl=STAGE))


@given(STAGES)
def test_config_keys_read_back_as_the_same_stages(stages):
    assert stages_of(dict(config_keys(stages, FILES))) == stages


def test_stages_follow_zookeepers_documented_order():
    assert [dict(config_keys(dict(tls=t, sasl=0), FILES)).get('sslQuorum') for t in range(4)] == \
        [None, 'false', 'true', 'true']
    assert [dict(config_keys(dict(tls=t, sasl=0), FILES)).get('portUnification') for t in range(4)] == \
        [None, 'true', 'true', 'false']
    sasl = [dict(config_keys(dict(tls=0, sasl=s), FILES)) for s in range(4)]
    assert [k.get('quorum.auth.learnerRequireSasl') for k in sasl] == [None, 'false', 'true', 'true']
    assert [k.get('quorum.auth.serverRequireSasl') for k in sasl] == [None, 'false', 'false', 'true']


@st.composite
def ensembles(draw):
    """Members as the role can leave them: level, or an interrupted step one stage apart."""
    base = draw(st.fixed_dictionaries(dict(tls=st.integers(0, 2), sasl=st.integers(0, 2))))
    spread = draw(st.fixed_dictionaries(dict(tls=st.integers(0, 1), sasl=st.integers(0, 1))))
    size = draw(st.integers(1, 7))
    lagging = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    return [dict(tls=base['tls'] + (spread['tls'] if lag else 0), sasl=base['sasl'] + (spread['sasl'] if lag else 0))
            for lag in lagging]


@given(ensembles(), STAGES)
def test_every_rolling_step_keeps_all_members_able_to_talk(members, desired):
    plan = switch_steps(members, desired)
    assert plan['errors'] == []
    running = list(members)
    for stage in plan['steps'] + [desired]:
        # During the rolling restart, members on the old and the new stage coexist.
        for m in running:
            for f in ('tls', 'sasl'):
                assert abs(m[f] - stage[f]) <= 1, (members, desired, plan)
        running = [stage] * len(running)
    assert running[0] == desired


@given(ensembles(), STAGES)
def test_no_step_is_wasted(members, desired):
    plan = switch_steps(members, desired)
    level = all(m == members[0] for m in members)
    distance = max(max(abs(m[f] - desired[f]) for m in members) for f in ('tls', 'sasl'))
    # One rolling restart per stage of distance (the role pays the last one itself); an
    # interrupted step first brings the members level, which may cost one more.
    if level:
        assert len(plan['steps']) == max(distance - 1, 0)
    else:
        assert len(plan['steps']) <= distance
    assert desired not in plan['steps']


def test_members_two_stages_apart_are_refused_with_their_stages():
    plan = switch_steps([dict(tls=0, sasl=0), dict(tls=2, sasl=0)], dict(tls=3, sasl=0))
    assert plan['steps'] == []
    assert '2 quorum TLS stages apart (0, 2)' in plan['errors'][0]


def test_plaintext_to_tls_and_sasl_takes_two_intermediate_steps():
    assert switch_steps([dict(tls=0, sasl=0)] * 3, dict(tls=3, sasl=3))['steps'] == \
        [dict(tls=1, sasl=1), dict(tls=2, sasl=2)]


def test_an_interrupted_step_is_finished_first():
    members = [dict(tls=2, sasl=0), dict(tls=1, sasl=0), dict(tls=1, sasl=0)]
    assert switch_steps(members, dict(tls=3, sasl=0))['steps'] == [dict(tls=2, sasl=0)]


def test_turning_tls_off_walks_back():
    assert switch_steps([dict(tls=3, sasl=0)] * 3, dict(tls=0, sasl=0))['steps'] == \
        [dict(tls=2, sasl=0), dict(tls=1, sasl=0)]


def test_a_member_that_has_not_loaded_its_stage_yet_restarts_on_it_first():
    # zoo.cfg says stage 1 everywhere, but one member still runs what it had before.
    members = [dict(tls=1, sasl=1), dict(tls=1, sasl=1, owed=True), dict(tls=1, sasl=1)]
    assert switch_steps(members, dict(tls=3, sasl=3))['steps'] == [dict(tls=1, sasl=1), dict(tls=2, sasl=2)]


@given(ids=st.lists(st.integers(1, 255), min_size=2, max_size=9, unique=True), observers=st.integers(1, 3),
       sasl=st.sampled_from([0, 1, 2, 3]))
def test_quorum_sasl_refuses_an_observer_below_any_participant(ids, observers, sasl):
    # ZooKeeper participants skip SASL towards observers, and only the higher id's connection is kept.
    observers = min(observers, len(ids) - 1)
    members = [dict(host='h%d' % i, id=i, role='observer' if n < observers else 'participant') for n, i in enumerate(ids)]
    top_voter = max(m['id'] for m in members if m['role'] == 'participant')
    low = [m for m in members if m['role'] == 'observer' and m['id'] < top_voter]
    problems = observer_sasl_problems(members, dict(tls=3, sasl=sasl))
    assert len(problems) == (len(low) if sasl == 3 else 0)
    for m, message in zip(low, problems if sasl == 3 else []):
        assert 'Host %s:' % m['host'] in message and 'zookeeper_id=%d' % m['id'] in message


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=4), st.booleans(), st.booleans(),
       st.lists(st.sampled_from(['zka (id 1, zka:2181) is not running, and this role did not stop it.']), max_size=1))
def test_a_switch_is_refused_exactly_when_it_lacks_its_material_or_a_member_is_down(stages, password, tls, blockers):
    steps = [dict(tls=t, sasl=s) for t, s in stages]
    msg = ' '.join(switch_refusals(steps, password, tls, blockers))
    assert ('zookeeper_quorum_sasl_password' in msg) == (any(s for t, s in stages) and not password)
    assert ('zookeeper_tls_cert' in msg) == (any(t for t, s in stages) and not tls)
    assert ('restarts every member' in msg) == bool(steps and blockers)
    assert switch_refusals([], False, False, blockers) == []

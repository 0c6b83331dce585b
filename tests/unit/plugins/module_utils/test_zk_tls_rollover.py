"""The staged CA rollover plan (zk_certificates.rollover_steps), on generated ensembles: old and new CA sets
that may overlap, members whose certificates change or not, hosts that write their files in any order
within a stage, and runs interrupted anywhere and finished by the next run planned from what the hosts
then hold. At every moment, every member trusts the CA of the certificate every other member presents;
at the end every member trusts exactly the new CAs and presents its new certificate."""
import base64
import random

from hypothesis import given, settings, strategies as st

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_certificates import rollover_steps

ISSUER = {}   # PEM block -> the CA that issued it (a CA's own block -> itself)


def _block(label):
    body = base64.b64encode(('%s-%s' % (label, random.random())).encode() * 3).decode()
    block = '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----' % body
    return block


def _ca(name):
    block = _block('ca ' + name)
    ISSUER[block] = block
    return block


def _leaf(host, ca):
    block = _block('leaf %s' % host)
    ISSUER[block] = ca
    return block


def _check(state):
    for a in state.values():
        for b in state.values():
            assert ISSUER[b['cert']] in a['trust'], 'a member does not trust what another presents'


def _run(state, targets, order, stop_after=None):
    """Apply the plan's stages, then the ordinary write, host by host in ``order``; check after every write.
    ``stop_after``: stop after that many host writes (an interrupted run). Returns the writes done."""
    members = [dict(host=h, deployed_trust=state[h]['trust'], deployed_cert=[state[h]['cert']],
                    trust='\n'.join(targets[h]['trust']), cert=targets[h]['cert']) for h in state]
    writes = 0
    for step in rollover_steps(members) + [None]:
        for host in order:
            if stop_after is not None and writes >= stop_after:
                return writes
            if step is None:
                state[host] = dict(trust=list(targets[host]['trust']), cert=targets[host]['cert'])
            else:
                trust = [b for b in step['trust'][host].split('\n-----END CERTIFICATE-----') if b.strip()]
                trust = [b.strip() + '\n-----END CERTIFICATE-----' for b in trust]
                cert = targets[host]['cert'] if host in step['new_cert'] else state[host]['cert']
                state[host] = dict(trust=trust, cert=cert)
            writes += 1
            _check(state)
    return writes


@settings(max_examples=150, deadline=None)
@given(hosts=st.integers(1, 7), old_cas=st.integers(1, 2), new_cas=st.integers(1, 2), shared=st.booleans(),
       changed=st.floats(0, 1), seed=st.integers(0, 10 ** 6), stop=st.one_of(st.none(), st.integers(0, 30)))
def test_every_member_always_trusts_what_every_other_presents(hosts, old_cas, new_cas, shared, changed, seed, stop):
    rng = random.Random(seed)
    old = [_ca('old%d' % i) for i in range(old_cas)]
    new = [_ca('new%d' % i) for i in range(new_cas)]
    if shared:   # a CA kept across the change (a renewal, or a CA added beside the old)
        new[0] = old[0]
    names = ['h%d' % rng.randrange(1000) + str(i) for i in range(hosts)]
    state = dict((h, dict(trust=list(old), cert=_leaf(h, rng.choice(old)))) for h in names)
    targets = {}
    for h in names:
        keep = ISSUER[state[h]['cert']] in new and rng.random() > changed
        targets[h] = dict(trust=list(new), cert=state[h]['cert'] if keep else _leaf(h, rng.choice(new)))
    _check(state)
    order = list(names)
    rng.shuffle(order)
    if stop is not None:   # interrupted; the next run plans again from what the hosts hold, in another order
        _run(state, targets, order, stop_after=stop)
        rng.shuffle(order)
    _run(state, targets, order)
    for h in names:
        assert set(state[h]['trust']) == set(targets[h]['trust']) and state[h]['cert'] == targets[h]['cert']
    # Finished: the next run plans nothing.
    assert rollover_steps([dict(host=h, deployed_trust=state[h]['trust'], deployed_cert=[state[h]['cert']],
                                trust='\n'.join(targets[h]['trust']), cert=targets[h]['cert']) for h in names]) == []


def test_a_ca_rollover_has_both_stages_and_a_renewal_none():
    old, new = _ca('old'), _ca('new')
    a_old, b_old = _leaf('a', old), _leaf('b', old)
    rollover = rollover_steps([dict(host=h, deployed_trust=[old], deployed_cert=[c], trust=new, cert=_leaf(h, new))
                               for h, c in (('a', a_old), ('b', b_old))])
    assert [s['stage'] for s in rollover] == [1, 2] and rollover[1]['new_cert'] == ['a', 'b']
    assert old in rollover[0]['trust']['a'] and new in rollover[0]['trust']['a']
    renewal = rollover_steps([dict(host='a', deployed_trust=[old], deployed_cert=[a_old], trust=old, cert=_leaf('a', old))])
    assert renewal == []
    # A host without TLS files yet takes no part; nothing deployed anywhere plans nothing.
    assert rollover_steps([dict(host='a', deployed_trust=[], deployed_cert=[], trust=new, cert=_leaf('a', new))]) == []


# Servers that keep the TLS material they started with (ZooKeeper 3.8.0's client port): what a host's files hold and
# what its server runs with differ until it restarts. A run as the role makes it (tasks/apply/restart.yml,
# write/staged.yml): plan from the files and what the servers present; per stage, on every host, the debt (owed
# marker) before the files, then the health gate, then one restart at a time behind it; last, the final files
# (the debt first) and the owed round. The run can be killed after any of these steps.

class Killed(Exception):
    pass


def _trusts(trust, cert):
    return cert in trust or ISSUER[cert] in trust


def _issued_by(block, ca):
    return block == ca or ISSUER.get(block) == ca


def _split(pem):
    return [b.strip() + '\n-----END CERTIFICATE-----' for b in pem.split('\n-----END CERTIFICATE-----') if b.strip()]


class Ensemble(object):
    def __init__(self, state, targets, order):
        self.files = dict((h, dict(v)) for h, v in state.items())
        self.running = dict((h, dict(v)) for h, v in state.items())
        self.owed = dict((h, False) for h in state)
        self.targets, self.order, self.steps, self.kill_at = targets, order, 0, None

    def point(self):
        """A task boundary: the run may be killed here. Every running member trusts what every other presents."""
        for a in self.running.values():
            for b in self.running.values():
                assert _trusts(a['trust'], b['cert']), 'a running member refuses what another presents'
        self.steps += 1
        if self.kill_at is not None and self.steps >= self.kill_at:
            raise Killed()

    def gate(self):
        """The role's checks, from the first host with its files, reach every running member."""
        checker = self.files[self.order[0]]
        for h, r in self.running.items():
            assert _trusts(checker['trust'], r['cert']), 'the checks cannot verify %s' % h
            assert _trusts(r['trust'], checker['cert']), '%s refuses the checks' % h

    def restart(self, hosts, restarted):
        self.gate()
        for h in hosts:
            self.running[h] = dict(self.files[h])
            restarted.append(h)
            self.point()
            self.gate()
            self.owed[h] = False
            self.point()

    def run(self, kill_at=None):
        from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_ensemble_model import restarts_due
        self.steps, self.kill_at = 0, kill_at
        members = [dict(host=h, deployed_trust=self.files[h]['trust'], deployed_cert=[self.files[h]['cert']],
                        trust='\n'.join(self.targets[h]['trust']), cert=self.targets[h]['cert'],
                        presented=[self.running[h]['cert']], owed=self.owed[h]) for h in self.order]
        info = dict((h, dict(name=h, server_version='3.8.0', reloads_certificates=False, restart_owed=self.owed[h],
                             certificate_stale=self.running[h]['cert'] != self.files[h]['cert'])) for h in self.order)
        steps, restarted = rollover_steps(members, issued_by=_issued_by), []
        for step in steps:
            due = []
            for h in self.order:
                want = dict(trust=_split(step['trust'][h]),
                            cert=self.targets[h]['cert'] if h in step['new_cert'] else self.files[h]['cert'])
                written = want != self.files[h]
                if restarts_due([dict(name=h)], 'rollover', server_info=[info[h]], written=written, restarted=restarted):
                    due.append(h)
                    self.owed[h] = True
                    self.point()
                self.files[h] = want
                self.point()
            self.restart(due, restarted)
        changed = []
        for h in self.order:
            if steps:   # write/staged.yml: the debt of the final files first
                self.owed[h] = True
                self.point()
            if self.files[h] != dict(trust=list(self.targets[h]['trust']), cert=self.targets[h]['cert']):
                self.files[h] = dict(trust=list(self.targets[h]['trust']), cert=self.targets[h]['cert'])
                changed.append(h)
                self.owed[h] = True
                self.point()
        info = dict((h, dict(info[h], restart_owed=info[h]['restart_owed'] or (steps and True))) for h in info)
        owed = [h for h in self.order if restarts_due([dict(name=h)], 'owed', server_info=[info[h]],
                                                      was_running=[h], changed=changed, restarted=restarted)]
        self.restart(owed, restarted)
        return steps


@settings(max_examples=200, deadline=None)
@given(hosts=st.integers(1, 5), seed=st.integers(0, 10 ** 6), kills=st.lists(st.integers(1, 60), max_size=3))
def test_a_rollover_of_servers_that_cannot_reload_killed_anywhere_is_finished_by_the_next_run(hosts, seed, kills):
    rng = random.Random(seed)
    old, new = _ca('old'), _ca('new')
    names = ['h%d-%d' % (rng.randrange(1000), i) for i in range(hosts)]
    state = dict((h, dict(trust=[old], cert=_leaf(h, old))) for h in names)
    targets = dict((h, dict(trust=[new], cert=_leaf(h, new))) for h in names)
    order = list(names)
    rng.shuffle(order)
    ens = Ensemble(state, targets, order)
    for kill_at in kills:   # runs killed at generated task boundaries, each planned from what the last left
        try:
            ens.run(kill_at)
        except Killed:
            pass
        rng.shuffle(ens.order)
    ens.run()
    for h in names:
        assert ens.files[h] == dict(trust=[new], cert=targets[h]['cert']) == ens.running[h], h
        assert not ens.owed[h], h
    assert ens.run() == [] and ens.steps == 0   # the rerun plans and does nothing


def test_files_written_past_what_the_servers_run_by_an_earlier_release_are_healed():
    """The state an earlier release left on 3.8.0: every host's files at the final stage (the old CA dropped),
    the servers that were not restarted still presenting the old certificate and trusting both CAs, their
    restarts owed. The old CA is known to nobody any more: the servers' certificates are trusted as themselves
    until they restart."""
    old, new = _ca('old'), _ca('new')
    names = ['a', 'b', 'c', 'd']
    targets = dict((h, dict(trust=[new], cert=_leaf(h, new))) for h in names)
    ens = Ensemble(dict((h, dict(targets[h])) for h in names), targets, names)
    for h in names[1:]:
        ens.running[h] = dict(trust=[old, new], cert=_leaf(h, old))
        ens.owed[h] = True
    ens.running['a'] = dict(trust=[old, new], cert=targets['a']['cert'])
    steps = ens.run()
    assert steps and all(_split(steps[0]['trust'][h])[0] == new for h in names)
    for h in names:
        assert ens.files[h] == targets[h] == ens.running[h] and not ens.owed[h], h
    assert ens.run() == []

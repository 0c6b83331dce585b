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

import uuid

import pytest


from zkharness import Ensemble


@pytest.fixture(scope='session')
def standalone():
    ens = Ensemble(participants=1, standalone=True).start()
    yield ens
    ens.destroy()


@pytest.fixture(scope='module')
def ensemble():
    """3 participants and 1 observer on loopback."""
    ens = Ensemble(participants=3, observers=1).start()
    yield ens
    ens.destroy()


@pytest.fixture
def prefix():
    """A random root for one test's znodes, so tests never see each other's data."""
    return '/zkops-test-%s' % uuid.uuid4().hex[:8]

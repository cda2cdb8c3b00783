"""The thread budget: a fit runs on fewer Numba threads while a parallel region is slow (other
processes hold the cores), on the whole pool otherwise, probes no more often than asked, and
gives the same result either way."""

import numba
import numpy as np
import pytest

from sparsefs import SparseFeatureSelector
from sparsefs.nn import thread_budget
from sparsefs.nn.thread_budget import SLOW_REGION_SECONDS, ThreadBudget, region_seconds

POOL = numba.config.NUMBA_NUM_THREADS
needs_two = pytest.mark.skipif(POOL < 2, reason="needs 2 or more Numba threads")


class Load:
    """A stand-in for the machine: regions on more than ``free`` threads are slow."""

    def __init__(self, free):
        self.free, self.calls = free, []

    def __call__(self, threads):
        self.calls.append(threads)
        return 10 * SLOW_REGION_SECONDS if threads > self.free else SLOW_REGION_SECONDS / 10


def test_an_empty_region_is_timed():
    assert 0 < region_seconds(1) < 1.0


@needs_two
def test_busy_cores_lower_the_threads_and_leaving_restores_them():
    before = numba.get_num_threads()
    with ThreadBudget(probe=Load(free=1)) as budget:
        assert budget.threads == 1 and numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


@needs_two
def test_free_cores_keep_the_whole_budget():
    with ThreadBudget(probe=Load(free=POOL)) as budget:
        assert budget.threads == numba.get_num_threads() == POOL


@needs_two
def test_probes_are_spaced_and_follow_the_load():
    now = [0.0]
    load = Load(free=1)
    with ThreadBudget(probe=load, clock=lambda: now[0], every=2.0) as budget:
        assert budget.threads == 1 and load.calls == [POOL]  # the probe on entry
        for t in (0.5, 1.0, 1.9):
            now[0] = t
            assert budget.check() == 1
        assert load.calls == [POOL]  # nothing probed within 2 s
        load.free = POOL  # the other process finished
        now[0] = 2.5
        assert budget.check() == POOL == numba.get_num_threads()


def test_a_one_thread_budget_probes_nothing():
    load = Load(free=0)
    with ThreadBudget(max_threads=1, probe=load) as budget:
        budget.check(force=True)
        assert budget.threads == 1 and numba.get_num_threads() == 1
    assert load.calls == []


@needs_two
def test_a_fit_on_busy_cores_records_one_thread_and_gives_the_same_result(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 60)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    kw = dict(method="guided-prune", density=0.3, hidden_layer_sizes=(32, 8), max_iter=5,
              n_iter_no_change=5, random_state=0)
    free = SparseFeatureSelector(4, **kw).fit(X, y)
    monkeypatch.setattr(thread_budget, "region_seconds", Load(free=1))
    busy = SparseFeatureSelector(4, **kw).fit(X, y)
    assert busy.history_["threads"] == [1] * busy.n_iter_
    np.testing.assert_array_equal(busy.scores_["attr"], free.scores_["attr"])
    assert busy.history_["val_loss"] == free.history_["val_loss"]


@needs_two
def test_sparsefs_threads_fixed_turns_the_probing_off(monkeypatch):
    monkeypatch.setenv("SPARSEFS_THREADS", "fixed")
    load = Load(free=1)
    with ThreadBudget(probe=load) as budget:
        assert budget.check(force=True) == POOL == numba.get_num_threads()
    assert load.calls == []

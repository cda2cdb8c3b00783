"""The thread budget: a fit runs on the thread count whose training steps are fastest now (one
thread while other processes hold the cores, the whole pool when they are free), tries the other
count ever more rarely while it keeps losing, and gives the same result either way."""

import numba
import numpy as np
import pytest

from sparsefs import SparseFeatureSelector
from sparsefs.nn import thread_budget, training
from sparsefs.nn.thread_budget import FIRST_WAIT, LONGEST_WAIT, ThreadBudget

POOL = numba.config.NUMBA_NUM_THREADS
needs_two = pytest.mark.skipif(POOL < 2, reason="needs 2 or more Numba threads")


class Machine:
    """A fake clock: a step on ``n`` threads takes ``step_seconds(n)``."""

    def __init__(self, step_seconds):
        self.step_seconds, self.now, self.trial_ends = step_seconds, 0.0, []
        self.steps_on = {}

    def run(self, budget, steps):
        for _ in range(steps):
            trials = budget.trials
            budget.step_started()
            threads = numba.get_num_threads()
            self.steps_on[threads] = self.steps_on.get(threads, 0) + 1
            self.now += self.step_seconds(threads)
            budget.step_finished()
            if budget.trials > trials:
                self.trial_ends.append(self.now)


def busy(n):
    return 0.01 if n == 1 else 0.05  # every parallel region waits for a time slice


def idle(n):
    return 0.02 / n


@needs_two
def test_busy_cores_move_the_fit_to_one_thread_and_leaving_restores_the_count():
    before = numba.get_num_threads()
    machine = Machine(busy)
    with ThreadBudget(clock=lambda: machine.now) as budget:
        assert budget.threads == POOL
        machine.run(budget, 12)
        assert budget.threads == 1 == numba.get_num_threads() and budget.switches == 1
    assert numba.get_num_threads() == before


@needs_two
def test_free_cores_keep_the_pool_and_trials_grow_rare():
    machine = Machine(idle)
    with ThreadBudget(clock=lambda: machine.now) as budget:
        machine.run(budget, 20_000)  # 200 s of steps at 10 ms
        assert budget.threads == POOL and budget.switches == 0
    gaps = np.diff(machine.trial_ends)
    # Each losing trial doubles the wait, up to LONGEST_WAIT.
    assert gaps[0] >= FIRST_WAIT and np.all(gaps[1:] >= gaps[:-1] - 0.1)
    assert gaps[-1] >= LONGEST_WAIT
    assert machine.steps_on[1] == budget.trials * thread_budget.TRIAL_STEPS
    assert machine.steps_on[1] < 0.01 * 20_000  # the trials' own cost stays small


@needs_two
def test_the_fit_returns_to_the_pool_when_the_other_process_ends():
    machine = Machine(busy)
    with ThreadBudget(clock=lambda: machine.now) as budget:
        machine.run(budget, 50)
        assert budget.threads == 1
        machine.step_seconds = idle
        machine.run(budget, 2_000)
        assert budget.threads == POOL and budget.switches == 2


@needs_two
def test_sparsefs_threads_fixed_keeps_the_count(monkeypatch):
    monkeypatch.setenv("SPARSEFS_THREADS", "fixed")
    machine = Machine(busy)
    with ThreadBudget(clock=lambda: machine.now) as budget:
        machine.run(budget, 200)
        assert budget.threads == POOL == numba.get_num_threads() and budget.trials == 0


def test_a_one_thread_budget_tries_nothing():
    machine = Machine(busy)
    with ThreadBudget(max_threads=1, clock=lambda: machine.now) as budget:
        machine.run(budget, 200)
        assert budget.threads == 1 == numba.get_num_threads() and budget.trials == 0


@needs_two
def test_a_fit_on_busy_cores_settles_on_one_thread_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 60)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    kw = dict(method="guided-prune", density=0.3, hidden_layer_sizes=(32, 8), max_iter=6,
              n_iter_no_change=6, random_state=0, batch_size=16)
    free = SparseFeatureSelector(4, **kw).fit(X, y)

    class BusyBudget(ThreadBudget):
        """Real steps, but a step on more than one thread is reported 50 ms longer."""

        def __init__(self):
            self.penalty = 0.0
            super().__init__(clock=lambda: self._now())

        def _now(self):
            return thread_budget.time.perf_counter() + self.penalty

        def step_finished(self):
            if numba.get_num_threads() > 1:
                self.penalty += 0.05
            super().step_finished()
    monkeypatch.setattr(training, "ThreadBudget", BusyBudget)
    slow = SparseFeatureSelector(4, **kw).fit(X, y)
    assert slow.history_["threads"][-1] == 1
    np.testing.assert_array_equal(slow.scores_["attr"], free.scores_["attr"])
    assert slow.history_["val_loss"] == free.history_["val_loss"]

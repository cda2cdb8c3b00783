"""How many Numba threads a fit runs on: the count whose training steps are fastest right now.

Every parallel kernel ends at a barrier that waits for all its threads. When another process
keeps a core busy, the thread scheduled there waits for a time slice, so each parallel region
costs milliseconds whatever its work. Measured on this project's 2-core machine beside two
CPU-bound processes: an Adam step over 100 weights took 7.8 ms on 2 threads and 6 us on 1; a
whole guided-prune madelon fit 50.1 s against 8.2 s. Timing an empty parallel region does not
tell the two apart reliably (threads that slept are favoured by the scheduler when they wake),
so the budget times the training steps themselves: now and then it runs a trial, steps that
alternate between the adopted count and another (half or twice it; alternating, so a change
in the machine's load hits both alike), and adopts the other count when its median step is
faster by a margin (``SWITCH_MARGIN_DOWN`` for fewer threads, ``SWITCH_MARGIN_UP`` for more).
A trial that loses doubles the wait before the next one, so on a
steady machine trials become rare; a switch resets it.

The count never changes a result: every kernel gives each output element to one thread in a
fixed order, and the partitions that are summed are sized by the pool, not by the threads
running (``tests/test_thread_invariance.py``). ``SPARSEFS_THREADS=fixed`` in the environment
keeps the count a fit starts with, for timing kernels as they are.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numba
import numpy as np

#: Steps a trial runs on each of the two counts, alternating.
TRIAL_STEPS = 4
#: How much faster (median step) a trial count must be to be adopted: fewer threads need the
#: larger margin, because on idle cores a spurious switch down costs up to the pool's speed-up
#: until the next trial, while busy cores make fewer threads 2-6x faster, far past it.
SWITCH_MARGIN_DOWN = 0.25
SWITCH_MARGIN_UP = 0.1
#: Seconds before the next trial after a switch, and the longest wait once trials keep losing.
FIRST_WAIT = 2.0
LONGEST_WAIT = 60.0


class ThreadBudget:
    """Context manager that sets ``numba.set_num_threads`` for a fit and restores it after.

    Call :meth:`step_started` and :meth:`step_finished` around every training step; between
    them the thread count does not change.

    Parameters
    ----------
    max_threads : int, optional
        The most threads to use; default the count set when the context is entered (a study
        task given one thread stays on one, and then nothing is tried).
    clock : callable() -> seconds, optional

    Attributes
    ----------
    threads : int
        The count adopted (a trial's count is not adopted until it wins).
    trials, switches : int
        Trials run and trials that won.
    """

    def __init__(self, max_threads: int | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.max_threads, self.clock = max_threads, clock
        self.threads = self._previous = None
        self.fixed = False
        self.trials = self.switches = 0

    def __enter__(self) -> ThreadBudget:
        self._previous = numba.get_num_threads()
        limit = self._previous if self.max_threads is None else self.max_threads
        self.max_threads = max(1, min(int(limit), numba.config.NUMBA_NUM_THREADS))
        self.fixed = os.environ.get("SPARSEFS_THREADS", "").strip().lower() == "fixed"
        self.threads = self.max_threads
        self._trial, self._times = None, {}
        self._wait, self._next_trial = FIRST_WAIT, -np.inf  # the first trial comes early
        self._went_up = False
        self._t0 = self._running = None
        self._first = True  # the first step also allocates the buffers: not a fair sample
        numba.set_num_threads(self.threads)
        return self

    def __exit__(self, *exc) -> None:
        numba.set_num_threads(self._previous)

    def _candidate(self):
        """The count a trial runs: alternately twice and half the adopted one, where allowed."""
        up = min(self.max_threads, 2 * self.threads)
        down = max(1, self.threads // 2)
        options = [c for c in ((down, up) if self._went_up else (up, down)) if c != self.threads]
        return options[0] if options else None

    def step_started(self) -> None:
        if self.fixed or self.max_threads <= 1:
            return
        if self._trial is None and not self._first and self.clock() >= self._next_trial:
            self._trial = self._candidate()
            if self._trial is not None:
                self._went_up = self._trial > self.threads
                self._times = {self._trial: [], self.threads: []}
        if self._trial is not None:  # alternate, the other count first
            counts = (self._trial, self.threads)
            self._running = counts[len(self._times[self._trial]) >
                                   len(self._times[self.threads])]
        else:
            self._running = self.threads
        numba.set_num_threads(self._running)
        self._t0 = self.clock()

    def step_finished(self) -> None:
        if self._t0 is None:
            return
        now = self.clock()
        seconds, self._t0 = now - self._t0, None
        if self._first:
            self._first = False
            return
        if self._trial is None:
            return
        self._times[self._running].append(seconds)
        if min(len(t) for t in self._times.values()) < TRIAL_STEPS:
            return
        self.trials += 1
        trial = float(np.median(self._times[self._trial]))
        adopted = float(np.median(self._times[self.threads]))
        margin = SWITCH_MARGIN_DOWN if self._trial < self.threads else SWITCH_MARGIN_UP
        if trial < (1 - margin) * adopted:
            self.switches += 1
            self.threads = self._trial
            self._wait = FIRST_WAIT
        else:
            self._wait = min(2 * self._wait, LONGEST_WAIT)
        self._trial = None
        self._next_trial = now + self._wait
        numba.set_num_threads(self.threads)

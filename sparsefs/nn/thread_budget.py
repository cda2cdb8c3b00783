"""How many Numba threads a fit runs on: the whole pool, unless other processes hold the cores.

Every parallel kernel ends at a barrier that waits for all its threads. When another process
keeps a core busy, the thread scheduled there waits for a time slice, so each parallel region
costs milliseconds whatever its work. Measured on this project's 2-core machine beside two
CPU-bound processes: an Adam step over 100 weights took 7.8 ms on 2 threads and 6 us on 1; a
whole guided-prune madelon fit 50.1 s against 8.2 s. So a fit times an empty parallel region
every few seconds and runs on the largest thread count, halving from the pool's, whose region
answers within ``SLOW_REGION_SECONDS``; on an idle machine that is the whole pool.

The count never changes a result: every kernel gives each output element to one thread in a
fixed order, and the partitions that are summed are sized by the pool, not by the threads
running (``tests/test_thread_invariance.py``). ``SPARSEFS_THREADS=fixed`` in the environment
turns the probing off (the fit keeps the count it starts with), for timing kernels as they are.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numba
import numpy as np
from numba import njit, prange

#: An empty parallel region takes 10-100 us when its threads' cores are free (waking a
#: sleeping thread included) and several ms when one of them must wait for a time slice.
SLOW_REGION_SECONDS = 1e-3
#: Seconds between probes; a probe costs three empty regions (under 0.1 ms on free cores,
#: about 25 ms on busy ones, so at most ~1% of a fit).
PROBE_EVERY_SECONDS = 2.0


@njit(parallel=True, cache=True)
def _empty_region(out):
    for t in prange(out.shape[0]):
        out[t] += 1.0


def region_seconds(threads: int, repeats: int = 3) -> float:
    """Median wall time [s] of an empty parallel region on ``threads`` Numba threads."""
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        out = np.zeros(4 * threads)
        _empty_region(out)  # wakes the threads; compiled or loaded from the cache once
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            _empty_region(out)
            times.append(time.perf_counter() - t0)
        return float(np.median(times))
    finally:
        numba.set_num_threads(previous)


class ThreadBudget:
    """Context manager that sets ``numba.set_num_threads`` for a fit and restores it after.

    Parameters
    ----------
    max_threads : int, optional
        The most threads to use; default the count set when the context is entered (a study
        task given one thread stays on one, and then nothing is probed).
    probe : callable(threads) -> seconds, optional
        Time of a parallel region on that many threads (default :func:`region_seconds`).
    clock : callable() -> seconds, optional
    every : float
        Seconds between probes (:meth:`check` is cheap to call more often).

    Attributes
    ----------
    threads : int
        The count in use now.
    """

    def __init__(self, max_threads: int | None = None,
                 probe: Callable[[int], float] | None = None,
                 clock: Callable[[], float] = time.perf_counter,
                 every: float = PROBE_EVERY_SECONDS):
        # Looked up when called, so a test can stand in for the machine's load.
        self.probe = probe or (lambda threads: region_seconds(threads))
        self.max_threads, self.clock, self.every = max_threads, clock, every
        self.threads = self._previous = self._last = None
        self.fixed = False

    def __enter__(self) -> ThreadBudget:
        self._previous = numba.get_num_threads()
        limit = self._previous if self.max_threads is None else self.max_threads
        self.max_threads = max(1, min(int(limit), numba.config.NUMBA_NUM_THREADS))
        self.fixed = os.environ.get("SPARSEFS_THREADS", "").strip().lower() == "fixed"
        self.threads = self.max_threads
        numba.set_num_threads(self.threads)
        self.check(force=True)
        return self

    def __exit__(self, *exc) -> None:
        numba.set_num_threads(self._previous)

    def check(self, force: bool = False) -> int:
        """Probe when ``every`` seconds have passed (or ``force``); returns the count in use."""
        if self.fixed or self.max_threads <= 1:
            return self.threads
        now = self.clock()
        if not force and now - self._last < self.every:
            return self.threads
        self._last = now
        n = self.max_threads
        while n > 1 and self.probe(n) > SLOW_REGION_SECONDS:
            n //= 2
        self.threads = n
        numba.set_num_threads(n)
        return n

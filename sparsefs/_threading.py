"""The thread-wait policy that keeps Numba's and OpenBLAS's threads from starving each other.

Numba's OpenMP threads and OpenBLAS's threads each busy-wait after their work by default, and
when one process uses both they take the cores from each other: a dense madelon training step
took 24 ms instead of 2. Both libraries read their wait settings from the environment once,
when they load, so the policy must be set before numpy is first imported.

``import sparsefs`` changes nothing; the CLI and ``bench/`` call :func:`configure_threads`
before anything imports numpy. A library user who wants the same effect sets the variables
in the shell (``OPENBLAS_THREAD_TIMEOUT=4 GOMP_SPINCOUNT=30000``) or calls this function first
thing in the program.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

#: Short spins for both thread pools, then sleep: the best setting measured on 2 cores
#: (bench/run.py's threading diagnostic, madelon shape) when numpy is not loaded yet.
SHORT_SPINS = {"OPENBLAS_THREAD_TIMEOUT": "4", "GOMP_SPINCOUNT": "30000"}
#: When numpy already loaded OpenBLAS, its threads keep spinning; a passive OpenMP wait is
#: then the setting that still helps.
PASSIVE_OPENMP = {"OMP_WAIT_POLICY": "PASSIVE"}


def configure_threads(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set the wait policy in ``environ`` (default ``os.environ``) for the libraries to read.

    Variables the user set already are never changed. Returns the ``{name: value}`` pairs this
    call set (empty when the user had set them all).
    """
    environ = os.environ if environ is None else environ
    policy = PASSIVE_OPENMP if "numpy" in sys.modules else SHORT_SPINS
    applied = {k: v for k, v in policy.items() if k not in environ}
    environ.update(applied)
    return applied


def thread_map(fn, items, threads=None):
    """``[fn(x) for x in items]``, the calls spread over ``threads`` threads (default: the
    Numba threads this process may use, so a study task given one thread stays on one).

    For calls that release the GIL while they work, such as the SVC fits of the evaluation
    (libsvm): two threads halve their time on 2 cores. Each call is independent of the
    others, so the results, returned in the order of ``items``, are the sequential loop's.
    """
    items = list(items)
    if threads is None:
        import numba

        threads = numba.get_num_threads()
    threads = min(int(threads), len(items))
    if threads <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))

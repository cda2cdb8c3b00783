"""Interleaved timing: sparse, dense and a streaming copy measured in turns, summarised robustly.

Why blocks: Numba's OpenMP workers and OpenBLAS's pthreads both spin for a while after a parallel
call. On 2 cores the first call of one library right after the other pays for the other's
spinning threads (measured here: milliseconds, more than a whole small kernel). Every round
therefore runs each function ``block`` times in a row; the first call of a block is recorded
apart as the *switch* sample and the others are the steady-state samples. The order of the
functions alternates from round to round (A B C, C B A, ...), so slow drift of the machine
(someone else's job starting) hits all of them alike.
"""

import math
import time

import numpy as np


def summarize(samples):
    """Median and spread of a list of seconds: median, q1, q3, min, max, n (or None if empty)."""
    if not samples:
        return None
    a = np.asarray(samples, dtype=np.float64)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {"median": float(med), "q1": float(q1), "q3": float(q3), "min": float(a.min()),
            "max": float(a.max()), "n": int(a.size)}


def _once(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _noop():
    pass


def interleave(fns, budget=2.0, min_rounds=3, max_rounds=15, warmup=1, setup=None):
    """Time the callables of ``fns`` (name -> fn) in interleaved rounds.

    Parameters
    ----------
    budget : float
        Seconds all rounds together should take (the round count follows from warm-up times,
        clipped to ``[min_rounds, max_rounds]``).
    warmup : int
        Untimed calls of each function first (JIT loading, page faults, BLAS thread start).
    setup : dict name -> callable, optional
        Untimed preparation before every call of that function (e.g. letting weights move
        away from the zeros a previous topology update left, as training steps would).

    Returns
    -------
    dict name -> {"steady": summary, "switch": summary or None, "block": int}
    """
    names = list(fns)
    setup = setup or {}
    est = {}
    for name in names:
        t = []
        for _ in range(max(1, warmup)):
            setup.get(name, _noop)()
            t.append(_once(fns[name]))
        est[name] = min(t)
    # Calls per function per round: 3 below 20 ms a call, 2 below 200 ms, else 1 (for slow
    # calls the switch cost is negligible and every call counts).
    blocks = {}
    for name in names:
        if est[name] < 0.02:
            blocks[name] = 3
        elif est[name] < 0.2:
            blocks[name] = 2
        else:
            blocks[name] = 1
    per_round = sum(est[n] * blocks[n] for n in names)
    rounds = int(min(max_rounds, max(min_rounds, math.ceil(budget / max(per_round, 1e-6)))))
    steady = {n: [] for n in names}
    switch = {n: [] for n in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            fn, prep = fns[name], setup.get(name, _noop)
            for k in range(blocks[name]):
                prep()
                t = _once(fn)
                if k == 0 and blocks[name] > 1:
                    switch[name].append(t)
                else:
                    steady[name].append(t)
    return {n: {"steady": summarize(steady[n]), "switch": summarize(switch[n]),
                "block": blocks[n]} for n in names}


def copy_fn(nbytes, dtype=np.float32):
    """A streaming copy that moves ``nbytes`` in total (half read, half written), and its size.

    The bandwidth bound of a kernel with ``nbytes`` of compulsory traffic is the time of this
    copy, measured in the same rounds as the kernel. ``np.copyto`` is single-threaded.
    """
    n = max(1, int(nbytes) // (2 * np.dtype(dtype).itemsize))
    src = np.ones(n, dtype=dtype)
    dst = np.empty_like(src)
    return (lambda: np.copyto(dst, src)), 2 * n * np.dtype(dtype).itemsize

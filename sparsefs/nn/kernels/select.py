"""Kernels of magnitude pruning: the ``k``-th smallest ``|w|`` and the survivors' mask, by a
radix select over the weights' bit patterns, in parallel, without sorting or copying them.

A non-negative IEEE float orders like its bit pattern read as an unsigned integer, so with
the sign bit cleared ``|w|`` is a key of 31 (float32) or 63 (float64) bits. Each pass counts
the top digit of the keys (a histogram per task), then collects the few keys of the bin where
the ``k``-th smallest falls, whose exact value a partition of that short list gives; a last
pass writes the mask. Three passes of reads instead of numpy's ``abs``, ``partition`` over
all weights and second ``abs``.
"""

import numpy as np
from numba import njit, prange

#: Bits per digit of a pass: a task's histogram (2,048 int64, 16 KiB) stays in L1.
DIGIT_BITS = 11


@njit(parallel=True, cache=True)
def digit_counts(bits, value_bits, shift, counts):
    """``counts[t, b]`` = keys of task ``t`` whose top digit ``key >> shift`` is ``b``; the key
    of entry ``p`` is ``bits[p]`` with the sign bit (bit ``value_bits``) cleared. Task ``t``
    holds entries ``n t / T .. n (t + 1) / T`` of ``T = counts.shape[0]``."""
    n, n_tasks = bits.shape[0], counts.shape[0]
    value_mask = (np.uint64(1) << np.uint64(value_bits)) - np.uint64(1)
    sh = np.uint64(shift)
    for t in prange(n_tasks):
        c = counts[t]
        c[:] = 0
        for p in range(n * t // n_tasks, n * (t + 1) // n_tasks):
            c[(np.uint64(bits[p]) & value_mask) >> sh] += 1


@njit(parallel=True, cache=True)
def collect_prefix(bits, value_bits, prefix, shift, offsets, keys, positions):
    """Write the keys whose top digit ``key >> shift`` is ``prefix`` and their positions to
    ``keys`` and ``positions``, task ``t``'s (tasks as in :func:`digit_counts`,
    ``offsets.shape[0] - 1`` of them) from ``offsets[t]`` on: both in storage order. A branch
    on the match: the digit chosen holds a few per cent of the keys, so it is predicted well,
    and a task never writes past its range."""
    n, n_tasks = bits.shape[0], offsets.shape[0] - 1
    value_mask = (np.uint64(1) << np.uint64(value_bits)) - np.uint64(1)
    sh = np.uint64(shift)
    pre = np.uint64(prefix)
    for t in prange(n_tasks):
        w = offsets[t]
        for p in range(n * t // n_tasks, n * (t + 1) // n_tasks):
            key = np.uint64(bits[p]) & value_mask
            if (key >> sh) == pre:
                keys[w] = key
                positions[w] = p
                w += 1


@njit(parallel=True, cache=True)
def keep_at_least(bits, value_bits, threshold, keep):
    """``keep[p]`` = key ``p`` at least ``threshold`` (ties are then dropped by position)."""
    value_mask = (np.uint64(1) << np.uint64(value_bits)) - np.uint64(1)
    thr = np.uint64(threshold)
    for p in prange(bits.shape[0]):
        keep[p] = (np.uint64(bits[p]) & value_mask) >= thr

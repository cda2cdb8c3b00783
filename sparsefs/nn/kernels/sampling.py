"""Sorted sets of flat int64 keys ``i * n_out + j``: built from per-row draws, thinned to a
uniform subset, merged, subtracted. Each is one O(n) pass over sorted arrays, where numpy's
``unique``/``setdiff1d``/``union1d`` sort again (a guided regrowth of millions of keys spent
seconds in them)."""

import numpy as np
from numba import njit


@njit(cache=True)
def row_draws_to_keys(counts, cols, n_out, keys):
    """The distinct keys of ``counts[i]`` draws in row ``i`` (rows in order) whose columns are
    the next ``counts[i]`` values of ``cols``: sorted, repeats dropped. ``cols`` (counts.sum(),)
    int64 in [0, n_out); writes ``keys`` (counts.sum(),) and returns how many."""
    m, q = 0, 0
    for i in range(counts.shape[0]):
        c = counts[i]
        if c == 0:
            continue
        row = np.sort(cols[q:q + c]) if c > 16 else _insertion_sorted(cols[q:q + c])
        q += c
        base = np.int64(i) * n_out
        last = -1
        for j in row:
            if j != last:
                keys[m] = base + j
                m += 1
                last = j
    return m


@njit(cache=True)
def _insertion_sorted(a):
    out = a.copy()
    for k in range(1, out.shape[0]):
        v = out[k]
        p = k - 1
        while p >= 0 and out[p] > v:
            out[p + 1] = out[p]
            p -= 1
        out[p + 1] = v
    return out


@njit(cache=True)
def thin_sorted(keys, keep_count, uniforms):
    """A uniformly random subset of ``keep_count`` of ``keys`` (n,), in their order, by
    selection sampling: item ``t`` is kept with probability (still wanted) / (still left),
    ``uniforms`` (n,) in [0, 1). Exactly ``keep_count`` items; every subset equally likely."""
    n = keys.shape[0]
    out = np.empty(keep_count, dtype=keys.dtype)
    m = 0
    for t in range(n):
        if m == keep_count:
            break
        if uniforms[t] * (n - t) < keep_count - m:
            out[m] = keys[t]
            m += 1
    return out


@njit(cache=True)
def merge_sorted(a, b):
    """The sorted union of two sorted arrays with no key in common."""
    out = np.empty(a.shape[0] + b.shape[0], dtype=a.dtype)
    p = q = m = 0
    while p < a.shape[0] and q < b.shape[0]:
        if a[p] < b[q]:
            out[m] = a[p]
            p += 1
        else:
            out[m] = b[q]
            q += 1
        m += 1
    out[m:m + a.shape[0] - p] = a[p:]
    m += a.shape[0] - p
    out[m:] = b[q:]
    return out


@njit(cache=True)
def sorted_minus(a, b):
    """The keys of sorted ``a`` that are not in sorted ``b``, in order."""
    out = np.empty(a.shape[0], dtype=a.dtype)
    q = m = 0
    for p in range(a.shape[0]):
        k = a[p]
        while q < b.shape[0] and b[q] < k:
            q += 1
        if q < b.shape[0] and b[q] == k:
            continue
        out[m] = k
        m += 1
    return out[:m]

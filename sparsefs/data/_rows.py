"""Numba kernel that reorders the rows of a table in place, so that a train/test split of a
file's float32 table costs one row of memory instead of a second table."""

import numpy as np
from numba import njit


@njit(cache=True)
def permute_rows(X, order):
    """``X[:] = X[order]`` in place for X (n, d) and a permutation ``order`` (n,) of its rows,
    with one row of extra memory: each cycle of the permutation is followed with a row
    buffer."""
    n, d = X.shape
    done = np.zeros(n, dtype=np.bool_)
    tmp = np.empty(d, dtype=X.dtype)
    for start in range(n):
        if done[start]:
            continue
        done[start] = True
        if order[start] == start:
            continue
        tmp[:] = X[start]
        i = start
        while True:
            src = order[i]
            if src == start:
                X[i] = tmp
                break
            X[i] = X[src]
            done[src] = True
            i = src

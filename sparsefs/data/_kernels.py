"""Numba kernels of the standardizer: column statistics and scaling of float32 data without
a float64 copy of the whole table.

Each column is accumulated row by row in float64, the same order and precision as numpy's
``X.astype(float64).mean(axis=0)`` and ``.std(axis=0)`` on a C-contiguous table, so the
results are bit-identical to them; no fastmath, so every operation rounds as numpy's does.
"""

import numpy as np
from numba import njit, prange

# Columns per parallel task: a task walks all rows of its columns, so blocks of a cache line
# or more keep each row's read contiguous.
_COLUMN_BLOCK = 64


@njit(parallel=True, cache=True)
def column_mean_std(X, mean, std):
    """``mean[j]``, ``std[j]`` (float64, population) of every column of X (n, d), any float.

    A task's sums live in local arrays of ``_COLUMN_BLOCK`` values, which the compiler keeps
    apart from X and vectorizes across the columns (each column still summed row by row):
    1,000 x 20,000 float32 55 -> 15 ms, bit for bit the same as summing into ``mean`` and
    ``std`` directly, which it could not prove free of aliasing.
    """
    n, d = X.shape
    for blk in prange((d + _COLUMN_BLOCK - 1) // _COLUMN_BLOCK):
        j0 = blk * _COLUMN_BLOCK
        w = min(d, j0 + _COLUMN_BLOCK) - j0
        total = np.zeros(_COLUMN_BLOCK)
        for i in range(n):
            row = X[i, j0:j0 + w]
            for j in range(w):
                total[j] += np.float64(row[j])
        for j in range(w):
            total[j] /= n
        squares = np.zeros(_COLUMN_BLOCK)
        for i in range(n):
            row = X[i, j0:j0 + w]
            for j in range(w):
                t = np.float64(row[j]) - total[j]
                squares[j] += t * t
        for j in range(w):
            mean[j0 + j] = total[j]
            std[j0 + j] = np.sqrt(squares[j] / n)


@njit(parallel=True, cache=True)
def scale_rows(X, mean, scale, out):
    """``out[i, j] = (X[i, j] - mean[j]) / scale[j]``, computed in float64, stored in out's
    dtype; X (n, d) and out (n, d) may be the same array."""
    n, d = X.shape
    for i in prange(n):
        for j in range(d):
            out[i, j] = (np.float64(X[i, j]) - mean[j]) / scale[j]

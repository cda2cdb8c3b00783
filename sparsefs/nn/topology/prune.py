"""The prune half of a topology update: which stored weights survive."""

import math

import numpy as np


def prune_smallest(layer, zeta):
    """Which stored weights survive a drop of the ``ceil(zeta * nnz)`` smallest ``|w|``.

    Returns a boolean keep mask (nnz,) and the number dropped. O(nnz): one partition of the
    magnitudes for the threshold; ties at the threshold are dropped in storage order.
    """
    nnz = layer.nnz
    n_drop = min(int(math.ceil(zeta * nnz)), nnz)
    if n_drop == 0:
        return np.ones(nnz, dtype=bool), 0
    # One magnitude array, partitioned in place and then refilled: a copy of 4 bytes per
    # weight less at the peak of a topology update.
    mags = np.abs(layer.data)
    mags.partition(n_drop - 1)
    thr = mags[n_drop - 1]
    np.abs(layer.data, out=mags)
    keep = mags > thr
    at_thr = np.flatnonzero(mags == thr)
    n_below = nnz - int(keep.sum()) - len(at_thr)
    keep[at_thr[n_drop - n_below:]] = True
    return keep, n_drop


class MagnitudePrune:
    """Drop the ``ceil(zeta * nnz)`` stored weights of smallest magnitude (SET and RigL)."""

    name = "magnitude"

    def __call__(self, layer, zeta):
        """(keep mask (nnz,) bool, number dropped)."""
        return prune_smallest(layer, zeta)


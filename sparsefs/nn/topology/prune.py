"""The prune half of a topology update: which stored weights survive."""

import math

import numpy as np
from numba import get_num_threads

from ..kernels import select

# Below this many weights one task counts them all: a second one would cost more to start.
PARALLEL_SELECT_MIN = 1 << 15


def prune_smallest(layer, zeta):
    """Which stored weights survive a drop of the ``ceil(zeta * nnz)`` smallest ``|w|``.

    Returns a boolean keep mask (nnz,) and the number dropped. O(nnz) and no copy of the
    weights (:mod:`~sparsefs.nn.kernels.select`): a histogram of the magnitudes' top bits
    finds the bin of the threshold, the ``ceil(zeta * nnz)``-th smallest magnitude; the keys
    in that bin (a few per cent of them) are collected and partitioned for its exact value.
    Ties at the threshold are dropped in storage order.
    """
    nnz = layer.nnz
    n_drop = min(int(math.ceil(zeta * nnz)), nnz)
    if n_drop == 0:
        return np.ones(nnz, dtype=bool), 0
    data = np.ascontiguousarray(layer.data)
    bits = data.view(np.uint32 if data.itemsize == 4 else np.uint64)
    value_bits = 8 * data.itemsize - 1
    n_tasks = get_num_threads() if nnz >= PARALLEL_SELECT_MIN else 1
    shift = value_bits - select.DIGIT_BITS
    counts = np.empty((n_tasks, 1 << select.DIGIT_BITS), dtype=np.int64)
    select.digit_counts(bits, value_bits, shift, counts)
    cum = np.cumsum(counts.sum(axis=0))
    digit = int(np.searchsorted(cum, n_drop))
    rank = n_drop - (int(cum[digit - 1]) if digit else 0)  # 1-based, within the bin
    offsets = np.zeros(n_tasks + 1, dtype=np.int64)
    np.cumsum(counts[:, digit], out=offsets[1:])
    keys = np.empty(offsets[-1], dtype=np.uint64)
    positions = np.empty(offsets[-1], dtype=np.int64)
    select.collect_prefix(bits, value_bits, digit, shift, offsets, keys, positions)
    threshold = int(np.partition(keys, rank - 1)[rank - 1])
    keep = np.empty(nnz, dtype=bool)
    select.keep_at_least(bits, value_bits, threshold, keep)
    # The bin's keys equal to the threshold, in storage order: as many of the first ones are
    # dropped as the rank reaches past the keys below it.
    n_below = int(np.count_nonzero(keys < threshold))
    keep[positions[keys == threshold][:rank - n_below]] = False
    return keep, n_drop


class MagnitudePrune:
    """Drop the ``ceil(zeta * nnz)`` stored weights of smallest magnitude (SET and RigL)."""

    name = "magnitude"

    def __call__(self, layer, zeta):
        """(keep mask (nnz,) bool, number dropped)."""
        return prune_smallest(layer, zeta)

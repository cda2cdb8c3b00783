"""Sparse topology: Erdos-Renyi-Kernel initialisation, and the SET and RigL prune/regrow updates.

Positions are handled as sorted int64 keys ``i * n_out + j``. Nothing here builds a dense mask:
random positions are drawn as keys and deduplicated, pruning is a partition of the weights, and
the CSR arrays are rebuilt by merging two sorted key lists. RigL's dense gradient is computed in
row blocks of at most ``block_bytes`` with a running top-k, so the whole of it never exists.
"""

import math

import numpy as np

from . import kernels

# Nearly full layers enumerate their empty positions in blocks of this many keys; others draw
# random keys and reject the occupied ones, keeping memory O(nnz).
_ENUMERATE_LIMIT = 1 << 22


def erk_densities(shapes, density):
    """Per-layer densities of the Erdos-Renyi-Kernel rule for a global ``density``.

    Each layer's density is ``eps * (n_in + n_out) / (n_in * n_out)``, with one ``eps`` chosen
    so the total non-zeros equal ``density * sum(n_in * n_out)``; a layer whose density would
    exceed 1 is made dense and ``eps`` is solved again for the rest.

    Parameters
    ----------
    shapes : list of (n_in, n_out)
    density : float in (0, 1]

    Returns
    -------
    list of float, one density per layer, each in (0, 1].
    """
    sizes = np.array([a * b for a, b in shapes], dtype=np.float64)
    raw = np.array([(a + b) / (a * b) for a, b in shapes], dtype=np.float64)
    budget = density * sizes.sum()
    dense = np.zeros(len(shapes), dtype=bool)
    while True:
        rest = budget - sizes[dense].sum()
        eps = rest / (raw[~dense] * sizes[~dense]).sum() if (~dense).any() else 0.0
        probs = np.where(dense, 1.0, eps * raw)
        over = (probs > 1.0) & ~dense
        if not over.any():
            return [float(p) for p in probs]
        dense |= over


def layer_nnz(shapes, density):
    """Exact non-zero counts per layer: ERK densities rounded so the sum is ``density * total``."""
    dens = erk_densities(shapes, density)
    sizes = [a * b for a, b in shapes]
    counts = [min(s, int(round(d * s))) for d, s in zip(dens, sizes)]
    # Rounding may miss the global budget by a few; give the difference to the largest sparse layer.
    target = int(round(density * sum(sizes)))
    order = sorted(range(len(sizes)), key=lambda k: -sizes[k])
    for k in order:
        fix = max(-counts[k] + 1, min(target - sum(counts), sizes[k] - counts[k]))
        counts[k] += fix
        if sum(counts) == target:
            break
    return counts


def random_keys(n_in, n_out, count, rng, occupied=None, n_taken=0):
    """``count`` distinct uniformly random positions of an ``n_in x n_out`` layer.

    Parameters
    ----------
    occupied : callable, optional
        ``occupied(keys) -> bool array``: positions that must not be drawn (stored ones).
        Called on sorted candidate keys.
    n_taken : int
        How many positions ``occupied`` rejects; decides between sampling and enumerating.

    Returns
    -------
    ndarray of int64, shape (count,), sorted. Memory O(count) beyond what ``occupied`` needs,
    except for small, nearly full layers (< 4M positions) where enumerating is exact and cheap.
    """
    total = n_in * n_out
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if count > total - n_taken:
        raise ValueError(f"cannot place {count} weights in {total - n_taken} empty positions")
    if total - n_taken < 4 * count:
        # Nearly full: rejection sampling would loop; list the empty positions, a block of
        # keys at a time, so memory stays O(empty positions) = O(count).
        free_keys = []
        for k0 in range(0, total, _ENUMERATE_LIMIT):
            block = np.arange(k0, min(total, k0 + _ENUMERATE_LIMIT), dtype=np.int64)
            free_keys.append(block if occupied is None else block[~occupied(block)])
        free_keys = np.concatenate(free_keys)
        if count == len(free_keys):
            return free_keys
        return np.sort(rng.choice(free_keys, size=count, replace=False))
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < count:
        need = count - len(chosen)
        # Oversample by the empty fraction so one round usually suffices.
        size = int(need * total / (total - n_taken - len(chosen)) * 1.25) + 16
        draw = np.sort(rng.integers(0, total, size=size, dtype=np.int64))
        draw = draw[np.concatenate(([True], draw[1:] != draw[:-1]))]  # sort-unique: 6x faster
        if occupied is not None:
            draw = draw[~occupied(draw)]
        if len(chosen):
            draw = np.setdiff1d(draw, chosen, assume_unique=True)
        if len(draw) > need:
            # A uniform subset of uniformly drawn distinct keys is uniform; taking the first
            # ones of the sorted draw would favour low keys. The mask keeps the subset sorted.
            pick = np.zeros(len(draw), dtype=bool)
            pick[rng.choice(len(draw), size=need, replace=False)] = True
            draw = draw[pick]
        chosen = np.union1d(chosen, draw) if len(chosen) else draw
    return chosen


def occupied_by(layer, keep):
    """The ``occupied`` test of :func:`random_keys` for ``layer``'s stored positions in ``keep``."""
    def test(keys):
        out = np.empty(len(keys), dtype=np.bool_)
        kernels.occupied(layer.indptr, layer.indices, keep, layer.n_out, keys, out)
        return out
    return test


def init_values(n_in, count, rng, dtype):
    """Initial weights like PyTorch's ``nn.Linear`` on the dense shape: U(-1/sqrt(n_in), +)."""
    bound = 1.0 / math.sqrt(n_in)
    return rng.uniform(-bound, bound, size=count).astype(dtype)


def cosine_zeta(step, total_steps, zeta_start=0.3, zeta_end=0.005):
    """Drop fraction at optimizer ``step``: cosine decay from ``zeta_start`` to ``zeta_end``."""
    frac = min(step / max(total_steps, 1), 1.0)
    return zeta_end + 0.5 * (zeta_start - zeta_end) * (1.0 + math.cos(math.pi * frac))


def prune_smallest(layer, zeta):
    """Which stored weights survive a drop of the ``ceil(zeta * nnz)`` smallest ``|w|``.

    Returns a boolean keep mask (nnz,) and the number dropped. O(nnz): one partition of the
    magnitudes for the threshold; ties at the threshold are dropped in storage order.
    """
    nnz = layer.nnz
    n_drop = min(int(math.ceil(zeta * nnz)), nnz)
    mags = np.abs(layer.data)
    if n_drop == 0:
        return np.ones(nnz, dtype=bool), 0
    thr = np.partition(mags, n_drop - 1)[n_drop - 1]
    keep = mags > thr
    at_thr = np.flatnonzero(mags == thr)
    n_below = nnz - int(keep.sum()) - len(at_thr)
    keep[at_thr[n_drop - n_below:]] = True
    return keep, n_drop


def regrow(layer, keep, new_keys):
    """Rebuild ``layer`` from its kept weights plus the sorted ``new_keys``, O(nnz).

    Survivors keep weight and optimizer state; new positions start at 0 with zero moments.
    """
    nnz = int(keep.sum()) + len(new_keys)
    indptr = np.empty(layer.n_in + 1, dtype=np.int64)
    indices = np.empty(nnz, dtype=np.int32)
    src = np.empty(nnz, dtype=np.int64)
    kernels.merge_rows(layer.indptr, layer.indices, keep, new_keys, layer.n_out, indptr,
                       indices, src)
    old = src >= 0

    def moved(arr):
        out = np.zeros(nnz, dtype=arr.dtype)
        out[old] = arr[src[old]]
        return out

    layer.set_csr(indptr, indices, moved(layer.data), [moved(s) for s in layer.state])


def set_update(layer, zeta, rng):
    """SET: drop the smallest ``|w|``, regrow as many at uniformly random empty positions.

    Returns the number of weights replaced. nnz is unchanged.
    """
    if not layer.is_sparse or layer.density >= 1.0:
        return 0
    keep, n_drop = prune_smallest(layer, zeta)
    # A just-dropped position may be drawn again (it is empty now); it restarts at zero.
    new = random_keys(layer.n_in, layer.n_out, n_drop, rng, occupied_by(layer, keep),
                      n_taken=layer.nnz - n_drop)
    regrow(layer, keep, new)
    return n_drop


def rigl_update(layer, zeta, XT, GT, block_bytes=1 << 20):
    """RigL: drop the smallest ``|w|``, regrow where ``|dL/dW|`` of this mini-batch is largest.

    Parameters
    ----------
    XT : ndarray, shape (n_in, batch)
        The layer's input on the current mini-batch.
    GT : ndarray, shape (n_out, batch)
        The loss gradient at the layer's outputs (1/batch included).
    block_bytes : int
        Size of one block of the dense gradient; the extra memory of the update.

    Returns the number of weights replaced.
    """
    if not layer.is_sparse or layer.density >= 1.0:
        return 0
    keep, n_drop = prune_smallest(layer, zeta)
    regrow(layer, keep, rigl_regrow(layer, keep, n_drop, XT, GT, block_bytes))
    return n_drop


def rigl_regrow(layer, keep, count, XT, GT, block_bytes=1 << 20):
    """The ``count`` positions not stored-and-kept (``keep``, (nnz,) bool) with the largest
    ``|XT GT^T|``.

    The gradient ``XT @ GT.T`` (n_in, n_out) is formed a block of input rows at a time; a
    kernel appends the block's entries above the running ``count``-th best score to a
    candidate buffer, which is cut back to the best ``count`` whenever it could overflow.
    Memory: one block plus a buffer of ``2 count + block entries``. Returns sorted int64 keys.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    n_in, n_out = layer.n_in, layer.n_out
    step = max(1, block_bytes // (XT.itemsize * n_out))
    GTt = np.ascontiguousarray(GT.T)
    block = np.empty((step, n_out), dtype=XT.dtype)
    # Room for ``count`` more candidates after each cut keeps the cuts few (about
    # ln(n_in * n_out / count) of them) while the buffer stays O(count + block).
    vals = np.empty(2 * count + block.size, dtype=XT.dtype)
    keys = np.empty(2 * count + block.size, dtype=np.int64)
    n, threshold = 0, -1.0
    for r0 in range(0, n_in, step):
        r1 = min(n_in, r0 + step)
        np.matmul(XT[r0:r1], GTt, out=block[: r1 - r0])
        n = kernels.collect_above(block[: r1 - r0], layer.indptr, layer.indices, keep, r0,
                                  threshold, n_out, vals, keys, n)
        if n > count and (n + block.size > len(vals) or r1 == n_in):
            threshold = float(np.partition(vals[:n], n - count)[n - count])
            n = kernels.keep_top(vals, keys, n, threshold, count)
    # The drop freed at least ``count`` positions, so ``n == count`` here.
    return np.sort(keys[:n])

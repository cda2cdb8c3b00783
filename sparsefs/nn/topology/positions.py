"""Drawing weight positions without a dense mask: flat int64 keys ``i * n_out + j``.

Random positions are drawn as keys, already sorted (exponential spacings), deduplicated, and
checked against the stored ones along their CSR row, so memory stays O(count) instead of
O(n_in * n_out).
"""

import numpy as np

from ..kernels import sampling
from ..kernels import topology as topology_kernels

# Nearly full layers enumerate their empty positions in blocks of this many keys (32 MiB of
# int64); others draw random keys and reject the occupied ones, keeping memory O(nnz).
ENUMERATE_BLOCK = 1 << 22

# Rejection sampling turns into enumeration when fewer than this many empty positions per
# wanted one remain: below it, draws collide so often that rounds multiply.
ENUMERATE_BELOW_FREE_PER_WANTED = 4

# Draws per round are sized so the expected number of distinct free positions hit is the
# need plus this many standard deviations (plus a constant for tiny counts): a second round is
# rare, and the surplus to drop again is small, so dropping it costs little.
MARGIN_SIGMAS = 4
OVERSAMPLE_MIN = 16

# Weighted draws (rows by probability) over-draw by this factor per round instead.
WEIGHTED_OVERSAMPLE = 1.25

# Rounds of weighted draws before the remainder is drawn uniformly: heavily weighted rows can
# fill up, and then a weighted draw mostly hits occupied positions.
WEIGHTED_ROUNDS = 8


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
    except for nearly full layers, where the empty positions are listed a block at a time.
    """
    total = n_in * n_out
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if count > total - n_taken:
        raise ValueError(f"cannot place {count} weights in {total - n_taken} empty positions")
    if total - n_taken < ENUMERATE_BELOW_FREE_PER_WANTED * count:
        return _choose_among_free(total, count, rng, occupied)
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < count:
        need = count - len(chosen)
        free = total - n_taken - len(chosen)
        want = min(free, need + MARGIN_SIGMAS * np.sqrt(need) + OVERSAMPLE_MIN)
        # Each free position is hit by ``size`` uniform draws with probability
        # 1 - exp(-size / total): expect ``want`` distinct free ones.
        size = int(np.ceil(-total * np.log1p(-want / free))) if want < free else 4 * total
        draw = sorted_uniform_keys(total, size, rng)
        if occupied is not None:
            draw = draw[~occupied(draw)]
        if len(chosen):
            draw = sampling.sorted_minus(draw, chosen)
        if len(draw) > need:
            # A uniform subset of uniformly drawn distinct keys is uniform; taking the first
            # ones of the sorted draw would favour low keys. Dropping the few surplus keys at
            # random keeps the rest sorted.
            drop = rng.choice(len(draw), size=len(draw) - need, replace=False)
            keep = np.ones(len(draw), dtype=bool)
            keep[drop] = False
            draw = draw[keep]
        chosen = sampling.merge_sorted(chosen, draw) if len(chosen) else draw
    return chosen


def sorted_uniform_keys(total, size, rng):
    """The distinct values among ``size`` independent uniform integers in ``[0, total)``, in
    increasing order, drawn without a sort: the order statistics of uniforms are the
    normalized partial sums of ``size + 1`` standard exponentials. O(size), several times
    faster than drawing, sorting and deduplicating at millions of keys. int64, sorted."""
    keys = np.empty(size, dtype=np.int64)
    m = topology_kernels.spacings_to_keys(rng.standard_exponential(size + 1), total, keys)
    return keys[:m]


def _choose_among_free(total, count, rng, occupied):
    """``count`` of the empty positions, listed a block of keys at a time: O(empty) memory."""
    free_keys = []
    for k0 in range(0, total, ENUMERATE_BLOCK):
        block = np.arange(k0, min(total, k0 + ENUMERATE_BLOCK), dtype=np.int64)
        free_keys.append(block if occupied is None else block[~occupied(block)])
    free_keys = np.concatenate(free_keys)
    if count == len(free_keys):
        return free_keys
    return np.sort(rng.choice(free_keys, size=count, replace=False))


def occupied_by(layer, keep):
    """The ``occupied`` test of :func:`random_keys` for ``layer``'s stored positions in ``keep``."""
    def test(keys):
        out = np.empty(len(keys), dtype=np.bool_)
        topology_kernels.occupied(layer.indptr, layer.indices, keep, layer.n_out, keys, out)
        return out
    return test


def weighted_keys(n_in, n_out, count, row_weights, rng, occupied=None, n_taken=0):
    """``count`` distinct empty positions whose rows are drawn with probabilities
    ``row_weights`` (n_in,), summing to 1, and whose columns are uniform.

    Rows that fill up stop yielding new positions; after a bounded number of rounds the rest
    is drawn uniformly (:func:`random_keys`), so the call always returns ``count`` keys.
    Sorted int64 keys (count,).
    """
    total = n_in * n_out
    if count > total - n_taken:
        raise ValueError(f"cannot place {count} weights in {total - n_taken} empty positions")
    chosen = np.empty(0, dtype=np.int64)
    for _ in range(WEIGHTED_ROUNDS):
        need = count - len(chosen)
        if need == 0:
            return chosen
        # ``size`` independent draws (row by weight, column uniform), grouped by row: the
        # multinomial counts of the rows, then each row's columns. Same distribution as
        # drawing the (row, column) pairs one by one, and the keys come out sorted.
        size = int(need * WEIGHTED_OVERSAMPLE) + OVERSAMPLE_MIN
        counts = rng.multinomial(size, row_weights)
        cols = rng.integers(0, n_out, size=size, dtype=np.int64)
        draw = np.empty(size, dtype=np.int64)
        draw = draw[:sampling.row_draws_to_keys(counts, cols, n_out, draw)]
        if occupied is not None:
            draw = draw[~occupied(draw)]
        if len(chosen):
            draw = sampling.sorted_minus(draw, chosen)
        if len(draw) > need:
            draw = sampling.thin_sorted(draw, need, rng.random(len(draw)))
        chosen = sampling.merge_sorted(chosen, draw) if len(chosen) else draw
    taken = chosen

    def also_chosen(keys):
        hit = np.isin(keys, taken, assume_unique=False)
        return hit if occupied is None else hit | occupied(keys)

    rest = random_keys(n_in, n_out, count - len(chosen), rng, also_chosen,
                       n_taken=n_taken + len(chosen))
    return sampling.merge_sorted(chosen, rest)

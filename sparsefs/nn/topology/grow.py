"""The grow half of a topology update: where the dropped weights come back.

``RandomGrow`` (SET) draws uniformly random empty positions; ``GradientGrow`` (RigL) picks the
empty positions where the mini-batch's dense gradient ``|X^T dH|`` is largest, computed a block
of input rows at a time with a running top-k, so the whole dense gradient never exists.
A just-dropped position is empty again and may come back, at zero, as in RigL.
"""

import numpy as np

from ... import _config as C
from ..kernels import topology as topology_kernels
from .inputs import InputPruning
from .positions import occupied_by, random_keys, weighted_keys

#: Size of one block of RigL's dense gradient (the extra memory of the update besides the
#: candidate buffer).
RIGL_BLOCK_BYTES = 1 << 20

# RigL keeps room for this many times ``count`` candidates (plus one block) between cuts: the
# cuts stay few, about ln(n_in * n_out / count) of them, and memory stays O(count + block).
CANDIDATE_ROOM = 2

# RigL's first threshold is the value an evenly spaced sample of rows says this many times
# ``count`` free positions exceed: high enough that most entries fail the first test, low
# enough that a second pass is rare.
RIGL_GUESS_MARGIN = 1.5


class RandomGrow:
    """SET's regrowth: ``count`` uniformly random positions among the empty ones."""

    name = "random"
    needs_gradient = False

    def __call__(self, layer, keep, count, rng, XT=None, GT=None):
        """Sorted int64 keys (count,) of new positions; ``keep`` (nnz,) marks the survivors."""
        return random_keys(layer.n_in, layer.n_out, count, rng, occupied_by(layer, keep),
                           n_taken=int(keep.sum()))



class GradientGrow:
    """RigL's regrowth: the empty positions of largest ``|dL/dW|`` on the current mini-batch."""

    name = "gradient"
    needs_gradient = True

    def __init__(self, block_bytes=RIGL_BLOCK_BYTES):
        self.block_bytes = int(block_bytes)

    def __call__(self, layer, keep, count, rng, XT=None, GT=None):
        """Sorted int64 keys (count,); XT (n_in, batch) is the layer's input and GT (n_out,
        batch) the loss gradient at its outputs on the step just taken."""
        return rigl_regrow(layer, keep, count, XT, GT, self.block_bytes)



class AttributionGrow:
    """Attribution-guided regrowth: the first layer's new connections start at inputs drawn
    with probability growing with their running attribution; other layers regrow as SET.

    The running attribution is an exponential moving average over mini-batches (``decay``
    per batch) of the scores the training loop passes to :meth:`observe`. A ``floor`` share
    of the probability is spread uniformly over the active inputs, so every input keeps a
    chance to be tried. With ``prune_inputs``, :class:`~sparsefs.nn.topology.inputs.InputPruning`
    removes inputs whose running attribution stays low at the end of each epoch.
    """

    name = "attribution"
    needs_gradient = False

    def __init__(self, decay=C.GUIDED_DECAY, floor=C.GUIDED_FLOOR, prune_inputs=False,
                 min_inputs=C.PRUNE_MIN_INPUTS):
        self.decay, self.floor = float(decay), float(floor)
        self.prune_inputs, self.min_inputs = bool(prune_inputs), int(min_inputs)
        self.ema, self._first, self.pruning = None, None, None

    def observe(self, network, attribution):
        """Fold one mini-batch's attribution (n_features,) into the running average."""
        self._first = network.layers[0]
        if self.ema is None:
            self.ema = np.array(attribution, dtype=np.float64)
            if self.prune_inputs:
                self.pruning = InputPruning(len(self.ema), min_inputs=self.min_inputs)
        else:
            self.ema *= self.decay
            self.ema += (1.0 - self.decay) * attribution

    def row_weights(self):
        """Probability (n_features,) of each input as the start of a new first-layer weight;
        0 for a pruned input."""
        active = np.ones(len(self.ema), dtype=bool) if self.pruning is None else self.pruning.active
        ema = np.where(active, self.ema, 0.0)
        total, n = ema.sum(), int(active.sum())
        share = ema / total if total > 0 else active / n
        w = (1.0 - self.floor) * share + self.floor * active / n
        return w / w.sum()

    def __call__(self, layer, keep, count, rng, XT=None, GT=None):
        if layer is not self._first or self.ema is None:
            return RandomGrow()(layer, keep, count, rng)
        occupied, n_taken = occupied_by(layer, keep), int(keep.sum())
        if self.pruning is not None:
            occupied, n_extra = self.pruning.occupied(layer.n_out, occupied)
            n_taken += n_extra
        return weighted_keys(layer.n_in, layer.n_out, count, self.row_weights(), rng,
                             occupied, n_taken=n_taken)

    def end_epoch(self, network, epoch):
        """Prune the inputs that are due (input pruning on, attribution seen)."""
        if self.pruning is None:
            return
        rows = self.pruning.due(self.ema)
        self.pruning.prune(network, rows)
        self.ema[rows] = 0.0

    def finish(self, network):
        """After the best epoch's network is restored (it may hold inputs pruned later):
        gather exactly the inputs that hold weights."""
        if self.pruning is not None:
            network.set_gathered_inputs(np.flatnonzero(np.diff(network.layers[0].indptr)))


def rigl_regrow(layer, keep, count, XT, GT, block_bytes=RIGL_BLOCK_BYTES):
    """The ``count`` positions not stored-and-kept (``keep``, (nnz,) bool) with the largest
    ``|XT GT^T|``.

    The gradient ``XT @ GT.T`` (n_in, n_out) is formed a block of input rows at a time; a
    kernel appends the block's entries above the running ``count``-th best score to a
    candidate buffer, which is cut back to the best ``count`` whenever it could overflow.
    Memory: one block plus a buffer of ``CANDIDATE_ROOM * count + block`` entries. Returns
    sorted int64 keys.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    n_in, n_out = layer.n_in, layer.n_out
    step = max(1, block_bytes // (XT.itemsize * n_out))
    GTt = np.ascontiguousarray(GT.T)
    block = np.empty((step, n_out), dtype=XT.dtype)
    vals = np.empty(CANDIDATE_ROOM * count + block.size, dtype=XT.dtype)
    keys = np.empty(CANDIDATE_ROOM * count + block.size, dtype=np.int64)
    n_free = n_in * n_out - int(keep.sum())
    guess = _threshold_guess(layer, keep, XT, GTt, block, count, n_free)
    n = _collect(layer, keep, count, XT, GTt, block, vals, keys, guess)
    if n < count:  # the guess was too high: a second pass from no threshold at all
        n = _collect(layer, keep, count, XT, GTt, block, vals, keys, -1.0)
    # The drop freed at least ``count`` positions, so ``n == count`` here.
    return np.sort(keys[:n])


def _threshold_guess(layer, keep, XT, GTt, block, count, n_free):
    """A lower bound, most likely, for the ``count``-th largest ``|gradient|`` at a free
    position: the value exceeded by ``RIGL_GUESS_MARGIN * count`` of them if an evenly spaced
    sample of input rows (one block, stored positions set to 0) is typical. Only a start: a
    pass that finds fewer than ``count`` entries above it is repeated without it, so the
    result never depends on it."""
    n_in = XT.shape[0]
    rows = min(n_in, block.shape[0])
    if rows == n_in or count * RIGL_GUESS_MARGIN >= n_free:
        return -1.0
    sample = np.linspace(0, n_in - 1, rows).astype(np.int64)
    part = block[:rows]
    np.matmul(XT[sample], GTt, out=part)
    topology_kernels.zero_stored(part, layer.indptr, layer.indices, keep, sample)
    flat = np.abs(part, out=part).ravel()  # the block is scratch: no copy
    above = int(RIGL_GUESS_MARGIN * count * flat.size / n_free)
    if above < 1 or above >= flat.size:
        return -1.0
    return float(np.partition(flat, flat.size - above)[flat.size - above])


def _collect(layer, keep, count, XT, GTt, block, vals, keys, threshold):
    """One pass over the gradient's row blocks: the best ``count`` candidates above
    ``threshold`` in ``vals``/``keys``; returns how many (fewer than ``count`` only when
    fewer free positions exceed ``threshold``)."""
    n_in, n_out = layer.n_in, layer.n_out
    step = block.shape[0]
    n = 0
    for r0 in range(0, n_in, step):
        r1 = min(n_in, r0 + step)
        np.matmul(XT[r0:r1], GTt, out=block[: r1 - r0])
        n = topology_kernels.collect_above(block[: r1 - r0], layer.indptr, layer.indices, keep,
                                           r0, threshold, n_out, vals, keys, n)
        # Cut as soon as there are more than ``count`` candidates (the threshold then prunes
        # most of each later block), and whenever the buffer could overflow.
        if n > count and (threshold < 0 or n + block.size > len(vals) or r1 == n_in):
            threshold = float(np.partition(vals[:n], n - count)[n - count])
            n = topology_kernels.keep_top(vals, keys, n, threshold, count)
    return n

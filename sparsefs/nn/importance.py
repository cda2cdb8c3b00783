"""Input-feature importance: neuron strength and neuron attribution.

Neuron strength of input ``j`` is ``sum_i |W1[j, i]|``, the total magnitude of its outgoing
weights. Neuron attribution is ``sum_c mean_k |d p_c(x_k) / d x_kj|``, ``p`` the softmax output.

The attribution Jacobian ``J = (diag(p) - p p^T) W3^T D2 W2^T D1 W1^T`` (per sample) is applied
from the output side, as one vector-Jacobian product per class: the cotangent of class ``c`` is
``p_c (e_c - p)``, which then flows back through the layers' ``input_grad`` (sparse products)
and the ReLU masks. Costs ``2 * C * batch * sum(nnz)`` FLOPs; evaluating the chain from the input
side instead would fill in ``D1 W1^T`` products of size ``n_hidden x d`` per sample.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._config import METRICS, PUBLISHED_FORCED_EPOCHS
from .kernels import products
from .losses import softmax_cotangents

if TYPE_CHECKING:
    from .network import MLP

# Bound on a hidden layer's (width, classes * batch) gradient block, so many classes stay small.
ATTRIBUTION_BLOCK_BYTES = 64 << 20
# Bound on the cotangent block the first layer reads, so its rows stay in L2 while every input
# row gathers them: ten classes at 1,000 hidden units and batch 100 in two blocks of five
# take 0.79x the time of ten single-class passes, in one block of ten 1.11x.
FIRST_LAYER_BLOCK_BYTES = 2 << 20


def neuron_strength(network: MLP, out: np.ndarray | None = None) -> np.ndarray:
    """Neuron strength of every input, (d,) float64, added to ``out`` when given."""
    out = np.zeros(network.n_features) if out is None else out
    network.layers[0].add_strength(out)
    return out


def neuron_attribution(network: MLP, XT: np.ndarray,
                       out: np.ndarray | None = None) -> np.ndarray:
    """Neuron attribution of every input on the mini-batch of the last ``forward(XT)``.

    Parameters
    ----------
    network : MLP
        Its buffers must hold the forward pass of ``XT`` (weights not yet updated).
    XT : ndarray, shape (d, batch)
    out : ndarray, shape (d,), float64, optional
        Accumulator; the batch's scores are added to it.

    Returns
    -------
    ndarray, shape (d,): ``sum_c mean_k |d p_c / d x_j|`` (added to ``out``).
    """
    d, batch = XT.shape
    out = np.zeros(d) if out is None else out
    acts, _ = network.buffers(batch)
    P = acts[-1]
    C = P.shape[0]
    itemsize = np.dtype(network.dtype).itemsize
    # The first layer's input gradient is reduced into ``out`` as it is formed, so the widest
    # block held is a hidden layer's (width, classes * batch).
    widest = max([layer.n_in for layer in network.layers[1:]], default=1)
    per_class = max(1, min(C, ATTRIBUTION_BLOCK_BYTES // max(1, widest * batch * itemsize)))
    # Two softmax classes: p_0 = 1 - p_1, so |dp_0/dx| = |dp_1/dx| (to rounding) and one
    # vector-Jacobian product gives both terms: half the cost of a binary fit's attribution.
    mirrored = attribution_passes(network) < C
    wanted = np.array([1]) if mirrored else np.arange(C)
    weight = (2.0 if mirrored else 1.0) / batch
    first_block = len(wanted) * network.layers[0].n_out * batch * itemsize
    n_blocks = max(-(-len(wanted) // per_class), -(-first_block // FIRST_LAYER_BLOCK_BYTES))
    per_class = -(-len(wanted) // n_blocks)  # blocks of equal size
    for c0 in range(0, len(wanted), per_class):
        classes = wanted[c0:c0 + per_class]
        G = back_to_first_layer(network, acts, network.loss_fn.cotangents(P, classes))
        network.layers[0].input_grad_abs_sum(G, weight, out)
    return out


def back_to_first_layer(network, acts, G):
    """Cotangents ``G`` (C_out, k * batch) at the network's outputs carried back through every
    layer but the first (``input_grad`` and the ReLU masks of ``acts``, the buffers of the last
    forward pass): (first layer's n_out, k * batch)."""
    for k in range(len(network.layers) - 1, 0, -1):
        layer = network.layers[k]
        dX = np.empty((layer.n_in, G.shape[1]), dtype=network.dtype)
        layer.input_grad(G, dX)
        products.relu_backward(acts[k - 1], dX)
        G = dX
    return G


def attribution_passes(network):
    """Vector-Jacobian products per sample that :func:`neuron_attribution` computes: one per
    output, but one for two softmax classes (their gradients are mirror images)."""
    C = network.n_classes
    return 1 if C == 2 and getattr(network.loss_fn, "softmax_attribution", False) else C


def class_cotangents(P, classes):
    """Cotangents ``p_c (e_c - p)`` of the softmax outputs (see ``losses.softmax_cotangents``)."""
    return softmax_cotangents(P, classes)


class ImportanceAccumulator:
    """Both metrics of every training mini-batch, summed the ways the variants need.

    Per metric it keeps (d,) float64 sums: of the last mini-batch, of the current epoch, of all
    epochs so far, and, frozen at the best epoch, the sum up to it and that epoch's own sum;
    and, frozen at the published code's best epoch (see :meth:`end_epoch`), the sum of the
    epochs before it.

    Parameters
    ----------
    n_features : int
    attribution : bool
        Compute attribution (about C input-gradient passes per mini-batch); when False its
        scores stay zero.
    keep_history : bool
        Also keep every epoch's (d,) sums, as float32, for :meth:`history`.
    """

    def __init__(self, n_features, attribution=True, keep_history=False):
        self.attribution = attribution
        self.per_epoch = {m: [] for m in METRICS} if keep_history else None
        self.samples = 0  # mini-batch samples attribution was computed on, for FLOPs

        def zeros():
            return {m: np.zeros(n_features) for m in METRICS}

        self.last, self.epoch, self.total = zeros(), zeros(), zeros()
        self.to_best, self.best_epoch = zeros(), zeros()
        self.before_published_best = zeros()
        self.published_best_epoch, self._published_best_loss = 0, np.inf

    def add_batch(self, network, XT, attribution=True):
        """Score the mini-batch of the last ``network.forward(XT)``, before the weights move;
        ``attribution=False`` skips this batch's attribution (a cheaper schedule), so its
        sums and ``last`` keep the batches that had it."""
        self.last["strength"][:] = 0
        neuron_strength(network, self.last["strength"])
        if self.attribution and attribution:
            self.last["attr"][:] = 0
            neuron_attribution(network, XT, self.last["attr"])
            self.samples += XT.shape[1]
        self.epoch["strength"] += self.last["strength"]
        if attribution:
            self.epoch["attr"] += self.last["attr"]

    def end_epoch(self, epoch=None, val_loss=None):
        """Fold the epoch's sums into the running total.

        With ``epoch`` (1-based) and its ``val_loss``, also apply the published code's best
        rule first: the epoch is its best when ``val_loss`` is below the last best's or it is
        one of the first ``PUBLISHED_FORCED_EPOCHS``; its window is the epochs before the best.
        """
        if epoch is not None and (val_loss < self._published_best_loss
                                  or epoch <= PUBLISHED_FORCED_EPOCHS):
            self._published_best_loss, self.published_best_epoch = val_loss, epoch
            for m in METRICS:
                self.before_published_best[m][:] = self.total[m]
        for m in METRICS:
            self.total[m] += self.epoch[m]
            if self.per_epoch is not None:
                self.per_epoch[m].append(self.epoch[m].astype(np.float32))

    def history(self):
        """``{metric: (epochs, d) float32}``, each epoch's summed importance, or None when
        the accumulator was not asked to keep it."""
        if self.per_epoch is None:
            return None
        d = len(self.total[METRICS[0]])
        return {m: np.array(rows, dtype=np.float32).reshape(len(rows), d)
                for m, rows in self.per_epoch.items()}

    def start_epoch(self):
        for m in METRICS:
            self.epoch[m][:] = 0

    def mark_best(self):
        """The epoch just ended is the best so far: freeze the sums the variants report."""
        for m in METRICS:
            self.to_best[m][:] = self.total[m]
            self.best_epoch[m][:] = self.epoch[m]

    def scores(self):
        """``{metric: {variant: (d,) float64}}`` for the variants of ``IMPORTANCE_VARIANTS``:
        ``sum_to_best`` (every mini-batch of epochs 1..best), ``best_epoch`` (that epoch's
        only), ``last_batch`` (the final mini-batch), ``published`` (epochs before the
        published rule's best) and ``all_epochs`` (every epoch run)."""
        return {m: {"sum_to_best": self.to_best[m].copy(),
                    "best_epoch": self.best_epoch[m].copy(),
                    "last_batch": self.last[m].copy(),
                    "published": self.before_published_best[m].copy(),
                    "all_epochs": self.total[m].copy()} for m in METRICS}

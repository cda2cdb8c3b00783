"""Input pruning: inputs the running attribution keeps at the bottom lose every first-layer
weight and are no longer gathered, so the first layer's cost falls as training goes.

At the end of every epoch the active inputs are ranked by their running attribution (the
guided rule's moving average). An input in the bottom ``fraction`` of them gets a strike, any
other input's strikes reset; an input with ``patience`` strikes in a row is due. At most a
``rate`` share of the active inputs is pruned in one epoch, the lowest running attribution
first, so a wide bottom (``fraction``) keeps inputs due every epoch and the active set shrinks
geometrically (by ``1 - rate`` an epoch) instead of one wave every ``patience`` epochs. A
pruned input's stored weights are removed (not regrown elsewhere: nnz falls by exactly its
degree), it is never a regrowth target again and the network stops gathering it. Pruning
stops at ``min_inputs`` active inputs.
"""

import numpy as np

from ... import _config as C


class InputPruning:
    """State and decisions of input pruning for one first layer of ``n_features`` inputs.

    Parameters
    ----------
    n_features : int
    fraction : float in (0, 1)
        Share of the active inputs (lowest running attribution) that get a strike each epoch.
    patience : int
        Consecutive epochs with a strike before an input is due.
    rate : float in (0, 1]
        Largest share of the active inputs pruned in one epoch (at least one input when any
        is due).
    min_inputs : int
        Active inputs never fall below this (the floor), nor below 1.
    """

    def __init__(self, n_features, fraction=C.PRUNE_FRACTION, patience=C.PRUNE_PATIENCE,
                 min_inputs=C.PRUNE_MIN_INPUTS, rate=C.PRUNE_RATE):
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"prune fraction must be in (0, 1), got {fraction}")
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"prune rate must be in (0, 1], got {rate}")
        self.n_features = int(n_features)
        self.fraction, self.patience = float(fraction), max(1, int(patience))
        self.rate = float(rate)
        self.min_inputs = max(1, min(int(min_inputs), self.n_features))
        self.active = np.ones(self.n_features, dtype=bool)
        self.strikes = np.zeros(self.n_features, dtype=np.int64)

    @property
    def n_active(self):
        return int(self.active.sum())

    def due(self, running):
        """Inputs (sorted int64) to prune now, given the running attribution (n_features,);
        updates the strikes. Call once per epoch."""
        act = np.flatnonzero(self.active)
        room = len(act) - self.min_inputs
        if room <= 0:
            return np.empty(0, dtype=np.int64)
        n_low = int(np.floor(self.fraction * len(act)))
        low = np.zeros(self.n_features, dtype=bool)
        if n_low:
            # Stable order on ties, so the same running attribution gives the same strikes.
            order = act[np.argsort(running[act], kind="stable")]
            low[order[:n_low]] = True
        self.strikes[low] += 1
        self.strikes[~low] = 0
        ready = np.flatnonzero(self.active & (self.strikes >= self.patience))
        cap = min(room, max(1, int(np.floor(self.rate * len(act)))))
        if len(ready) > cap:
            ready = np.sort(ready[np.argsort(running[ready], kind="stable")[:cap]])
        return ready

    def prune(self, network, rows):
        """Remove every first-layer weight of the inputs ``rows`` and stop gathering them.

        Returns the number of weights removed.
        """
        if len(rows) == 0:
            return 0
        layer = network.layers[0]
        self.active[rows] = False
        self.strikes[rows] = 0
        degree = np.diff(layer.indptr)
        keep = np.repeat(self.active, degree)
        removed = layer.nnz - int(keep.sum())
        layer.rebuild(keep, np.empty(0, dtype=np.int64))
        network.set_gathered_inputs(np.flatnonzero(self.active))
        return removed

    def occupied(self, n_out, occupied):
        """``occupied`` of the first layer with every position of a pruned input added, and
        how many positions that adds: regrowth then never lands on a pruned input."""
        pruned = ~self.active

        def test(keys):
            return occupied(keys) | pruned[keys // n_out]
        return test, int(pruned.sum()) * n_out

"""Initialisation of a sparse MLP: Erdos-Renyi-Kernel densities, exact counts, initial weights."""

import math

import numpy as np


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


def init_values(n_in, count, rng, dtype):
    """Initial weights like PyTorch's ``nn.Linear`` on the dense shape: U(-1/sqrt(n_in), +)."""
    bound = 1.0 / math.sqrt(n_in)
    return rng.uniform(-bound, bound, size=count).astype(dtype)

"""Small builders shared by the engine tests (not a test module)."""

import numpy as np

from sparsefs import topology
from sparsefs.dense import DenseLayer
from sparsefs.layers import SparseLayer
from sparsefs.optim import Optimizer


def random_sparse_layer(n_in, n_out, density, rng, dtype=np.float64, optimizer=None):
    """A SparseLayer with ``density * n_in * n_out`` random positions and N(0, 1) weights."""
    nnz = max(1, int(round(density * n_in * n_out)))
    keys = topology.random_keys(n_in, n_out, nnz, rng)
    values = rng.standard_normal(nnz).astype(dtype)
    bias = rng.standard_normal(n_out).astype(dtype)
    return SparseLayer(n_in, n_out, keys, values, bias, optimizer or Optimizer())


def dense_twin(layer, optimizer=None):
    """The DenseLayer holding exactly the same weights (zeros where nothing is stored)."""
    W = np.zeros((layer.n_in, layer.n_out), dtype=layer.dtype)
    rows = np.repeat(np.arange(layer.n_in), np.diff(layer.indptr))
    W[rows, layer.indices] = layer.data
    return DenseLayer(W, layer.bias.copy(), optimizer or Optimizer())


def stored_mask(layer):
    """Boolean (n_in, n_out) of stored positions, for small test layers only."""
    M = np.zeros((layer.n_in, layer.n_out), dtype=bool)
    rows = np.repeat(np.arange(layer.n_in), np.diff(layer.indptr))
    M[rows, layer.indices] = True
    return M

"""Small builders shared by the tests (not a test module; the fixtures are in conftest.py)."""

from pathlib import Path

import numpy as np

from sparsefs.nn.dense_layer import DenseLayer
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.sparse_layer import SparseLayer
from sparsefs.nn.topology import random_keys

REPO = Path(__file__).resolve().parents[1]


def random_sparse_layer(n_in, n_out, density, rng, dtype=np.float64, optimizer=None):
    """A SparseLayer with ``density * n_in * n_out`` random positions and N(0, 1) weights."""
    nnz = max(1, int(round(density * n_in * n_out)))
    keys = random_keys(n_in, n_out, nnz, rng)
    values = rng.standard_normal(nnz).astype(dtype)
    bias = rng.standard_normal(n_out).astype(dtype)
    return SparseLayer(n_in, n_out, keys, values, bias, optimizer or Optimizer())


def dense_weights(layer):
    """The (n_in, n_out) weight matrix of a sparse layer, zeros where nothing is stored."""
    W = np.zeros((layer.n_in, layer.n_out), dtype=layer.dtype)
    rows = np.repeat(np.arange(layer.n_in), np.diff(layer.indptr))
    W[rows, layer.indices] = layer.data
    return W


def dense_twin(layer, optimizer=None):
    """The DenseLayer holding exactly the same weights (zeros where nothing is stored)."""
    return DenseLayer(dense_weights(layer), layer.bias.copy(), optimizer or Optimizer())


def stored_mask(layer):
    """Boolean (n_in, n_out) of stored positions, for small test layers only."""
    M = np.zeros((layer.n_in, layer.n_out), dtype=bool)
    rows = np.repeat(np.arange(layer.n_in), np.diff(layer.indptr))
    M[rows, layer.indices] = True
    return M


def write_text(folder, name, text):
    """Write ``text`` to ``folder/name`` and return that path."""
    path = Path(folder) / name
    path.write_text(text)
    return path

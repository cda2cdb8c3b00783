"""A fit's result does not depend on how many Numba threads ran it: every kernel gives each
output element to one thread, in a fixed order, so the thread budget may change between epochs
(see ``sparsefs.nn.thread_budget``) without changing what one seed gives."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from sparsefs import SparseFeatureSelector

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                                reason="needs 2 or more Numba threads to compare with 1")


def _problem(sparse):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((240, 150)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int) + (X[:, 3] > 1)
    if sparse:
        X[np.abs(X) < 1.0] = 0
        return sp.csr_matrix(X), y
    return X, y


def _fit(X, y, method, threads, hidden, density):
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return SparseFeatureSelector(5, method=method, density=density,
                                     hidden_layer_sizes=hidden, max_iter=6, n_iter_no_change=6,
                                     random_state=1).fit(X, y)
    finally:
        numba.set_num_threads(previous)


@pytest.mark.parametrize("method,sparse,hidden,density", [
    ("set", False, (64, 16), 0.3), ("rigl", False, (64, 16), 0.3),
    ("guided-prune", False, (64, 16), 0.3), ("set", True, (64, 16), 0.3),
    ("dense", False, (64, 16), 1.0),
    # a first layer past PARALLEL_SELECT_MIN weights: the prune's select runs in tasks
    ("set", False, (400, 16), 0.9)])
def test_one_thread_and_all_threads_give_the_same_fit(method, sparse, hidden, density):
    X, y = _problem(sparse)
    one = _fit(X, y, method, 1, hidden, density)
    many = _fit(X, y, method, numba.config.NUMBA_NUM_THREADS, hidden, density)
    if hidden[0] == 400:
        from sparsefs.nn.topology.prune import PARALLEL_SELECT_MIN
        assert one.network_.layers[0].nnz >= PARALLEL_SELECT_MIN
    for metric in ("attr", "strength"):
        np.testing.assert_array_equal(one.scores_[metric], many.scores_[metric])
    assert one.result_.history["val_loss"] == many.result_.history["val_loss"]
    for a, b in zip(one.network_.layers, many.network_.layers):
        snap_a, snap_b = a.copy_params(), b.copy_params()
        assert snap_a.keys() == snap_b.keys()
        for name in snap_a:  # weights, biases and the topology, bit for bit
            np.testing.assert_array_equal(snap_a[name], snap_b[name])

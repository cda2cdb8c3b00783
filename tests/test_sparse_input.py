"""A CSR X stays sparse into the first layer: SparseBatch, its forward product and its fused
backward step, checked against scipy products and the dense-input path."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparsefs import SparseFeatureSelector
from sparsefs.nn.network import build_mlp
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.sparse_batch import SparseBatch


def _csr(n, d, density, seed):
    return sp.random(n, d, density=density, format="csr", random_state=seed, dtype=np.float64)


def test_sparse_batch_is_the_transposed_rows_and_scales_each_feature():
    X = _csr(40, 300, 0.05, 0)
    rows = np.array([5, 0, 39, 12, 12, 7], dtype=np.int64)  # repeats and any order
    inv_scale = np.random.default_rng(1).uniform(0.5, 2.0, 300)
    batch = SparseBatch(300, np.float64).fill(X, rows, inv_scale)
    assert batch.shape == (300, 6) and batch.nnz == X[rows].nnz
    np.testing.assert_array_equal(batch.toarray(), (X[rows].multiply(inv_scale)).toarray().T)
    np.testing.assert_array_equal(batch[100:140], batch.toarray()[100:140])
    small = SparseBatch(300, np.float64).fill(X, rows[:2])  # reuse: stale values never leak
    batch.fill(X, rows[:2])
    np.testing.assert_array_equal(batch.toarray(), small.toarray())


def test_sparse_input_forward_and_step_match_scipy_and_the_dense_input_path():
    X = _csr(60, 500, 0.03, 2)
    rows = np.arange(10, 42, dtype=np.int64)
    y = np.random.default_rng(3).integers(0, 3, len(rows))
    nets = [build_mlp(500, 3, (50, 12), "set", 0.2, Optimizer(l2=1e-3), np.random.default_rng(4),
                      np.float64) for _ in range(2)]
    sparse_xt = nets[0].batch_input(X, rows)
    assert isinstance(sparse_xt, SparseBatch)
    dense_xt = np.ascontiguousarray(X[rows].toarray().T)
    first = nets[0].layers[0]
    h = np.empty((first.n_out, len(rows)))
    first.forward(sparse_xt, h)
    reference = (first.to_scipy().T @ X[rows].T).toarray() + first.bias[:, None]
    np.testing.assert_allclose(h, reference, rtol=1e-12, atol=1e-14)
    p_sparse, p_dense = nets[0].forward(sparse_xt).copy(), nets[1].forward(dense_xt).copy()
    np.testing.assert_allclose(p_sparse, p_dense, rtol=1e-12)
    loss_sparse, loss_dense = nets[0].backward(sparse_xt, y), nets[1].backward(dense_xt, y)
    assert loss_sparse == pytest.approx(loss_dense, rel=1e-12)
    for a, b in zip(nets[0].layers, nets[1].layers):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(a.bias, b.bias, rtol=1e-10, atol=1e-15)
    moved = nets[0].layers[0].data != build_mlp(500, 3, (50, 12), "set", 0.2, Optimizer(),
                                               np.random.default_rng(4), np.float64).layers[0].data
    assert moved.all()  # Adam and L2 move every stored weight, stored input or not


@pytest.mark.parametrize("method", ["set", "rigl", "guided-prune"])
def test_training_on_csr_follows_training_on_the_same_dense_array(method):
    X = _csr(160, 400, 0.05, 6)
    signal = np.asarray(X[:, :20].sum(axis=1)).ravel()
    y = (signal > np.median(signal)).astype(int)
    kw = dict(method=method, density=0.2, hidden_layer_sizes=(32, 8), max_iter=4,
              dtype="float64", standardize=False, random_state=7)
    on_csr = SparseFeatureSelector(10, **kw).fit(X, y)
    on_dense = SparseFeatureSelector(10, **kw).fit(X.toarray(), y)
    assert on_csr.result_.history["nnz"] == on_dense.result_.history["nnz"]
    np.testing.assert_allclose(on_csr.result_.history["val_loss"],
                               on_dense.result_.history["val_loss"], rtol=1e-9)
    for metric in ("attr", "strength"):
        np.testing.assert_allclose(on_csr.scores_[metric], on_dense.scores_[metric], rtol=1e-7,
                                   atol=1e-12)


def test_a_csr_fit_never_allocates_the_dense_input_block():
    import tracemalloc

    d, batch = 200_000, 256
    X = _csr(320, d, 0.0005, 8).astype(np.float32)
    y = np.arange(320) % 2
    kw = dict(method="set", density=0.002, hidden_layer_sizes=(32, 8), max_iter=1,
              batch_size=batch, attribution=False, random_state=0)
    SparseFeatureSelector(10, **kw).fit(X[:64], y[:64])  # compile outside the trace
    tracemalloc.start()
    try:
        SparseFeatureSelector(10, **kw).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # One float32 (d, batch) input block would be 205 MB; the per-feature bookkeeping (scores
    # of every importance variant, the batch's indptr) is about 200 bytes a feature.
    block = d * batch * 4
    assert peak < block / 4, f"peak {peak / 2**20:.1f} MiB"


def test_prediction_on_a_wide_csr_takes_full_batches_and_matches_small_ones(monkeypatch):
    d = 300_000  # a dense block would be capped at a handful of rows
    rng = np.random.default_rng(9)
    rows, cols = rng.integers(0, 2100, 30_000), rng.integers(0, d, 30_000)
    X = sp.csr_matrix((rng.standard_normal(30_000), (rows, cols)), shape=(2100, d))
    X.sum_duplicates()
    net = build_mlp(d, 2, (16, 4), "set", 0.001, Optimizer(), np.random.default_rng(0),
                    np.float64)
    calls = []
    forward = net.forward

    def counting(XT):
        calls.append(XT.shape[1])
        return forward(XT)
    monkeypatch.setattr(net, "forward", counting)
    P = net.predict_proba(X)
    assert calls == [1024, 1024, 52]
    np.testing.assert_allclose(P, net.predict_proba(X, batch=7), rtol=1e-12)


def test_blocked_transposition_of_sorted_rows_equals_the_one_pass_form():
    # Wider than one feature block, so rows resume across blocks; an unsorted copy of the
    # same matrix takes the one-pass path, and both must give scipy's transposed rows.
    from sparsefs.nn.kernels.sparse_input import FEATURE_BLOCK

    d = 2 * FEATURE_BLOCK + 1234
    X = _csr(30, d, 0.002, 11)
    X.sort_indices()
    shuffled = X.copy()
    for r in range(shuffled.shape[0]):
        lo, hi = shuffled.indptr[r], shuffled.indptr[r + 1]
        order = np.random.default_rng(r).permutation(hi - lo)
        shuffled.indices[lo:hi] = shuffled.indices[lo:hi][order]
        shuffled.data[lo:hi] = shuffled.data[lo:hi][order]
    shuffled.has_sorted_indices = False
    rows = np.array([3, 29, 0, 3, 17], dtype=np.int64)
    inv_scale = np.random.default_rng(2).uniform(0.5, 2.0, d)
    blocked = SparseBatch(d, np.float64).fill(X, rows, inv_scale)
    one_pass = SparseBatch(d, np.float64).fill(shuffled, rows, inv_scale)
    reference = X[rows].multiply(inv_scale).toarray().T
    np.testing.assert_array_equal(blocked.toarray(), reference)
    np.testing.assert_array_equal(one_pass.toarray(), reference)
    np.testing.assert_array_equal(blocked.indptr, one_pass.indptr)
    np.testing.assert_array_equal(blocked.samples[:blocked.nnz], one_pass.samples[:one_pass.nnz])

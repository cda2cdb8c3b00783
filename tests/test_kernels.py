"""Sparse layer numerics against independent references: scipy products, the dense layer,
and finite differences of the loss (float64)."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import dense_twin, random_sparse_layer, stored_mask

from sparsefs.nn.layer import Layer
from sparsefs.nn.losses import softmax_columns
from sparsefs.nn.network import MLP, build_mlp
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.sparse_layer import SparseLayer, mirror_block_rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_scipy(dtype):
    rng = np.random.default_rng(0)
    layer = random_sparse_layer(70, 45, 0.1, rng, dtype)
    XT = rng.standard_normal((70, 13)).astype(dtype)
    out = np.empty((45, 13), dtype=dtype)
    layer.forward(XT, out)
    W = layer.to_scipy()
    ref = (W.T @ XT) + layer.bias[:, None]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_sddmm_and_input_grad_match_scipy():
    rng = np.random.default_rng(1)
    layer = random_sparse_layer(60, 40, 0.15, rng)
    XT = rng.standard_normal((60, 9))
    GT = rng.standard_normal((40, 9))
    full = XT @ GT.T
    rows = np.repeat(np.arange(60), np.diff(layer.indptr))
    np.testing.assert_allclose(layer.weight_grad(XT, GT), full[rows, layer.indices], rtol=1e-12)
    dX = np.empty_like(XT)
    layer.input_grad(GT, dX)
    np.testing.assert_allclose(dX, layer.to_scipy() @ GT, rtol=1e-12, atol=1e-12)


def test_one_adam_step_equals_dense_layer_at_stored_positions():
    rng = np.random.default_rng(2)
    layer = random_sparse_layer(50, 30, 0.2, rng, optimizer=Optimizer(l2=1e-3))
    twin = dense_twin(layer, Optimizer(l2=1e-3))
    XT = rng.standard_normal((50, 8))
    GT = rng.standard_normal((30, 8)) / 8
    dX_s, dX_d = np.empty_like(XT), np.empty_like(XT)
    for opt in (layer.optimizer, twin.optimizer):
        opt.begin_step()
    layer.backward(XT, GT, dX_s)
    twin.backward(XT, GT, dX_d)
    mask = stored_mask(layer)
    rows = np.repeat(np.arange(50), np.diff(layer.indptr))
    np.testing.assert_allclose(layer.data, twin.W[rows, layer.indices], rtol=1e-12)
    np.testing.assert_allclose(layer.bias, twin.bias, rtol=1e-12)
    # Input gradient with the weights before the step: the dense twin's zeros contribute nothing.
    np.testing.assert_allclose(dX_s, dX_d, rtol=1e-10, atol=1e-12)
    assert mask.sum() == layer.nnz


def _loss(net, X, y):
    XT = np.ascontiguousarray(X.T)
    P = net.forward(XT).copy()
    return -np.mean(np.log(P[y, np.arange(len(y))]))


def test_network_gradient_matches_finite_differences():
    """SGD with lr 1, no momentum, no L2 moves each weight by exactly -grad: compare to FD."""
    rng = np.random.default_rng(3)
    opt = Optimizer("sgd", lr=1.0, l2=0.0, momentum=0.0)
    net = build_mlp(12, 3, (9, 7), "set", 0.5, opt, rng, np.float64)
    X = rng.standard_normal((6, 12))
    y = np.array([0, 1, 2, 0, 1, 2])
    h = 1e-6
    fd = []
    for layer in net.layers:
        g = np.empty(layer.nnz)
        for p in range(layer.nnz):
            w = layer.data[p]
            layer.data[p] = w + h
            up = _loss(net, X, y)
            layer.data[p] = w - h
            down = _loss(net, X, y)
            layer.data[p] = w
            g[p] = (up - down) / (2 * h)
        fd.append(g)
    before = [layer.data.copy() for layer in net.layers]
    XT = net.batch_input(X, np.arange(6))
    net.forward(XT)
    net.backward(XT, y)
    for layer, w0, g in zip(net.layers, before, fd):
        np.testing.assert_allclose(w0 - layer.data, g, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_optimizer_steps_match_a_float64_reference_of_pytorchs_update(dtype, name):
    """Three steps of the fused update (scalars in the weights' dtype) against Adam and SGD
    with momentum written out in float64 from PyTorch's formulas, coupled L2 included."""
    rng = np.random.default_rng(7)
    opt = Optimizer(name, lr=1e-2, l2=1e-3)
    layer = random_sparse_layer(40, 30, 0.25, rng, dtype, optimizer=opt)
    XT = rng.standard_normal((40, 20)).astype(dtype)
    GT = (rng.standard_normal((30, 20)) / 20).astype(dtype)
    rows = np.repeat(np.arange(40), np.diff(layer.indptr))
    g0 = (XT.astype(np.float64) @ GT.astype(np.float64).T)[rows, layer.indices]
    w = layer.data.astype(np.float64)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in (1, 2, 3):
        opt.begin_step()
        layer.backward(XT, GT)
        g = g0 + 1e-3 * w
        if name == "adam":
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w = w - 1e-2 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        else:
            m = 0.9 * m + g
            w = w - 1e-2 * m
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(layer.data, w, rtol=tol, atol=tol * 1e-2)


def test_sparse_network_equals_dense_network_with_masked_weights():
    rng = np.random.default_rng(4)
    sparse_net = build_mlp(20, 4, (16, 8), "set", 0.3, Optimizer(), rng, np.float64)
    dense_net = MLP([dense_twin(layer) for layer in sparse_net.layers])
    X = rng.standard_normal((10, 20))
    y = rng.integers(0, 4, 10)
    XT = np.ascontiguousarray(X.T)
    P_s = sparse_net.forward(XT).copy()
    P_d = dense_net.forward(XT).copy()
    np.testing.assert_allclose(P_s, P_d, rtol=1e-12)
    loss_s = sparse_net.backward(XT, y)
    dense_net.forward(XT)
    loss_d = dense_net.backward(XT, y)
    assert loss_s == pytest.approx(loss_d, rel=1e-12)
    for ls, ld in zip(sparse_net.layers, dense_net.layers):
        rows = np.repeat(np.arange(ls.n_in), np.diff(ls.indptr))
        np.testing.assert_allclose(ls.data, ld.W[rows, ls.indices], rtol=1e-10)


def test_csr_input_gives_the_same_batch_as_dense_input():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 25)).astype(np.float32)
    X[rng.random(X.shape) < 0.7] = 0
    net = build_mlp(25, 2, (8,), "set", 0.5, Optimizer(), rng)
    rows = np.array([3, 17, 0, 29, 8])
    a = net.batch_input(X, rows).copy()
    b = net.batch_input(sp.csr_matrix(X), rows).toarray()  # a SparseBatch on a sparse layer
    np.testing.assert_array_equal(a, X[rows].T)
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_standardizing_gather_equals_standardizing_then_gathering(dtype, order):
    """The folded scaling (a reciprocal multiply in float64) against a standardized copy made
    by numpy, on every input and on a subset of gathered inputs (the others stay 0): 600
    features make three tasks of the gather, the last one partial, and 17 rows two blocks of
    eight samples and one left over."""
    rng = np.random.default_rng(6)
    X = np.asarray((rng.standard_normal((40, 600)) * 3 + 1).astype(dtype), order=order)
    mean, scale = X.mean(axis=0, dtype=np.float64), X.std(axis=0, dtype=np.float64)
    net = build_mlp(600, 2, (8,), "set", 0.5, Optimizer(), rng, dtype)
    net.set_input_scaling(mean, scale)
    rows = rng.permutation(40)[:17]
    want = ((X[rows].astype(np.float64) - mean) / scale).T.astype(dtype)
    ulp = np.finfo(dtype).eps
    np.testing.assert_allclose(net.batch_input(X, rows), want, rtol=2 * ulp, atol=2 * ulp)
    cols = np.sort(rng.choice(600, 250, replace=False))
    net.set_gathered_inputs(cols)
    got = net.batch_input(X, rows)
    np.testing.assert_allclose(got[cols], want[cols], rtol=2 * ulp, atol=2 * ulp)
    assert not np.delete(got, cols, axis=0).any()
    net.set_input_scaling(None, None)
    np.testing.assert_array_equal(net.batch_input(X, rows)[cols], X[rows][:, cols].T)


def test_softmax_is_over_classes_not_batch():
    Z = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, -1.0]])
    softmax_columns(Z)
    np.testing.assert_allclose(Z.sum(axis=0), 1.0)
    np.testing.assert_allclose(Z[:, 0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


@pytest.mark.parametrize("n_in, n_out, density, batch", [
    (3000, 40, 0.2, 11),    # twelve input blocks of the mirror
    (5000, 7, 0.003, 3),    # the largest blocks; most (block, output) pairs empty
    (64, 33, 0.9, 5),       # one block; an odd number of outputs for the two threads
])
@pytest.mark.parametrize("relu", [False, True])
def test_blocked_gather_forward_matches_scipy(n_in, n_out, density, batch, relu):
    rng = np.random.default_rng(6)
    layer = random_sparse_layer(n_in, n_out, density, rng)
    rows = mirror_block_rows(n_in, n_out, layer.nnz)
    block_ptr = layer.mirror()[0]
    assert block_ptr.shape == (-(-n_in // rows), n_out + 1)
    XT = rng.standard_normal((n_in, batch))
    out = np.empty((n_out, batch))
    layer.forward(XT, out, relu=relu)
    want = layer.to_scipy().T @ XT + layer.bias[:, None]
    np.testing.assert_allclose(out, np.maximum(want, 0) if relu else want, rtol=1e-12,
                               atol=1e-12)


def test_mirror_blocks_hold_the_rows_and_outputs_they_say():
    rng = np.random.default_rng(8)
    layer = random_sparse_layer(700, 50, 0.2, rng)
    rows = mirror_block_rows(700, 50, layer.nnz)
    assert 1 < rows < 700
    block_ptr, block_rows, idx_in, perm = layer.mirror()
    assert block_rows == rows and idx_in.dtype == np.uint16
    assert sorted(perm.tolist()) == list(range(layer.nnz))  # every weight exactly once
    for k in range(block_ptr.shape[0]):
        for j in range(50):
            seg = slice(block_ptr[k, j], block_ptr[k, j + 1])
            assert np.all(layer.indices[perm[seg]] == j)
            row = k * rows + idx_in[seg].astype(np.int64)
            assert np.all(idx_in[seg] < rows) and np.all(np.diff(row) > 0)
            assert np.all(row == np.searchsorted(layer.indptr, perm[seg], side="right") - 1)


def test_both_layers_satisfy_the_layer_interface():
    rng = np.random.default_rng(7)
    sparse = random_sparse_layer(9, 4, 0.5, rng)
    dense = dense_twin(sparse)
    for layer in (sparse, dense):
        assert isinstance(layer, Layer), type(layer).__name__
    assert isinstance(sparse, SparseLayer) and not isinstance(dense, SparseLayer)
    assert dense.density == 1.0 and sparse.density == pytest.approx(18 / 36)
    # The check is real: an object missing part of the interface is not a Layer.
    assert not isinstance(object(), Layer)
    assert not isinstance(sparse.to_scipy(), Layer)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standardizer_statistics_are_numpys_bit_for_bit(dtype):
    """The column statistics kernel sums each column row by row in float64, as numpy's
    mean/std over axis 0 of a float64 copy do: equal to the last bit, for a width that is not
    a multiple of the kernel's column block and columns of very different scales."""
    from sparsefs.data.scaling import Standardizer

    rng = np.random.default_rng(3)
    X = (rng.standard_normal((301, 1000 + 37)) * rng.uniform(1e-3, 1e3, 1037) + 5).astype(dtype)
    X[:, 7] = 2.5  # a constant column keeps scale 1
    fitted = Standardizer().fit(X)
    reference = X.astype(np.float64)
    np.testing.assert_array_equal(fitted.mean_, reference.mean(axis=0))
    std = reference.std(axis=0)
    np.testing.assert_array_equal(fitted.scale_, np.where(std > 0, std, 1.0))
    assert fitted.scale_[7] == 1.0

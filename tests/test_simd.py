"""The register-held row products (``kernels.simd``) at every batch width they split
differently: narrower than one vector (the plain loops), exactly one vector, one lane over, a
partial last vector overlapping the one before it, one panel full, two and three panels.
References are float64 products of the dense weights (scipy/numpy), not the kernels."""

import numpy as np
import pytest
from helpers import dense_twin, dense_weights, random_sparse_layer
from numba import njit

from sparsefs.nn.kernels import simd
from sparsefs.nn.optim import Optimizer

WIDTHS = {np.float32: [15, 16, 17, 40, 100, 128, 129, 300],
          np.float64: [7, 8, 9, 20, 64, 65, 200]}
CASES = [(dt, b) for dt, widths in WIDTHS.items() for b in widths]
TOL = {np.float32: 2e-5, np.float64: 1e-12}


def _ids(case):
    return f"{case[0].__name__}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_forward_matches_the_dense_product(case):
    dtype, batch = case
    rng = np.random.default_rng(batch)
    layer = random_sparse_layer(900, 37, 0.08, rng, dtype)
    XT = rng.standard_normal((900, batch)).astype(dtype)
    out = np.empty((37, batch), dtype=dtype)
    layer.forward(XT, out, relu=True)
    want = dense_weights(layer).astype(np.float64).T @ XT + layer.bias[:, None]
    np.testing.assert_allclose(out, np.maximum(want, 0), rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_input_gradient_and_its_abs_sum_match_the_dense_product(case):
    dtype, batch = case
    rng = np.random.default_rng(batch + 1)
    layer = random_sparse_layer(120, 90, 0.3, rng, dtype)
    GT = rng.standard_normal((90, batch)).astype(dtype)
    dX = np.empty((120, batch), dtype=dtype)
    layer.input_grad(GT, dX)
    want = dense_weights(layer).astype(np.float64) @ GT
    np.testing.assert_allclose(dX, want, rtol=TOL[dtype], atol=TOL[dtype] * 10)
    acc = np.zeros(120)
    layer.input_grad_abs_sum(GT, 0.5, acc)
    np.testing.assert_allclose(acc, 0.5 * np.abs(want).sum(axis=1), rtol=TOL[dtype] * 10)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_weight_gradient_at_stored_positions_matches_the_dense_product(case):
    dtype, batch = case
    rng = np.random.default_rng(batch + 2)
    layer = random_sparse_layer(150, 70, 0.2, rng, dtype)
    XT = rng.standard_normal((150, batch)).astype(dtype)
    GT = rng.standard_normal((70, batch)).astype(dtype)
    full = XT.astype(np.float64) @ GT.astype(np.float64).T
    rows = np.repeat(np.arange(150), np.diff(layer.indptr))
    np.testing.assert_allclose(layer.weight_grad(XT, GT), full[rows, layer.indices],
                               rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)


@pytest.mark.parametrize("with_dx", [True, False], ids=["hidden", "first"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_backward_step_equals_the_dense_layer(case, with_dx):
    """A hidden layer (input gradient with the ReLU derivative) and a first layer (none)."""
    dtype, batch = case
    rng = np.random.default_rng(batch + 2)
    layer = random_sparse_layer(80, 60, 0.25, rng, dtype, optimizer=Optimizer(l2=1e-3))
    twin = dense_twin(layer, Optimizer(l2=1e-3))
    XT = rng.standard_normal((80, batch)).astype(dtype)
    XT[XT < -1] = 0  # a ReLU output's zeros, for the fused derivative
    GT = (rng.standard_normal((60, batch)) / batch).astype(dtype)
    dX_s, dX_d = np.full_like(XT, np.nan), np.empty_like(XT)
    for opt in (layer.optimizer, twin.optimizer):
        opt.begin_step()
    layer.backward(XT, GT, dX_s if with_dx else None, relu_input=with_dx)
    twin.backward(XT, GT, dX_d)
    dX_d[XT <= 0] = 0
    rows = np.repeat(np.arange(80), np.diff(layer.indptr))
    # Adam's first step moves each weight by about lr: a wrong gradient's sign shows at once.
    np.testing.assert_allclose(layer.data, twin.W[rows, layer.indices], rtol=1e-4, atol=1e-6)
    if with_dx:
        np.testing.assert_allclose(dX_s, dX_d, rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    else:
        assert np.isnan(dX_s).all()  # a first layer's input gradient is never formed


@njit
def _dots(x, dx, G, idx, data, start, end, dots, b0, nb, add):
    simd.dot_axpy_rows(x, dx, True, b0, nb, G, idx, data, start, end, dots, add)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_products_count_overlapped_lanes_once_and_add_across_panels(dtype):
    rng = np.random.default_rng(3)
    lanes = 16 if dtype == np.float32 else 8
    nb = 3 * lanes + 5  # the last vector overlaps the third by lanes - 5
    G = rng.standard_normal((30, 2 * nb)).astype(dtype)
    x = rng.standard_normal(2 * nb).astype(dtype)
    idx = rng.integers(0, 30, 12).astype(np.int32)
    data = rng.standard_normal(12).astype(dtype)
    dots, dx = np.zeros(12, dtype), np.zeros(2 * nb, dtype)
    _dots(x, dx, G, idx, data, 2, 12, dots, 0, nb, False)
    _dots(x, dx, G, idx, data, 2, 12, dots, nb, nb, True)
    want = G[idx[2:12]].astype(np.float64) @ x
    np.testing.assert_allclose(dots[:10], want, rtol=TOL[dtype] * 10)
    assert np.all(dots[10:] == 0)  # nothing written past end - start
    np.testing.assert_allclose(dx, data[2:12] @ G[idx[2:12]].astype(np.float64),
                               rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)


def test_panels_cover_the_batch_evenly_and_never_narrower_than_a_vector():
    for lanes in (8, 16):
        for batch in range(1, 700):
            n = simd.panels(batch, lanes)
            if batch < lanes:
                assert n == 0
                continue
            bounds = [simd.panel_bounds(batch, n, k) for k in range(n)]
            assert bounds[0][0] == 0 and sum(nb for _, nb in bounds) == batch
            assert all(b0 + nb == bounds[k + 1][0] for k, (b0, nb) in enumerate(bounds[:-1]))
            assert all(lanes <= nb <= simd.MAX_VECTORS * lanes for _, nb in bounds)


def test_mixed_dtypes_are_refused_at_compile_time():
    x = np.zeros(32, np.float32)
    with pytest.raises(Exception, match="one dtype"):
        _dots(x, np.zeros(32), np.zeros((2, 32)), np.zeros(1, np.int32), np.zeros(1), 0, 1,
              np.zeros(1), 0, 32, False)

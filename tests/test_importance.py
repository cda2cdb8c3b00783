"""Neuron strength and attribution against independent references."""

import numpy as np

from sparsefs.nn.importance import neuron_attribution, neuron_strength
from sparsefs.nn.network import build_mlp
from sparsefs.nn.optim import Optimizer


def test_strength_is_row_abs_sum_of_first_layer():
    rng = np.random.default_rng(0)
    net = build_mlp(30, 3, (20,), "rigl", 0.3, Optimizer(), rng, np.float64)
    W = net.layers[0].to_scipy()
    np.testing.assert_allclose(neuron_strength(net), np.asarray(abs(W).sum(axis=1)).ravel())
    dense = build_mlp(30, 3, (20,), "dense", 1.0, Optimizer(), rng, np.float64)
    np.testing.assert_allclose(neuron_strength(dense), np.abs(dense.layers[0].W).sum(axis=1))


def _probs(net, X):
    return net.forward(np.ascontiguousarray(X.T)).copy()


def _fd_attribution(net, X, h=1e-6):
    n, d = X.shape
    total = np.zeros(d)
    for j in range(d):
        Xp, Xm = X.copy(), X.copy()
        Xp[:, j] += h
        Xm[:, j] -= h
        J = (_probs(net, Xp) - _probs(net, Xm)) / (2 * h)  # (C, n): dp_c(x_k)/dx_kj
        total[j] = np.abs(J).mean(axis=1).sum()
    return total


def test_attribution_equals_finite_difference_jacobian():
    rng = np.random.default_rng(1)
    # Two classes take the one-product shortcut (their gradients are mirror images).
    for method, C in (("set", 3), ("dense", 4), ("set", 2), ("dense", 2)):
        net = build_mlp(7, C, (6, 5), method, 0.6, Optimizer(), rng, np.float64)
        X = rng.standard_normal((5, 7))
        ref = _fd_attribution(net, X)
        XT = np.ascontiguousarray(X.T)
        net.forward(XT)
        got = neuron_attribution(net, XT)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)


def test_attribution_in_class_chunks_equals_one_block(monkeypatch):
    import sparsefs.nn.importance as imp

    rng = np.random.default_rng(2)
    net = build_mlp(9, 5, (8,), "set", 0.5, Optimizer(), rng, np.float64)
    XT = rng.standard_normal((9, 6))
    net.forward(XT)
    whole = neuron_attribution(net, XT)
    monkeypatch.setattr(imp, "ATTRIBUTION_BLOCK_BYTES", 1)  # one class at a time
    np.testing.assert_allclose(neuron_attribution(net, XT), whole, rtol=1e-12)
    monkeypatch.setattr(imp, "ATTRIBUTION_BLOCK_BYTES", 64 << 20)
    # The first layer's bound alone: 5 classes x 8 units x 6 samples x 8 bytes = 1920 bytes
    # in blocks of at most 800 bytes, so three blocks (2, 2, 1 classes).
    monkeypatch.setattr(imp, "FIRST_LAYER_BLOCK_BYTES", 800)
    np.testing.assert_allclose(neuron_attribution(net, XT), whole, rtol=1e-12)


def test_attribution_of_a_wide_network_forms_no_input_by_classes_block():
    """The first layer's input gradient is reduced into the (d,) scores as it is formed: the
    peak stays far below one (d, classes x batch) block, the array attribution must not make."""
    import tracemalloc

    d, C, batch = 5000, 10, 50
    rng = np.random.default_rng(3)
    net = build_mlp(d, C, (200, 50), "set", 0.1, Optimizer(), rng, np.float32)
    XT = rng.standard_normal((d, batch), dtype=np.float32)
    net.forward(XT)
    acc = np.zeros(d)
    neuron_attribution(net, XT, acc)  # compile outside the trace
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        neuron_attribution(net, XT, acc)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    block = d * C * batch * 4
    assert peak < block / 4, (peak, block)

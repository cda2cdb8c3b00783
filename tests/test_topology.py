"""ERK initialisation, SET and RigL updates, and the promise that the sparse path never
allocates anything of size n_in x n_out."""

import tracemalloc

import numpy as np
import pytest

from helpers import random_sparse_layer
from sparsefs import topology
from sparsefs.importance import neuron_attribution
from sparsefs.network import MLP
from sparsefs.optim import Optimizer


def test_erk_counts_and_dense_overflow_layer():
    shapes = [(500, 1000), (1000, 100), (100, 2)]
    for density in (0.2, 0.05, 0.01):
        counts = topology.layer_nnz(shapes, density)
        assert sum(counts) == round(density * sum(a * b for a, b in shapes))
        dens = topology.erk_densities(shapes, density)
        assert all(0 < d <= 1 for d in dens)
        # The small output layer overflows ERK's probability and becomes dense.
        assert dens[2] == 1.0 and counts[2] == 200
        # The other layers follow eps * (n_in + n_out) / (n_in * n_out) with one eps.
        eps = [d * a * b / (a + b) for d, (a, b) in zip(dens[:2], shapes[:2])]
        assert eps[0] == pytest.approx(eps[1])


def test_erk_all_sparse_when_nothing_overflows():
    shapes = [(300, 300), (300, 300)]
    dens = topology.erk_densities(shapes, 0.1)
    assert dens == pytest.approx([0.1, 0.1])


@pytest.mark.parametrize("shape, taken_frac, count_frac", [
    ((50, 100), 0.6, 0.3),      # nearly full, one enumeration block
    ((3000, 2000), 0.6, 0.3),   # nearly full, many enumeration blocks
    ((3000, 2000), 0.2, 0.1),   # mostly empty: rejection sampling
])
def test_random_keys_distinct_sorted_uniform_and_avoid_occupied(shape, taken_frac, count_frac,
                                                               monkeypatch):
    monkeypatch.setattr(topology, "_ENUMERATE_LIMIT", 10_000)
    rng = np.random.default_rng(0)
    total = shape[0] * shape[1]
    taken = np.sort(rng.choice(total, int(taken_frac * total), replace=False)).astype(np.int64)
    count = int(count_frac * total)

    def occupied(k):
        return np.isin(k, taken)

    keys = topology.random_keys(*shape, count, rng, occupied, len(taken))
    assert len(keys) == count and np.all(np.diff(keys) > 0)
    assert not np.isin(keys, taken).any()
    # Uniform, not biased to low keys: the mean position is near the middle.
    assert abs(keys.mean() / total - 0.5) < 0.02
    everything = topology.random_keys(*shape, total - len(taken), rng, occupied, len(taken))
    np.testing.assert_array_equal(everything, np.setdiff1d(np.arange(total), taken))
    with pytest.raises(ValueError):
        topology.random_keys(*shape, total - len(taken) + 1, rng, occupied, len(taken))


def test_occupied_kernel_agrees_with_the_stored_set():
    rng = np.random.default_rng(6)
    layer = random_sparse_layer(40, 30, 0.3, rng)
    keep = rng.random(layer.nnz) < 0.5
    probe = np.arange(40 * 30, dtype=np.int64)
    got = topology.occupied_by(layer, keep)(probe)
    np.testing.assert_array_equal(got, np.isin(probe, layer.keys()[keep]))


@pytest.mark.parametrize("rule", ["set", "rigl"])
def test_update_keeps_nnz_and_has_no_duplicates(rule):
    rng = np.random.default_rng(1)
    layer = random_sparse_layer(80, 60, 0.1, rng)
    XT = rng.standard_normal((80, 16))
    GT = rng.standard_normal((60, 16))
    nnz = layer.nnz
    for zeta in (0.3, 0.1, 0.005):
        before = set(layer.keys().tolist())
        if rule == "set":
            n = topology.set_update(layer, zeta, rng)
        else:
            n = topology.rigl_update(layer, zeta, XT, GT)
        keys = layer.keys()
        assert layer.nnz == nnz and len(np.unique(keys)) == nnz
        assert n == int(np.ceil(zeta * nnz))
        assert np.all(np.diff(layer.indptr) >= 0) and layer.indptr[-1] == nnz
        new = set(keys.tolist()) - before
        assert len(new) <= n
        # New weights start at zero with zero optimizer state.
        is_new = np.isin(keys, list(new))
        assert np.all(layer.data[is_new] == 0)
        assert all(np.all(s[is_new] == 0) for s in layer.state)
        # The mirror agrees with the canonical order.
        for j in range(layer.n_out):
            seg = slice(layer.indptr_out[j], layer.indptr_out[j + 1])
            assert np.all(layer.indices[layer.perm[seg]] == j)
            assert np.all(layer.idx_in[seg] ==
                          np.searchsorted(layer.indptr, layer.perm[seg], side="right") - 1)


def test_prune_drops_the_smallest_magnitudes_even_with_ties():
    rng = np.random.default_rng(2)
    layer = random_sparse_layer(40, 30, 0.2, rng)
    layer.data[::3] = 0.0  # regrown weights are exactly zero: many ties at the threshold
    for zeta in (0.1, 0.25, 0.6):
        keep, n = topology.prune_smallest(layer, zeta)
        mags = np.abs(layer.data)
        assert n == int(np.ceil(zeta * layer.nnz)) and (~keep).sum() == n
        assert mags[~keep].max() <= mags[keep].min()


def test_rigl_blockwise_topk_equals_dense_reference():
    rng = np.random.default_rng(3)
    layer = random_sparse_layer(300, 50, 0.1, rng)
    XT = rng.standard_normal((300, 7))
    GT = rng.standard_normal((50, 7))
    old = layer.keys()
    keep, n = topology.prune_smallest(layer, 0.3)
    # Tiny blocks (10 rows) force many merges of the running top-k.
    got = topology.rigl_regrow(layer, keep, n, XT, GT, block_bytes=10 * 50 * 4)
    score = np.abs(XT @ GT.T).ravel()
    score[old[keep]] = -np.inf
    ref = np.sort(np.argsort(-score, kind="stable")[:n])
    np.testing.assert_array_equal(got, ref)


def test_rigl_prefers_large_gradient_positions():
    rng = np.random.default_rng(4)
    layer = random_sparse_layer(30, 20, 0.1, rng)
    rows = layer.keys() // 20
    assert (rows == 7).sum() <= 8  # room in row 7 for all 12 regrown weights
    XT = np.zeros((30, 4))
    GT = np.zeros((20, 4))
    XT[7] = 10.0
    GT[:] = 1.0  # the gradient is non-zero only in input row 7
    before = set(layer.keys().tolist())
    n = topology.rigl_update(layer, 0.2, XT, GT)
    new = np.array(sorted(set(layer.keys().tolist()) - before))
    assert n == 12 and len(new) == n
    # Only row 7 has a non-zero gradient: every regrown weight lands there.
    assert np.all(new // 20 == 7)


def test_sparse_path_never_allocates_a_dense_layer():
    """200,000 x 1,000 at density 0.005: a dense float32 copy would be 800 MB."""
    n_in, n_out, batch = 200_000, 1_000, 32
    dense_bytes = n_in * n_out * 4
    rng = np.random.default_rng(5)
    XT = rng.standard_normal((n_in, batch), dtype=np.float32)
    y = rng.integers(0, 2, batch)
    tracemalloc.start()
    try:
        opt = Optimizer()
        first = random_sparse_layer(n_in, n_out, 0.005, rng, np.float32, opt)
        second = random_sparse_layer(n_out, 2, 0.5, rng, np.float32, opt)
        net = MLP([first, second])
        net.forward(XT)
        neuron_attribution(net, XT)
        net.backward(XT, y)
        topology.set_update(first, 0.3, rng)
        io = net.layer_io(XT)
        topology.rigl_update(first, 0.3, *io[0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first.nnz == round(0.005 * n_in * n_out)
    # Everything held and every temporary: layer arrays (~30 MB), the attribution's input
    # gradient (batch x n_in x classes, ~51 MB) and RigL's 4 MB gradient block.
    assert peak < dense_bytes / 6, f"peak {peak / 1e6:.0f} MB"


def test_rigl_regrow_with_many_ties_returns_exactly_count():
    rng = np.random.default_rng(7)
    layer = random_sparse_layer(200, 50, 0.1, rng)
    XT = np.zeros((200, 4))
    XT[:20] = 1.0  # only rows 0..19 have a gradient; all others tie at zero
    GT = np.ones((50, 4))
    keep, n = topology.prune_smallest(layer, 0.3)
    got = topology.rigl_regrow(layer, keep, n, XT, GT, block_bytes=7 * 50 * 8)
    assert len(got) == n and len(np.unique(got)) == n
    assert not np.isin(got, layer.keys()[keep]).any()
    empty_in_top_rows = 20 * 50 - np.isin(layer.keys()[keep] // 50, np.arange(20)).sum()
    assert np.sum(got // 50 < 20) == min(n, empty_in_top_rows)

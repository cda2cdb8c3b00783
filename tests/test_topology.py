"""ERK initialisation, SET and RigL updates, and the promise that the sparse path never
allocates anything of size n_in x n_out."""

import tracemalloc

import numpy as np
import pytest
from helpers import random_sparse_layer

from sparsefs.nn import init, topology
from sparsefs.nn.importance import neuron_attribution
from sparsefs.nn.network import MLP
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.topology import (
    CosineDrop,
    cosine_zeta,
    positions,
)


def test_erk_counts_and_dense_overflow_layer():
    shapes = [(500, 1000), (1000, 100), (100, 2)]
    for density in (0.2, 0.05, 0.01):
        counts = init.layer_nnz(shapes, density)
        assert sum(counts) == round(density * sum(a * b for a, b in shapes))
        dens = init.erk_densities(shapes, density)
        assert all(0 < d <= 1 for d in dens)
        # The small output layer overflows ERK's probability and becomes dense.
        assert dens[2] == 1.0 and counts[2] == 200
        # The other layers follow eps * (n_in + n_out) / (n_in * n_out) with one eps.
        eps = [d * a * b / (a + b) for d, (a, b) in zip(dens[:2], shapes[:2])]
        assert eps[0] == pytest.approx(eps[1])


def test_erk_all_sparse_when_nothing_overflows():
    shapes = [(300, 300), (300, 300)]
    dens = init.erk_densities(shapes, 0.1)
    assert dens == pytest.approx([0.1, 0.1])


@pytest.mark.parametrize("shape, taken_frac, count_frac", [
    ((50, 100), 0.6, 0.3),      # nearly full, one enumeration block
    ((3000, 2000), 0.6, 0.3),   # nearly full, many enumeration blocks
    ((3000, 2000), 0.2, 0.1),   # mostly empty: rejection sampling
])
def test_random_keys_distinct_sorted_uniform_and_avoid_occupied(shape, taken_frac, count_frac,
                                                               monkeypatch):
    monkeypatch.setattr(positions, "ENUMERATE_BLOCK", 10_000)
    rng = np.random.default_rng(0)
    total = shape[0] * shape[1]
    taken = np.sort(rng.choice(total, int(taken_frac * total), replace=False)).astype(np.int64)
    count = int(count_frac * total)

    is_taken = np.zeros(total, dtype=bool)  # a lookup table: O(len(k)) per call, unlike isin
    is_taken[taken] = True

    def occupied(k):
        return is_taken[k]

    keys = topology.random_keys(*shape, count, rng, occupied, len(taken))
    assert len(keys) == count and np.all(np.diff(keys) > 0)
    assert not np.isin(keys, taken).any()
    # Uniform, not biased to low keys: the mean position is near the middle.
    assert abs(keys.mean() / total - 0.5) < 0.02
    everything = topology.random_keys(*shape, total - len(taken), rng, occupied, len(taken))
    np.testing.assert_array_equal(everything, np.flatnonzero(~is_taken))
    with pytest.raises(ValueError):
        topology.random_keys(*shape, total - len(taken) + 1, rng, occupied, len(taken))


@pytest.mark.parametrize("shape", [(40, 30), (25, 130), (12, 64)])  # rows of 1, 3, 1 words
def test_occupied_kernel_agrees_with_the_stored_set(shape):
    rng = np.random.default_rng(6)
    layer = random_sparse_layer(*shape, 0.3, rng)
    keep = rng.random(layer.nnz) < 0.5
    probe = np.arange(shape[0] * shape[1], dtype=np.int64)
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
        # The mirror, rebuilt after the update, agrees with the canonical order.
        block_ptr, rows, idx_in, perm = layer.mirror()
        for k in range(block_ptr.shape[0]):
            for j in range(layer.n_out):
                seg = slice(block_ptr[k, j], block_ptr[k, j + 1])
                assert np.all(layer.indices[perm[seg]] == j)
                assert np.all(k * rows + idx_in[seg].astype(np.int64) ==
                              np.searchsorted(layer.indptr, perm[seg], side="right") - 1)


def test_prune_drops_the_smallest_magnitudes_even_with_ties():
    rng = np.random.default_rng(2)
    layer = random_sparse_layer(40, 30, 0.2, rng)
    layer.data[::3] = 0.0  # regrown weights are exactly zero: many ties at the threshold
    for zeta in (0.1, 0.25, 0.6):
        keep, n = topology.prune_smallest(layer, zeta)
        mags = np.abs(layer.data)
        assert n == int(np.ceil(zeta * layer.nnz)) and (~keep).sum() == n
        assert mags[~keep].max() <= mags[keep].min()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 9, 3000, 70001])  # 70,001: two tasks of the select
def test_prune_mask_equals_a_full_sort_with_ties_dropped_in_storage_order(dtype, n):
    """The radix select against a stable argsort of |w|: the dropped weights are the first
    ``ceil(zeta * nnz)`` in (magnitude, position) order, with heavy ties (zeros, a coarse
    grid, all equal) and negative zeros."""
    rng = np.random.default_rng(n)

    class Weights:
        pass

    for case in range(4):
        w = rng.standard_normal(n).astype(dtype)
        if case == 1:
            w[rng.random(n) < 0.4] = 0.0
            w[rng.random(n) < 0.1] = -0.0
        elif case == 2:
            w = (np.round(w * 3) / 3).astype(dtype)
        elif case == 3:
            w[:] = -0.5
        layer = Weights()
        layer.data, layer.nnz = w, n
        for zeta in (0.001, 0.3, 0.77, 1.0):
            keep, n_drop = topology.prune_smallest(layer, zeta)
            want = np.ones(n, dtype=bool)
            want[np.argsort(np.abs(w), kind="stable")[:int(np.ceil(zeta * n))]] = False
            assert n_drop == int(np.ceil(zeta * n))
            np.testing.assert_array_equal(keep, want)


def test_rigl_blockwise_topk_equals_dense_reference():
    rng = np.random.default_rng(3)
    layer = random_sparse_layer(300, 50, 0.1, rng)
    XT = rng.standard_normal((300, 7))
    GT = rng.standard_normal((50, 7))
    keep, n = topology.prune_smallest(layer, 0.3)
    ref = _rigl_reference(layer, keep, n, XT, GT)
    # Tiny blocks (10 rows) force many merges of the running top-k.
    got = topology.rigl_regrow(layer, keep, n, XT, GT, block_bytes=10 * 50 * 4)
    np.testing.assert_array_equal(got, ref)


def _rigl_reference(layer, keep, n, XT, GT):
    """The ``n`` free positions of largest ``|XT GT^T|`` from the dense gradient, ties in key
    order: what RigL's blockwise top-k must return."""
    score = np.abs(XT @ GT.T).ravel()
    score[layer.keys()[keep]] = -np.inf
    return np.sort(np.argsort(-score, kind="stable")[:n])


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


@pytest.mark.parametrize("row_scale", ["even", "first_rows_large", "one_hot"])
def test_rigl_top_k_is_exact_whatever_the_sampled_threshold_guesses(row_scale):
    """The first threshold comes from a sample of rows; rows unlike the sample (too high a
    guess: a second pass) or ties must not change the answer: the dense reference's top-k."""
    rng = np.random.default_rng(13)
    layer = random_sparse_layer(400, 60, 0.1, rng)
    XT = rng.standard_normal((400, 5))
    if row_scale == "first_rows_large":
        XT[:7] *= 100.0  # the evenly spaced sample sees one of these rows at most
    elif row_scale == "one_hot":
        XT[:] = 0.0
        XT[3] = 1.0
    GT = rng.standard_normal((60, 5))
    keep, n = topology.prune_smallest(layer, 0.3)
    ref = _rigl_reference(layer, keep, n, XT, GT)
    got = topology.rigl_regrow(layer, keep, n, XT, GT, block_bytes=20 * 60 * 8)
    np.testing.assert_array_equal(got, ref)


# ---- the drop schedule -----------------------------------------------------------------------

@pytest.mark.parametrize("start, end, total", [(0.3, 0.005, 1000), (0.5, 0.1, 37), (0.2, 0.0, 1)])
def test_cosine_zeta_decays_from_start_to_end_then_stays(start, end, total):
    assert cosine_zeta(0, total, start, end) == pytest.approx(start, abs=1e-15)
    assert cosine_zeta(total, total, start, end) == pytest.approx(end, abs=1e-15)
    # Half way the cosine is at zero: the mean of the two ends.
    assert cosine_zeta(total / 2, total, start, end) == pytest.approx(end + (start - end) / 2)
    # A quarter of the way: end + (start - end) * (1 + cos(pi / 4)) / 2, by hand.
    assert cosine_zeta(total / 4, total, start, end) == pytest.approx(
        end + (start - end) * (1 + 2 ** -0.5) / 2)
    steps = np.linspace(0, total, 201)
    values = np.array([cosine_zeta(s, total, start, end) for s in steps])
    assert np.all(np.diff(values) < 0)
    assert all(cosine_zeta(s, total, start, end) == pytest.approx(end, abs=1e-15)
               for s in (total + 1, 2 * total, 10 * total + 7))
    # The rule's schedule object is the same curve.
    drop = CosineDrop(start, end)
    assert [drop(s, total) for s in steps] == pytest.approx(values.tolist(), abs=1e-15)


def test_cosine_zeta_defaults_are_the_papers():
    assert cosine_zeta(0, 100) == pytest.approx(0.3)
    assert cosine_zeta(100, 100) == pytest.approx(0.005)

"""ERK initialisation, SET and RigL updates, and the promise that the sparse path never
allocates anything of size n_in x n_out."""

import tracemalloc

import numpy as np
import pytest
from helpers import random_sparse_layer

from sparsefs.nn import init, topology
from sparsefs.nn.dense_layer import DenseLayer
from sparsefs.nn.importance import neuron_attribution
from sparsefs.nn.network import MLP, build_mlp
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.sparse_layer import SparseLayer
from sparsefs.nn.topology import (
    CosineDrop,
    GradientGrow,
    MagnitudePrune,
    RandomGrow,
    TopologyRule,
    cosine_zeta,
    make_rule,
    positions,
    rigl_update,
    set_update,
    update_layer,
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


# ---- topology rules as compositions ----------------------------------------------------------

def _three_layer_net(rng):
    """A sparse layer, a sparse layer holding every position (density 1) and a dense layer."""
    opt = Optimizer()
    sparse = random_sparse_layer(40, 20, 0.2, rng, optimizer=opt)
    full = SparseLayer(20, 6, np.arange(20 * 6, dtype=np.int64), rng.standard_normal(120),
                       rng.standard_normal(6), opt)
    dense = DenseLayer(rng.standard_normal((6, 3)), rng.standard_normal(3), opt)
    return MLP([sparse, full, dense])


def _state(layer):
    arrays = layer.copy_params()
    arrays["state"] = [s.copy() for s in layer.state]
    return arrays


def _assert_same(a, b):
    assert set(a) == set(b)
    for name in a:
        if name == "state":
            assert len(a[name]) == len(b[name])
            for x, y in zip(a[name], b[name]):
                np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("method", ["set", "rigl"])
def test_make_rule_keeps_nnz_without_duplicates_and_skips_full_layers(method):
    rng = np.random.default_rng(8)
    net = _three_layer_net(rng)
    rule = make_rule(method, zeta=0.3, zeta_end=0.005, update_every=5)
    assert rule.update_every == 5 and rule.due(10) and not rule.due(11)
    X = rng.standard_normal((12, 40))
    y = rng.integers(0, 3, 12)
    sparse, full, dense = net.layers
    nnz, moved = sparse.nnz, 0
    for step in (5, 10, 15):
        XT = net.batch_input(X, np.arange(12))
        net.forward(XT)
        net.backward(XT, y)  # RigL reads the gradient of the step just taken
        before_keys = sparse.keys()
        untouched = [_state(full), _state(dense)]
        zeta = rule.update(net, XT, step, 100, rng)
        assert zeta == pytest.approx(cosine_zeta(step, 100, 0.3, 0.005))
        keys = sparse.keys()
        assert sparse.nnz == nnz and len(np.unique(keys)) == nnz
        assert np.all(keys < 40 * 20)
        new = ~np.isin(keys, before_keys)
        assert new.sum() <= int(np.ceil(zeta * nnz))
        assert np.all(sparse.data[new] == 0)  # regrown weights start at zero
        moved += new.sum()
        # Layers at density 1 have nowhere to regrow: left exactly as they were.
        _assert_same(_state(full), untouched[0])
        _assert_same(_state(dense), untouched[1])
    assert full.nnz == 120 and dense.nnz == 18
    assert moved > 0


def test_make_rule_dense_is_none():
    assert make_rule("dense") is None
    with pytest.raises((KeyError, ValueError)):
        make_rule("bogus")


def test_update_layer_leaves_a_full_layer_alone():
    rng = np.random.default_rng(9)
    full = SparseLayer(7, 5, np.arange(35, dtype=np.int64), rng.standard_normal(35),
                       rng.standard_normal(5), Optimizer())
    before = _state(full)
    assert update_layer(full, 0.3, MagnitudePrune(), RandomGrow(), rng) == 0
    assert set_update(full, 0.3, rng) == 0
    _assert_same(_state(full), before)


def test_composed_rules_equal_set_update_and_rigl_update():
    rng = np.random.default_rng(10)
    layer = random_sparse_layer(50, 30, 0.15, rng)
    layer.state[0][:] = rng.standard_normal(layer.nnz)  # survivors must carry their state
    twin = random_sparse_layer(50, 30, 0.15, np.random.default_rng(10))
    twin.state[0][:] = layer.state[0]
    _assert_same(_state(layer), _state(twin))
    XT = rng.standard_normal((50, 6))
    GT = rng.standard_normal((30, 6))
    composed_set = TopologyRule(MagnitudePrune(), RandomGrow(), CosineDrop(0.3, 0.005), 10)
    composed_rigl = TopologyRule(MagnitudePrune(), GradientGrow(), CosineDrop(0.3, 0.005), 10)
    for step in (10, 20, 30):
        zeta = cosine_zeta(step, 60, 0.3, 0.005)
        before = layer.keys()
        composed_set.update(MLP([layer]), XT, step, 60, np.random.default_rng(step))
        set_update(twin, zeta, np.random.default_rng(step))
        assert not np.array_equal(layer.keys(), before)
        _assert_same(_state(layer), _state(twin))
        # RigL: the rule takes the gradient from the network; give both the same one.
        net = MLP([layer])
        net.layer_io = lambda XT_: [(XT, GT)]
        composed_rigl.update(net, XT, step, 60, None)
        rigl_update(twin, zeta, XT, GT)
        _assert_same(_state(layer), _state(twin))
    assert layer.nnz == twin.nnz == round(0.15 * 50 * 30)


def test_occupied_kernel_is_right_for_keys_in_any_order():
    rng = np.random.default_rng(7)
    layer = random_sparse_layer(50, 40, 0.3, rng)
    keep = rng.random(layer.nnz) < 0.6
    probe = rng.permutation(50 * 40).astype(np.int64)[:1500]  # shuffled, rows revisited
    got = topology.occupied_by(layer, keep)(probe)
    np.testing.assert_array_equal(got, np.isin(probe, layer.keys()[keep]))


@pytest.mark.parametrize("density, zeta", [(0.3, 0.3), (0.05, 0.5), (0.9, 0.1)])
def test_rebuild_in_place_equals_the_merge_of_the_two_key_sets(density, zeta):
    """Every update merges in the layer's own arrays; the result must be the sorted union of
    the kept and the new positions, each kept weight and both Adam moments carried with its
    position and the new ones at 0, whatever the rows' shifts (empty rows included)."""
    rng = np.random.default_rng(11)
    a = random_sparse_layer(120, 70, density, rng)
    end = int(a.indptr[40])  # rows 40..: empty
    a.set_csr(np.minimum(a.indptr, end), a.indices[:end].copy(), a.data[:end].copy(),
              [s[:end].copy() + rng.standard_normal(end) for s in a.state])
    for _ in range(4):
        keep, n = topology.prune_smallest(a, zeta)
        new = topology.random_keys(a.n_in, a.n_out, n, rng, topology.occupied_by(a, keep),
                                   n_taken=int(keep.sum()))
        old_keys = a.keys()
        carried = {int(k): (d, *(s[p] for s in a.state))
                   for p, (k, d) in enumerate(zip(old_keys, a.data)) if keep[p]}
        data_id = id(a.data)
        a.rebuild(keep, new)
        assert id(a.data) == data_id  # merged where it was, not into a new array
        want = np.union1d(old_keys[keep], new)
        np.testing.assert_array_equal(a.keys(), want)
        got = [(d, *(s[p] for s in a.state)) for p, d in enumerate(a.data)]
        for k, g in zip(want.tolist(), got):
            assert g == carried.get(k, (0, 0, 0)), k
        a.data += rng.standard_normal(a.nnz) * 0.1


@pytest.mark.parametrize("split", [0, 1, 23, 59, 60])
@pytest.mark.parametrize("drop", [0.0, 0.3, 1.0])
def test_two_task_merge_equals_the_sorted_union_at_any_split(split, drop):
    """The merge kernel's two tasks (rows before ``split`` merged from the right end down,
    rows after it packed right and merged from the left up) against the sorted union built
    in Python: every split, no new key at all, every weight replaced, empty rows."""
    from sparsefs.nn.kernels import topology as kernels

    rng = np.random.default_rng(split)
    n_in, n_out = 60, 30
    old_keys = random_sparse_layer(n_in, n_out, 0.2, rng).keys()
    old_keys = old_keys[(old_keys // n_out < 20) | (old_keys // n_out >= 30)]  # rows 20..29 empty
    nnz = len(old_keys)
    indptr = np.searchsorted(old_keys, np.arange(n_in + 1) * n_out).astype(np.int64)
    keep = rng.random(nnz) >= drop
    free = np.setdiff1d(np.arange(n_in * n_out), old_keys[keep])
    new = np.sort(rng.choice(free, nnz - int(keep.sum()), replace=False)).astype(np.int64)
    data, s0, s1 = (rng.standard_normal(nnz).astype(np.float32) for _ in range(3))
    carried = {int(k): (data[p], s0[p], s1[p]) for p, k in enumerate(old_keys) if keep[p]}
    indices, out_ptr = (old_keys % n_out).astype(np.int32), np.empty(n_in + 1, dtype=np.int64)
    kernels.merge_rows_in_place(indptr, indices, keep, new, n_out, data, s0, s1, out_ptr, split)
    want = np.union1d(old_keys[keep], new)
    rows = np.repeat(np.arange(n_in), np.diff(out_ptr))
    np.testing.assert_array_equal(rows * n_out + indices, want)
    for p, k in enumerate(want.tolist()):
        assert (data[p], s0[p], s1[p]) == carried.get(k, (0, 0, 0)), k


def test_rebuild_to_fewer_weights_cuts_the_arrays_to_size():
    rng = np.random.default_rng(14)
    layer = random_sparse_layer(50, 30, 0.3, rng)
    keep = rng.random(layer.nnz) < 0.6
    kept = layer.keys()[keep]
    values = layer.data[keep].copy()
    layer.rebuild(keep, np.empty(0, dtype=np.int64))
    np.testing.assert_array_equal(layer.keys(), kept)
    np.testing.assert_array_equal(layer.data, values)
    assert layer.data.base is None and len(layer.state[0]) == len(kept)


def test_a_restored_snapshot_is_not_changed_by_later_updates():
    rng = np.random.default_rng(12)
    layer = random_sparse_layer(60, 40, 0.2, rng)
    topology.set_update(layer, 0.3, rng)
    snap = layer.copy_params()
    kept = {k: v.copy() for k, v in snap.items()}
    layer.load_params(snap)
    for _ in range(3):
        topology.set_update(layer, 0.3, rng)
        layer.data += 0.1
    for k, v in kept.items():
        np.testing.assert_array_equal(snap[k], v, err_msg=k)


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


def test_random_keys_hit_every_free_position_equally_often():
    """Chi-square over positions: 400 draws of 30 keys among the 200 free positions of a
    20 x 12 layer, with 40 occupied (the rejection path, sorted keys from exponential
    spacings); the control, keys biased to low positions, must be rejected."""
    from scipy.stats import chisquare

    rng = np.random.default_rng(21)
    total = 20 * 12
    taken = np.sort(rng.choice(total, 40, replace=False))
    is_taken = np.zeros(total, dtype=bool)
    is_taken[taken] = True
    counts = np.zeros(total)
    for _ in range(400):
        keys = topology.random_keys(20, 12, 30, rng, lambda k: is_taken[k], len(taken))
        assert len(np.unique(keys)) == 30 and not is_taken[keys].any()
        counts[keys] += 1
    free = counts[~is_taken]
    assert chisquare(free).pvalue > 1e-3
    biased = free.copy()
    biased[: len(free) // 2] *= 1.3
    assert chisquare(biased * free.sum() / biased.sum()).pvalue < 1e-6


def test_sorted_uniform_keys_are_sorted_distinct_and_in_range():
    from sparsefs.nn.topology.positions import sorted_uniform_keys

    rng = np.random.default_rng(22)
    keys = sorted_uniform_keys(1000, 5000, rng)
    assert np.all(np.diff(keys) > 0) and keys[0] >= 0 and keys[-1] < 1000
    assert len(keys) > 990  # 5000 draws over 1000 values miss ~ 1000 e^-5 = 7 of them


def test_the_callers_weights_are_copied_once_and_handed_over_weights_never():
    """A layer built from a caller's ``values`` copies them at its first topology update, so
    the caller's array keeps its values; one built by ``build_mlp`` (values handed over)
    updates its own arrays in place from the first update."""
    rng = np.random.default_rng(15)
    keys = topology.random_keys(40, 30, 200, rng)
    values = rng.standard_normal(200)
    before = values.copy()
    layer = SparseLayer(40, 30, keys, values, np.zeros(30), Optimizer())
    assert layer.data is values  # adopted, not copied, until it must change
    topology.set_update(layer, 0.3, rng)
    layer.data += 1.0
    np.testing.assert_array_equal(values, before)
    assert not np.shares_memory(layer.data, values)

    net = build_mlp(40, 2, hidden=(30,), density=0.3, rng=rng)
    first = net.layers[0]
    data, indices, state = first.data, first.indices, first.state[0]
    topology.set_update(first, 0.3, rng)
    assert first.data is data and first.indices is indices and first.state[0] is state

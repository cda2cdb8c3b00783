"""Topology rules composed from prune and grow steps, and the in-place rebuild of a layer's CSR
arrays they end in: the same topology as the reference updates, sorted, without duplicates,
at any split of the two-task merge; snapshots and handed-over weights stay untouched."""


import numpy as np
import pytest
from helpers import random_sparse_layer

from sparsefs.nn import topology
from sparsefs.nn.dense_layer import DenseLayer
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
    rigl_update,
    set_update,
    update_layer,
)

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

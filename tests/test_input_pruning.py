"""Input pruning ("guided-prune"): strikes, the floor, removed weights, the gather, FLOPs."""

import numpy as np
import pytest

from sparsefs import SparseFeatureSelector
from sparsefs.nn import accounting
from sparsefs.nn.network import build_mlp
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.topology import AttributionGrow, make_rule
from sparsefs.nn.topology.inputs import InputPruning


def _planted_attribution(d, strong):
    attr = np.linspace(0.01, 0.1, d)
    attr[strong] = 10.0
    return attr


def test_strikes_need_patience_consecutive_epochs_and_respect_the_floor():
    pruning = InputPruning(20, fraction=0.25, patience=2, min_inputs=12)
    running = np.arange(20, dtype=float)  # inputs 0..4 are the bottom quarter
    assert len(pruning.due(running)) == 0  # one strike each: not yet
    running2 = running.copy()
    running2[0] = 100.0  # input 0 leaves the bottom (its strike resets), input 5 enters it
    np.testing.assert_array_equal(pruning.due(running2), [1, 2, 3, 4])  # two in a row
    pruning.active[[1, 2, 3, 4]] = False
    # Back in the bottom: input 0 starts again at one strike, input 5 has its second.
    np.testing.assert_array_equal(pruning.due(running), [5])
    pruning.active[5] = False
    for _ in range(10):
        due = pruning.due(running)
        pruning.active[due] = False
    assert pruning.n_active == 12  # never below the floor
    # The floor keeps the highest running attribution.
    np.testing.assert_array_equal(np.flatnonzero(pruning.active), np.arange(8, 20))


def test_a_wide_bottom_prunes_at_the_rate_every_epoch_down_to_the_floor():
    d, floor = 1000, 40
    pruning = InputPruning(d, fraction=0.5, patience=3, min_inputs=floor, rate=0.2)
    running = np.arange(d, dtype=float)  # a fixed order: input i ranks i-th from the bottom
    counts = []
    for _ in range(25):
        due = pruning.due(running)
        if len(due):  # the lowest running attribution goes first
            np.testing.assert_array_equal(due, np.flatnonzero(pruning.active)[:len(due)])
        pruning.active[due] = False
        counts.append(pruning.n_active)
    assert counts[:2] == [d, d]  # nothing before the third strike
    # then a fifth of the active inputs an epoch (the rest of the bottom half stays due)
    expect, n = [], d
    for _ in range(len(counts) - 2):
        n = max(floor, n - max(1, int(np.floor(0.2 * n))))
        expect.append(n)
    assert counts[2:] == expect and counts[-1] == floor
    np.testing.assert_array_equal(np.flatnonzero(pruning.active), np.arange(d - floor, d))


def test_rate_one_prunes_every_due_input_at_once():
    pruning = InputPruning(100, fraction=0.3, patience=2, min_inputs=10, rate=1.0)
    running = np.arange(100, dtype=float)
    assert len(pruning.due(running)) == 0
    np.testing.assert_array_equal(pruning.due(running), np.arange(30))
    with pytest.raises(ValueError, match="rate"):
        InputPruning(10, rate=0.0)


def test_pruned_inputs_lose_their_weights_are_never_regrown_and_are_not_gathered():
    rng = np.random.default_rng(3)
    d = 60
    net = build_mlp(d, 3, (40, 10), "guided-prune", 0.3, Optimizer(), rng, np.float64)
    rule = make_rule("guided-prune", min_inputs=10)
    strong = [2, 5, 11, 30, 41]
    attr = _planted_attribution(d, strong)
    first = net.layers[0]
    nnz_before = first.nnz
    for epoch in range(1, 4):  # the default patience: three epochs in a row
        rule.observe(net, attr)
        rule.end_epoch(net, epoch)
    pruning = rule.grow.pruning
    pruned = np.flatnonzero(~pruning.active)
    # the bottom half is due after the third strike; a fifth of the active inputs go at once
    assert len(pruned) == int(0.2 * d)
    lowest = [i for i in range(d) if i not in strong][: len(pruned)]
    np.testing.assert_array_equal(pruned, lowest)  # the lowest running attribution
    degree = np.diff(first.indptr)
    assert degree[pruned].sum() == 0
    # nnz falls by exactly the pruned inputs' degrees and stays there through updates
    removed = nnz_before - first.nnz
    assert removed > 0
    X = rng.standard_normal((50, d))
    X[:, pruned] = np.nan  # a pruned input is never read
    XT = net.batch_input(X, np.arange(16))
    assert np.all(XT[pruned] == 0) and np.isfinite(XT).all()
    net.forward(XT)
    net.backward(XT, rng.integers(0, 3, 16))
    for step in range(1, 6):
        rule.update(net, XT, step * 10, 100, rng)
        assert first.nnz == nnz_before - removed
        assert np.diff(first.indptr)[pruned].sum() == 0
    assert np.isfinite(net.forward(net.batch_input(X, np.arange(16)))).all()


def test_guided_regrowth_keeps_every_active_input_above_the_floor_share():
    rng = np.random.default_rng(4)
    net = build_mlp(30, 2, (20, 5), "guided", 0.3, Optimizer(), rng, np.float64)
    grow = AttributionGrow(floor=0.2, prune_inputs=True, min_inputs=5)
    attr = _planted_attribution(30, [0])
    attr[1:] = 0.0  # all the mass on one input
    grow.observe(net, attr)
    grow.pruning.active[[7, 8]] = False
    w = grow.row_weights()
    assert np.isclose(w.sum(), 1.0) and np.all(w[[7, 8]] == 0)
    active = grow.pruning.active
    assert np.all(w[active] >= 0.2 / active.sum() - 1e-12)


def _wide_problem(n=400, d=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def pruned_fit():
    X, y = _wide_problem()
    sel = SparseFeatureSelector(2, method="guided-prune", density=0.2, hidden_layer_sizes=(64, 16),
                                max_iter=16, n_iter_no_change=16, random_state=0).fit(X, y)
    return X, y, sel


def test_pruning_shrinks_the_first_layer_on_schedule_and_counts_its_work_exactly(pruned_fit):
    X, y, sel = pruned_fit
    res = sel.result_
    nnz = np.array(res.history["nnz"])
    assert nnz[-1] < nnz[0] and np.all(np.diff(nnz) <= 0)  # only the first layer shrinks
    n_train = res.counters.train_samples // res.epochs_run
    # Each epoch ran at the nnz its history row shows (pruning happens after the row).
    assert sum(res.counters.work["train"]) == int((nnz * n_train).sum())
    net = sel.network_
    shapes, others = net.shapes, [layer.nnz for layer in net.layers[1:]]
    got = accounting.training_flops(shapes, [net.layers[0].nnz, *others], res.counters,
                                    net.optimizer, 2)
    # The same samples at the first layer's initial nnz throughout:
    unpruned = type(res.counters)(**{**vars(res.counters), "work": {}})
    constant = accounting.training_flops(shapes, [int(nnz[0]) - sum(others), *others], unpruned,
                                         net.optimizer, 2)
    assert got["forward"] < constant["forward"]  # the shrinking work, not the initial nnz
    assert set(sel.get_support(indices=True)) == {0, 1}


def test_guided_prune_uses_fewer_flops_than_set_and_is_reproducible(pruned_fit):
    X, y, sel = pruned_fit
    kw = dict(density=0.2, hidden_layer_sizes=(64, 16), max_iter=16, n_iter_no_change=16,
              random_state=0)
    again = SparseFeatureSelector(2, method="guided-prune", **kw).fit(X, y)
    np.testing.assert_array_equal(again.scores_["attr"], sel.scores_["attr"])
    assert again.result_.history["nnz"] == sel.result_.history["nnz"]
    set_fit = SparseFeatureSelector(2, method="set", **kw).fit(X, y)

    def flops(s):
        return accounting.training_flops(s.network_.shapes, [z.nnz for z in s.network_.layers],
                                         s.result_.counters, s.network_.optimizer, 2)["total"]
    assert set_fit.result_.counters.train_samples == sel.result_.counters.train_samples
    assert flops(sel) < 0.8 * flops(set_fit)


def test_prune_floor_parameter_sets_the_inputs_left_active():
    X, y = _wide_problem()
    kw = dict(method="guided-prune", density=0.2, hidden_layer_sizes=(64, 16), max_iter=16,
              n_iter_no_change=16, random_state=0)

    def fewest_active(sel):
        """Inputs holding first-layer weights in the fitted (best epoch's) network."""
        return int(np.count_nonzero(np.diff(sel.network_.layers[0].indptr)))
    floor = SparseFeatureSelector(2, prune_floor=450, **kw).fit(X, y)
    default = SparseFeatureSelector(2, **kw).fit(X, y)
    assert fewest_active(floor) >= 450
    assert fewest_active(default) < 450  # the default floor, max(100, 2 K) = 100, goes lower
    with pytest.raises(ValueError, match="prune_floor"):
        SparseFeatureSelector(2, prune_floor=0, **kw).fit(X, y)

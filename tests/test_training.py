"""The training loop: early stopping with best-epoch restore, and the importance variants,
each checked against numbers this file computes itself (numpy forward passes and Jacobians of
the dense weights), never against the engine's own scoring code."""

import itertools

import numpy as np
import pytest
from helpers import dense_weights

from sparsefs.nn.network import MLP, build_mlp
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.sparse_layer import SparseLayer
from sparsefs.nn.training import TrainConfig, train_mlp

PATIENCE = 4
EPOCHS = 60


def _weights(layer):
    """(W (n_in, n_out), bias) of a sparse or dense layer, as new float64 arrays."""
    W = dense_weights(layer) if isinstance(layer, SparseLayer) else layer.W
    return np.array(W, dtype=np.float64), np.array(layer.bias, dtype=np.float64)


def _forward(weights, XT):
    """Pre-activations of every layer and the class probabilities, for XT (d, batch)."""
    zs, h = [], XT
    for k, (W, b) in enumerate(weights):
        z = W.T @ h + b[:, None]
        zs.append(z)
        h = np.maximum(z, 0) if k < len(weights) - 1 else z
    P = np.exp(h - h.max(axis=0))
    return zs, P / P.sum(axis=0)


def _attribution(weights, XT):
    """``sum_c mean_k |dp_c(x_k)/dx_kj|`` from the chain rule on the dense weights: (d,)."""
    zs, P = _forward(weights, XT)
    total = np.zeros(XT.shape[0])
    for k in range(XT.shape[1]):
        p = P[:, k]
        J = np.diag(p) - np.outer(p, p)  # dp/dz of the softmax, (C, C)
        for layer in range(len(weights) - 1, -1, -1):
            J = J @ weights[layer][0].T  # through z = W^T h + b
            if layer > 0:
                J = J * (zs[layer - 1][:, k] > 0)  # through the ReLU
        total += np.abs(J).sum(axis=0)
    return total / XT.shape[1]


def _problem(seed=0):
    """Train rule y = [x0 + x1 > 0], validation rule y = [x0 > 0]: the validation loss falls
    while the network learns x0 and rises again as it grows confident about x1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((160, 6))
    y_tr = (X[:120, 0] + X[:120, 1] > 0).astype(np.int64)
    y_va = (X[120:, 0] > 0).astype(np.int64)
    return X[:120].copy(), y_tr, X[120:].copy(), y_va


@pytest.fixture(scope="module")
def recorded_run():
    """One small SET run with everything recorded on the side: the dense weights and the input
    just before every optimizer step, the epoch each step belongs to, and a copy_params
    snapshot of every layer after every epoch."""
    X_tr, y_tr, X_va, y_va = _problem()
    rng = np.random.default_rng(0)
    net = build_mlp(6, 2, (8,), "set", 0.5, Optimizer(lr=3e-2), rng, np.float64)
    steps, epoch_of_step, snapshots = [], [], {}

    def backward(XT, y):
        steps.append(([_weights(layer) for layer in net.layers], XT.copy()))
        epoch_of_step.append(len(snapshots) + 1)
        return MLP.backward(net, XT, y)

    def progress(row):
        snapshots[row["epoch"]] = [layer.copy_params() for layer in net.layers]
        return False

    net.backward = backward
    config = TrainConfig(method="set", epochs=EPOCHS, batch_size=16, update_every=3,
                         patience=PATIENCE)
    result = train_mlp(net, X_tr, y_tr, X_va, y_va, config, rng, progress=progress)
    return {"net": net, "result": result, "steps": steps, "snapshots": snapshots,
            "epoch_of_step": np.array(epoch_of_step), "X_va": X_va, "y_va": y_va}


def test_early_stopping_restores_the_best_epoch(recorded_run):
    res, net, snapshots = recorded_run["result"], recorded_run["net"], recorded_run["snapshots"]
    val = np.array(res.history["val_loss"])
    # The problem is built so that the best epoch is neither the first nor the last.
    assert res.best_epoch == int(np.argmin(val)) + 1
    assert 1 < res.best_epoch < res.epochs_run
    assert res.stopped_by == "early_stopping"
    assert res.epochs_run == res.best_epoch + PATIENCE < EPOCHS
    assert len(val) == res.epochs_run == len(snapshots)
    best, last = snapshots[res.best_epoch], snapshots[res.epochs_run]
    for layer, want in zip(net.layers, best):
        got = layer.copy_params()
        assert set(got) == set(want)
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    # ... and restoring mattered: the last epoch's weights were different.
    assert any(not np.array_equal(w["data"], f["data"]) for w, f in zip(best, last))
    # The restored weights give the best epoch's validation loss, by a numpy forward pass.
    _, P = _forward([_weights(layer) for layer in net.layers], recorded_run["X_va"].T)
    y_va = recorded_run["y_va"]
    own_loss = -np.mean(np.log(P[y_va, np.arange(len(y_va))]))
    assert own_loss == pytest.approx(val.min(), rel=1e-10)


def _published_best(val_loss, forced=5):
    """The published code's best epoch (1-based): an epoch is the best when its validation loss
    is below the last best's, and each of the first ``forced`` epochs is taken regardless."""
    best, best_loss = 0, np.inf
    for epoch, loss in enumerate(val_loss, 1):
        if loss < best_loss or epoch <= forced:
            best, best_loss = epoch, loss
    return best


@pytest.mark.parametrize("metric", ["strength", "attr"])
def test_importance_variants_equal_sums_by_hand(recorded_run, metric):
    res, steps = recorded_run["result"], recorded_run["steps"]
    epoch_of = recorded_run["epoch_of_step"]
    if metric == "strength":  # S_j = sum_i |W1[j, i]| of the weights that saw the batch
        per_step = np.array([np.abs(weights[0][0]).sum(axis=1) for weights, _ in steps])
    else:
        per_step = np.array([_attribution(weights, XT) for weights, XT in steps])
    assert len(per_step) == res.counters.steps == 8 * res.epochs_run  # 120 rows / 16 a batch
    best = res.best_epoch
    published = _published_best(res.history["val_loss"])
    want = {"sum_to_best": per_step[epoch_of <= best].sum(axis=0),
            "best_epoch": per_step[epoch_of == best].sum(axis=0),
            "last_batch": per_step[-1],
            "published": per_step[epoch_of < published].sum(axis=0),
            "all_epochs": per_step.sum(axis=0)}
    # The windows differ, so a variant summing the wrong epochs cannot pass.
    for a, b in itertools.combinations(want, 2):
        assert not np.allclose(want[a], want[b], rtol=1e-6), (a, b)
    got = res.scores[metric]
    assert set(got) == set(want)  # a new variant needs its hand computation here
    for variant in want:
        np.testing.assert_allclose(got[variant], want[variant], rtol=1e-10, err_msg=variant)

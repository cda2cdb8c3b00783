"""Regression and multi-output targets: known answers, finite differences, scikit-learn checks."""

import numpy as np
import pytest
from sklearn.datasets import make_friedman1, make_regression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsefs import SparseFeatureSelector
from sparsefs.nn.importance import neuron_attribution
from sparsefs.nn.losses import MeanSquaredError
from sparsefs.nn.network import build_mlp
from sparsefs.nn.optim import Optimizer

SMALL = dict(density=0.3, hidden_layer_sizes=(64, 16), max_iter=60, random_state=0)


@pytest.mark.parametrize("metric", ["attr", "strength"])
def test_friedman1_informative_columns_are_found(metric):
    # y depends on columns 0-4 only; the other 25 are noise.
    X, y = make_friedman1(n_samples=1000, n_features=30, random_state=0)
    sel = SparseFeatureSelector(5, metric=metric, **SMALL).fit(X, y)
    assert sel.task_ == "regression" and sel.n_outputs_ == 1 and not hasattr(sel, "classes_")
    assert set(sel.get_support(indices=True)) == {0, 1, 2, 3, 4}


def test_multi_output_targets_share_their_informative_columns():
    X, Y, coef = make_regression(n_samples=600, n_features=40, n_informative=4, n_targets=3,
                                 coef=True, random_state=1)
    informative = set(np.flatnonzero(np.abs(coef).sum(axis=1)))
    sel = SparseFeatureSelector(4, **SMALL).fit(X, Y)
    assert sel.n_outputs_ == 3
    assert set(sel.get_support(indices=True)) == informative


def test_task_can_be_forced_both_ways():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    y = (X[:, 0] > 0).astype(float)  # 0.0/1.0: "auto" reads classes
    small = dict(SMALL, max_iter=3)
    assert SparseFeatureSelector(2, **small).fit(X, y).task_ == "classification"
    assert SparseFeatureSelector(2, task="regression", **small).fit(X, y).task_ == "regression"
    with pytest.raises(ValueError, match="one label per sample"):
        SparseFeatureSelector(2, task="classification", **small).fit(X, np.c_[y, y])


def test_mse_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    P, Y = rng.standard_normal((3, 5)), rng.standard_normal((5, 3))
    G = np.empty_like(P)
    loss = MeanSquaredError().value_and_grad(P, Y, G)
    assert loss == pytest.approx(np.mean((P - Y.T) ** 2))
    h, fd = 1e-6, np.zeros_like(P)
    for idx in np.ndindex(*P.shape):
        Pp, Pm = P.copy(), P.copy()
        Pp[idx] += h
        Pm[idx] -= h
        fd[idx] = (np.mean((Pp - Y.T) ** 2) - np.mean((Pm - Y.T) ** 2)) / (2 * h)
    np.testing.assert_allclose(G, fd, atol=1e-8)


def test_regression_attribution_equals_finite_difference_jacobian():
    rng = np.random.default_rng(4)
    net = build_mlp(7, 2, (9, 5), "set", 0.6, Optimizer(), rng, np.float64,
                    loss=MeanSquaredError())
    X = rng.standard_normal((6, 7))

    def outputs(Xs):
        return net.predict_proba(Xs)  # linear outputs (n, 2)

    h, fd = 1e-6, np.zeros(7)
    for j in range(7):
        Xp, Xm = X.copy(), X.copy()
        Xp[:, j] += h
        Xm[:, j] -= h
        fd[j] = (np.abs(outputs(Xp) - outputs(Xm)) / (2 * h)).mean(axis=0).sum()
    XT = np.ascontiguousarray(X.T)
    net.forward(XT)
    np.testing.assert_allclose(neuron_attribution(net, XT), fd, rtol=1e-5, atol=1e-8)


@pytest.mark.slow
@parametrize_with_checks([SparseFeatureSelector(1, task="regression", density=0.5,
                                                hidden_layer_sizes=(8, 4), max_iter=2,
                                                random_state=0)])
def test_sklearn_estimator_checks_regression(estimator, check):
    check(estimator)

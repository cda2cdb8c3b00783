"""n_features_to_select="auto": the K curve on validation rows, recomputed by hand."""

import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sparsefs import SparseFeatureSelector
from sparsefs._choose_k import k_grid

SMALL = dict(density=0.5, hidden_layer_sizes=(32, 8), max_iter=30, random_state=0)


def _three_informative():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 30))
    return X, (X[:, 0] + X[:, 1] + X[:, 2] > 0).astype(int)


def test_auto_keeps_the_informative_columns_and_the_curve_is_what_knn_scores():
    X, y = _three_informative()
    sel = SparseFeatureSelector("auto", **SMALL).fit(X, y)
    assert sel.n_features_to_select_ == 3
    assert set(sel.get_support(indices=True)) == {0, 1, 2}
    assert sel.transform(X).shape == (400, 3)
    assert sorted(sel.k_scores_) == k_grid(30)
    tr, va = sel.train_indices_, sel.validation_indices_
    for k in (1, 3, 9):
        cols = sel.feature_order_[:k]
        knn = make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X[tr][:, cols], y[tr])
        assert sel.k_scores_[k] == pytest.approx(knn.score(X[va][:, cols], y[va]))
    best = max(sel.k_scores_.values())
    assert all(s < best - sel.k_tol for k, s in sel.k_scores_.items() if k < 3)


def test_tolerance_trades_accuracy_for_fewer_features():
    X, y = _three_informative()
    loose = SparseFeatureSelector("auto", k_tol=1.0, **SMALL).fit(X, y)
    assert loose.n_features_to_select_ == 1


def test_auto_for_regression_and_without_validation_rows():
    X, y = make_friedman1(n_samples=800, n_features=20, random_state=0)
    sel = SparseFeatureSelector("auto", density=0.3, hidden_layer_sizes=(64, 16), max_iter=40,
                                random_state=0).fit(X, y)
    # y depends on columns 0-4 (column 3 and 4 linearly, 0-2 through a product and a square)
    k = sel.n_features_to_select_
    assert 3 <= k <= 8
    assert len(set(sel.get_support(indices=True)) & set(range(5))) >= min(k, 4)
    with pytest.raises(ValueError, match="validation_fraction"):
        SparseFeatureSelector("auto", validation_fraction=0, **SMALL).fit(*_three_informative())

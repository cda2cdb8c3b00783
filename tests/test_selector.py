"""SparseFeatureSelector as a scikit-learn estimator."""

import time

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsefs import SparseFeatureSelector

SMALL = dict(hidden_layer_sizes=(8,), max_iter=3, n_iter_no_change=2, batch_size=16,
             random_state=0)

# Checks that cannot apply, by name, with the reason (scikit-learn's expected-failure mechanism).
EXPECTED_FAILED = {}


@pytest.mark.slow
@parametrize_with_checks([SparseFeatureSelector(1, **SMALL)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _informative(n=1000, d=30, seed=0):
    """Labels depend on features 3 and 11 only."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.where(X[:, 3] + X[:, 11] > 0, "yes", "no")
    return X, y


@pytest.mark.parametrize("method", ["set", "rigl", "dense"])
@pytest.mark.parametrize("metric", ["attr", "strength"])
def test_finds_the_informative_features(method, metric):
    X, y = _informative()
    sel = SparseFeatureSelector(2, method=method, metric=metric, density=0.3,
                                hidden_layer_sizes=(32, 8), max_iter=40, n_iter_no_change=40,
                                random_state=1).fit(X, y)
    assert set(sel.get_support(indices=True)) == {3, 11}
    assert sel.transform(X).shape == (1000, 2)
    assert sorted(sel.classes_) == ["no", "yes"]
    assert sel.ranking_[3] <= 2 and sel.ranking_[11] <= 2
    assert set(sel.scores_) == {"attr", "strength"}
    assert len(sel.history_["val_loss"]) == sel.n_iter_ >= sel.best_epoch_ >= 1


def test_same_seed_same_ranking_and_other_seed_differs():
    X, y = _informative(seed=2)
    kw = dict(hidden_layer_sizes=(16,), max_iter=4, density=0.3)
    a = SparseFeatureSelector(5, random_state=7, **kw).fit(X, y)
    b = SparseFeatureSelector(5, random_state=7, **kw).fit(X, y)
    c = SparseFeatureSelector(5, random_state=8, **kw).fit(X, y)
    np.testing.assert_array_equal(a.feature_order_, b.feature_order_)
    np.testing.assert_array_equal(a.feature_importances_, b.feature_importances_)
    assert not np.array_equal(a.feature_importances_, c.feature_importances_)


def test_sparse_input_equals_dense_input():
    X, y = _informative(seed=3)
    X[np.abs(X) < 0.8] = 0
    # Without standardization both read the same numbers (sparse input is never centred).
    kw = dict(hidden_layer_sizes=(16,), max_iter=3, density=0.4, random_state=0,
              standardize=False)
    a = SparseFeatureSelector(4, **kw).fit(X, y)
    b = SparseFeatureSelector(4, **kw).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(a.feature_importances_, b.feature_importances_, rtol=1e-4)
    assert sp.issparse(b.transform(sp.csr_matrix(X)))


def test_errors_like_scikit_learn():
    X, y = _informative()
    with pytest.raises(ValueError, match="larger than the number of features"):
        SparseFeatureSelector(31, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        SparseFeatureSelector(1, **SMALL).fit(X, np.zeros(len(X)))
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SparseFeatureSelector(1, **SMALL).fit(Xn, y)
    with pytest.raises(ValueError, match="density"):
        SparseFeatureSelector(1, density=1.5, **SMALL).fit(X, y)


def test_callback_stops_and_max_time():
    X, y = _informative()
    seen = []
    sel = SparseFeatureSelector(2, hidden_layer_sizes=(8,), max_iter=50,
                                callback=lambda row: seen.append(row["epoch"]) or len(seen) == 3,
                                random_state=0).fit(X, y)
    assert seen == [1, 2, 3] and sel.n_iter_ == 3 and sel.result_.stopped_by == "callback"
    # max_time: the epoch during which the time runs out is the last one. The callback makes
    # each epoch take at least 20 ms, so 0.1 s runs out after a few epochs, long before
    # patience or max_iter could stop training.
    sel = SparseFeatureSelector(2, hidden_layer_sizes=(8,), max_iter=50, n_iter_no_change=50,
                                max_time=0.1, callback=lambda row: time.sleep(0.02),
                                random_state=0).fit(X, y)
    seconds = sel.history_["seconds"]
    assert sel.result_.stopped_by == "max_time"
    assert sel.n_iter_ == len(seconds) < 50
    assert seconds[-1] >= 0.1 and all(s < 0.1 for s in seconds[:-1])


def test_clone_and_params_roundtrip():
    sel = SparseFeatureSelector(5, method="rigl", density=0.05)
    twin = clone(sel)
    assert twin.get_params() == sel.get_params()
    twin.set_params(density=0.5)
    assert twin.density == 0.5 and sel.density == 0.05


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _informative()
    df = pd.DataFrame(X, columns=[f"g{j}" for j in range(X.shape[1])])
    sel = SparseFeatureSelector(2, density=0.3, hidden_layer_sizes=(32, 8), max_iter=40,
                                n_iter_no_change=40, random_state=1)
    sel.fit(df, y)
    assert list(sel.feature_names_in_) == list(df.columns)
    assert set(sel.get_feature_names_out()) == {"g3", "g11"}


def test_pipeline_grid_search_over_density_on_real_data():
    """make_pipeline(SparseFeatureSelector, SVC) in GridSearchCV on the bundled madelon."""
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale

    ds = load_dataset("madelon")
    Xtr, Xte = fit_scale(ds.X_train[:600], ds.X_test, "standard")
    ytr = ds.y_train[:600]
    pipe = make_pipeline(SparseFeatureSelector(20, hidden_layer_sizes=(64, 16), max_iter=3,
                                               random_state=0), SVC())
    grid = GridSearchCV(pipe, {"sparsefeatureselector__density": [0.1, 0.5]}, cv=2)
    grid.fit(Xtr, ytr)
    assert grid.best_params_["sparsefeatureselector__density"] in (0.1, 0.5)
    assert 0.4 <= grid.score(Xte, ds.y_test) <= 1.0
    scores = cross_val_score(pipe, Xtr, ytr, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))

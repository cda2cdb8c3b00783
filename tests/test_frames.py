"""Data frames and pipelines: named columns in and out, inside scikit-learn's composites."""

import numpy as np
import pytest

from sparsefs import SparseFeatureSelector

pd = pytest.importorskip("pandas", reason="the data-frame tests need pandas (the test extra)")

SMALL = dict(density=0.5, hidden_layer_sizes=(32, 8), max_iter=40, batch_size=32,
             random_state=0)


def _frame(n=300):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((n, 8)), columns=[f"gene_{i}" for i in range(8)])
    y = pd.Series(np.where(X.gene_1 - X.gene_5 > 0, "sick", "well"), name="diagnosis")
    return X, y


def test_pandas_output_and_importance_frame_keep_the_names():
    X, y = _frame()
    sel = SparseFeatureSelector(2, **SMALL).set_output(transform="pandas").fit(X, y)
    out = sel.transform(X)
    assert list(out.columns) == ["gene_1", "gene_5"] == list(sel.get_feature_names_out())
    frame = sel.importance_frame()
    assert set(frame.feature[:2]) == {"gene_1", "gene_5"} and frame.selected[:2].all()
    assert not frame.selected[2:].any()
    assert frame["rank"].tolist() == list(range(1, 9))
    np.testing.assert_allclose(frame.attr, sel.scores_["attr"][sel.feature_order_])
    rep = SparseFeatureSelector(2, n_repeats=2, **SMALL).fit(X, y).importance_frame()
    assert {"frequency", "mean_rank"} <= set(rep.columns)


def test_inside_pipeline_column_transformer_and_grid_search():
    from sklearn.compose import ColumnTransformer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.svm import SVC

    X, y = _frame()
    X["site"] = np.where(np.arange(len(X)) % 2, "a", "b")  # a string column to encode
    numeric = [c for c in X.columns if c.startswith("gene_")]
    ct = ColumnTransformer([("sel", SparseFeatureSelector(2, **SMALL), numeric),
                            ("site", OneHotEncoder(sparse_output=False), ["site"])])
    ct.set_output(transform="pandas")
    Z = ct.fit_transform(X, y)
    assert list(Z.columns) == ["sel__gene_1", "sel__gene_5", "site__site_a", "site__site_b"]
    grid = GridSearchCV(make_pipeline(SparseFeatureSelector(2, **SMALL), SVC()),
                        {"sparsefeatureselector__metric": ["attr", "strength"]}, cv=2)
    grid.fit(X[numeric], y)
    assert grid.best_score_ > 0.8


def test_polars_output_keeps_the_names_and_values():
    pl = pytest.importorskip("polars", reason="polars output needs polars (the test extra)")
    X, y = _frame()
    sel = SparseFeatureSelector(2, **SMALL).fit(X, y)
    expected = np.asarray(sel.transform(X))
    out = SparseFeatureSelector(2, **SMALL).set_output(transform="polars").fit(
        pl.from_pandas(X), y.to_numpy()).transform(pl.from_pandas(X))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == list(sel.get_feature_names_out())
    np.testing.assert_array_equal(out.to_numpy(), expected)

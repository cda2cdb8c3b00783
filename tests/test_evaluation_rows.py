"""The evaluation's fit on at most EVAL_TRAIN_ROWS training rows: which rows, and that every
downstream model (final score, K sweep, variants, baselines, the validated window's chooser)
is fitted on exactly them, checked against scikit-learn's own SVC on the same rows."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.svm import SVC

from sparsefs.experiments import evaluate
from sparsefs.experiments.evaluate import evaluation_rows, evaluation_svc, svc_accuracy


def _imbalanced(n=3000, d=12, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(4, size=n, p=[0.55, 0.25, 0.15, 0.05])
    X = rng.normal(size=(n, d)).astype(np.float32)
    X[:, 0] += y
    return X, y


def test_few_rows_are_all_kept():
    assert evaluation_rows(np.arange(50) % 3, limit=50) is None
    assert evaluation_rows(np.arange(10) % 2) is None  # the default limit is far above


def test_subsample_is_stratified_sorted_and_fixed():
    _, y = _imbalanced()
    rows = evaluation_rows(y, limit=600)
    assert len(rows) == 600 and len(np.unique(rows)) == 600
    assert np.all(np.diff(rows) > 0) and rows[0] >= 0 and rows[-1] < len(y)
    share_all = np.bincount(y, minlength=4) / len(y)
    share_kept = np.bincount(y[rows], minlength=4) / 600
    # Largest remainders: each class within one row of its exact quota.
    assert np.all(np.abs(share_kept - share_all) * 600 <= 1.0)
    np.testing.assert_array_equal(rows, evaluation_rows(y, limit=600))
    assert not np.array_equal(rows, evaluation_rows(y, limit=600, seed=1))


def test_a_rare_class_keeps_a_row_and_targets_draw_uniformly():
    y = np.zeros(1000, dtype=int)
    y[7] = 1  # one sample: its quota rounds to 0 but it must stay
    rows = evaluation_rows(y, limit=100)
    assert len(rows) == 100 and 7 in rows
    targets = np.linspace(0, 1, 1000)
    rows = evaluation_rows(targets, limit=100, stratify=False)
    assert len(rows) == 100 and len(np.unique(rows)) == 100


def test_svc_accuracy_fits_on_the_subsample(monkeypatch):
    X, y = _imbalanced()
    X_te, y_te = _imbalanced(500, seed=1)
    features = np.array([0, 3, 5])
    full = SVC().fit(X[:, features], y).score(X_te[:, features], y_te)
    assert svc_accuracy(X, y, X_te, y_te, features) == pytest.approx(full, abs=0)
    monkeypatch.setattr(evaluate, "EVAL_TRAIN_ROWS", 400)
    rows = evaluation_rows(y)
    assert len(rows) == 400
    reference = SVC().fit(X[rows][:, features], y[rows]).score(X_te[:, features], y_te)
    assert svc_accuracy(X, y, X_te, y_te, features) == reference
    assert evaluate.evaluated_rows(len(y)) == 400 and evaluate.evaluated_rows(400) is None


def test_the_chooser_svc_clones_and_fits_on_the_subsample(monkeypatch):
    X, y = _imbalanced()
    monkeypatch.setattr(evaluate, "EVAL_TRAIN_ROWS", 300)
    model = clone(evaluation_svc()).fit(X, y)
    rows = evaluation_rows(y)
    reference = SVC().fit(X[rows], y[rows])
    assert model.support_vectors_.shape == reference.support_vectors_.shape
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    with pytest.raises(ValueError, match="sample_weight"):
        evaluation_svc().fit(X, y, sample_weight=np.ones(len(y)))


def test_a_protocol_run_on_more_rows_than_the_limit_fits_every_svc_on_the_subsample(
        monkeypatch):
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale
    from sparsefs.experiments.protocol import run_job

    monkeypatch.setattr(evaluate, "EVAL_TRAIN_ROWS", 600)  # madelon trains on 2,000 rows
    data = load_dataset("madelon")
    rec = run_job(data, method="set", density=0.2, epochs=2, hidden=(32, 8),
                  importance="validated", seed=0).to_dict()
    assert rec["eval_train_rows"] == 600
    X_tr, X_te = fit_scale(data.X_train, data.X_test, data.scaling)
    rows = evaluation_rows(data.y_train)
    for m in ("attr", "strength"):
        top = np.asarray(rec["rankings"][m][:rec["k"]])
        reference = SVC().fit(X_tr[rows][:, top], data.y_train[rows]).score(X_te[:, top],
                                                                         data.y_test)
        assert rec["accuracy"][m] == reference
        # The window chooser and the stored variants fit on the same rows of the network's
        # training part, so their validation numbers agree.
        w = rec["windows"]["chosen"][m]
        assert rec["windows"]["scores"][m][w] == pytest.approx(rec["variants"][w][m]["val"])
    monkeypatch.setattr(evaluate, "EVAL_TRAIN_ROWS", 10_000)
    assert "eval_train_rows" not in run_job(data, method="set", density=0.2, epochs=1,
                                            hidden=(16,), seed=0).to_dict()


def test_more_classes_than_their_share_still_gives_limit_rows_with_every_class():
    y = np.concatenate([np.zeros(900, dtype=int), np.arange(1, 101)])  # 100 singleton classes
    rows = evaluation_rows(y, limit=150)
    assert len(rows) == 150 and len(np.unique(rows)) == 150
    assert set(np.unique(y[rows])) == set(range(101))  # every class keeps its row
    assert np.sum(y[rows] == 0) == 50

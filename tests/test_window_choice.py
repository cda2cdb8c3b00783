"""importance="validated": the window is chosen per fit on validation rows only."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sparsefs import SparseFeatureSelector
from sparsefs._config import FIXED_IMPORTANCE, IMPORTANCE_VARIANTS
from sparsefs._window_choice import choose_window


def _planted(n=400, d=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X[:, 4] + X[:, 9] > 0).astype(int)
    return X, y


def _windows(d, good):
    """Scores per window: ``good`` ranks features 4 and 9 first, the others rank noise first."""
    out = {}
    for w in IMPORTANCE_VARIANTS:
        s = np.arange(d, dtype=float)  # feature d-1 first, then d-2, ...
        if w == good:
            s[[4, 9]] = d + 1.0
        out[w] = s
    return out


def test_the_window_whose_top_k_predicts_the_validation_rows_is_chosen():
    X, y = _planted()
    tr, va = np.arange(300), np.arange(300, 400)
    best, scores = choose_window(X, y, _windows(30, "last_batch"), tr, va, 2,
                                 LogisticRegression(), prefer="sum_to_best")
    assert best == "last_batch"
    # Each score is the estimator's validation accuracy on that window's top 2, refitted here.
    direct = LogisticRegression().fit(X[tr][:, [4, 9]], y[tr]).score(X[va][:, [4, 9]], y[va])
    assert scores["last_batch"] == pytest.approx(direct)
    noise = LogisticRegression().fit(X[tr][:, [28, 29]], y[tr]).score(X[va][:, [28, 29]], y[va])
    assert scores["sum_to_best"] == pytest.approx(noise) and noise < direct - 0.2


def test_ties_go_to_the_preferred_window():
    X, y = _planted()
    same = {w: np.arange(30, dtype=float) for w in IMPORTANCE_VARIANTS}
    best, scores = choose_window(X, y, same, np.arange(300), np.arange(300, 400), 3,
                                 LogisticRegression(), prefer="all_epochs")
    assert best == "all_epochs" and len(set(scores.values())) == 1


def test_choice_never_reads_rows_outside_train_and_validation():
    X, y = _planted()
    tr, va = np.arange(200), np.arange(200, 300)
    X_poisoned = X.copy()
    X_poisoned[300:] = np.nan  # rows that are neither: any use would fail or change a score
    a = choose_window(X, y, _windows(30, "published"), tr, va, 2, LogisticRegression(), "x")
    b = choose_window(X_poisoned, y, _windows(30, "published"), tr, va, 2,
                      LogisticRegression(), "x")
    assert a == b


def test_selector_validated_uses_the_chosen_windows_scores():
    X, y = _planted(n=300, d=20, seed=1)
    sel = SparseFeatureSelector(4, importance="validated", max_iter=15, hidden_layer_sizes=(32,),
                                density=0.5, random_state=0).fit(X, y)
    for m in ("attr", "strength"):
        w = sel.importance_[m]
        np.testing.assert_array_equal(sel.scores_[m], sel.all_scores_[m][w])
        best = max(sel.window_scores_[m].values())
        assert sel.window_scores_[m][w] == best
        assert w == FIXED_IMPORTANCE[m] or sel.window_scores_[m][FIXED_IMPORTANCE[m]] < best
    fixed = SparseFeatureSelector(4, importance="all_epochs", max_iter=15,
                                  hidden_layer_sizes=(32,), density=0.5, random_state=0).fit(X, y)
    assert fixed.importance_ == {"attr": "all_epochs", "strength": "all_epochs"}
    assert fixed.window_scores_ == {}
    auto = SparseFeatureSelector(4, max_iter=15, hidden_layer_sizes=(32,), density=0.5,
                                 random_state=0).fit(X, y)
    # "auto": the fixed rule for attribution, the per-fit choice for strength.
    assert auto.importance_["attr"] == "sum_to_best" and list(auto.window_scores_) == ["strength"]
    assert auto.importance_["strength"] == sel.importance_["strength"]
    # The same seed trains the same network: only the window can differ.
    for m in ("attr", "strength"):
        np.testing.assert_array_equal(fixed.all_scores_[m]["all_epochs"],
                                      sel.all_scores_[m]["all_epochs"])


def test_validated_without_validation_rows_says_what_to_change():
    X, y = _planted(n=120, d=10)
    sel = SparseFeatureSelector(3, importance="validated", validation_fraction=0.0, max_iter=3,
                                hidden_layer_sizes=(16,), random_state=0)
    with pytest.raises(ValueError, match="validation_fraction above 0"):
        sel.fit(X, y)
    # The default has nothing to choose on and takes the fixed rule, as it did before.
    auto = SparseFeatureSelector(3, validation_fraction=0.0, max_iter=3,
                                 hidden_layer_sizes=(16,), random_state=0).fit(X, y)
    assert auto.importance_ == FIXED_IMPORTANCE and auto.window_scores_ == {}


def _record(vals, tests):
    from sparsefs.experiments.records import RunRecord

    variants = {w: {"attr": {"val": v, "test": t}, "strength": {"val": v, "test": t}}
                for w, v, t in zip(IMPORTANCE_VARIANTS, vals, tests)}
    return RunRecord(dataset="d", method="set", variants=variants)


def test_report_per_run_choice_takes_each_runs_best_validation_variant():
    from sparsefs.experiments.variants import VALIDATED, choose_variant, mean_variants

    # Run 1's validation prefers the third variant, run 2's the first; their test scores
    # are what the per-run choice reports, averaged.
    r1 = _record([0.5, 0.5, 0.9, 0.5, 0.5], [0.1, 0.2, 0.7, 0.4, 0.5])
    r2 = _record([0.8, 0.5, 0.5, 0.5, 0.5], [0.3, 0.2, 0.9, 0.4, 0.5])
    means = mean_variants([r1, r2])
    assert means[VALIDATED]["attr"]["test"] == pytest.approx(100 * (0.7 + 0.3) / 2)
    assert means[VALIDATED]["attr"]["val"] == pytest.approx(100 * (0.9 + 0.8) / 2)
    # The per-run choice never competes in the once-for-all choice it is compared with.
    best, table = choose_variant([{"variants": means}], "attr")
    assert VALIDATED not in table and best in IMPORTANCE_VARIANTS


def test_report_per_run_choice_breaks_ties_towards_the_fixed_rule():
    from sparsefs.experiments.variants import validated_choice

    flat = _record([0.6] * 5, [0.1, 0.2, 0.3, 0.4, 0.5])
    assert validated_choice(flat, "attr")["test"] == 0.1       # sum_to_best
    assert validated_choice(flat, "strength")["test"] == 0.5   # all_epochs


def test_a_validated_study_run_reports_the_variant_its_own_validation_numbers_pick():
    from sparsefs.data import load_dataset
    from sparsefs.experiments.protocol import run_job
    from sparsefs.experiments.records import RunRecord
    from sparsefs.experiments.variants import validated_choice

    rec = run_job(load_dataset("madelon"), method="set", density=0.2, epochs=3,
                  importance="validated", seed=0)
    d = rec.to_dict()
    for m in ("attr", "strength"):
        w = d["windows"]["chosen"][m]
        # The selector's choice (SVC on the validation rows) and the report's reading of the
        # stored variants agree, and the record's accuracy is that variant's test accuracy.
        assert d["windows"]["scores"][m][w] == pytest.approx(d["variants"][w][m]["val"])
        assert validated_choice(RunRecord.from_dict(d), m) == d["variants"][w][m]
        assert d["accuracy"][m] == d["variants"][w][m]["test"]


def test_train_prints_which_window_each_metric_used():
    from click.testing import CliRunner

    from sparsefs.cli import main

    res = CliRunner().invoke(main, ["train", "--epochs", "3", "--hidden", "32,8", "-q"])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("importance windows:"))
    assert "attr sum_to_best (fixed rule)" in line
    assert "(best on the validation rows)" in line.split("strength", 1)[1]

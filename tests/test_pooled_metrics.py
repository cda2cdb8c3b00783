"""bench/pooled_metrics.py rebuilds a study run's validation rows from its seed alone: they must
be the rows the fit itself held out, or its pooled column would be judged on other data."""

from types import SimpleNamespace

import numpy as np
import pytest

from bench.pooled_metrics import validation_rows
from sparsefs import SparseFeatureSelector


@pytest.mark.parametrize("method,seed", [("guided-prune", 3), ("set", 11)])
def test_rebuilt_validation_rows_are_the_fits_own(method, seed):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 40))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    sel = SparseFeatureSelector(n_features_to_select=5, method=method, density=0.3,
                                hidden_layer_sizes=(16, 8), l2=1e-3, batch_size=32,
                                max_iter=2, random_state=seed).fit(X, y)
    rec = SimpleNamespace(method=method, density=0.3, hidden=[16, 8], l2=1e-3,
                          batch_size=32, learning_rate=sel.learning_rate_init,
                          softmax_axis=sel.softmax_axis, seed=seed, n_features=40)
    tr, va = validation_rows(rec, X.shape[0], y)
    np.testing.assert_array_equal(tr, sel.train_indices_)
    np.testing.assert_array_equal(va, sel.validation_indices_)
    other = validation_rows(SimpleNamespace(**{**vars(rec), "seed": seed + 1}), X.shape[0], y)
    assert not np.array_equal(other[1], va)


def test_combined_scores_order_is_the_pooled_mean_rank_of_complete_lists():
    from bench.seed_ensemble import pooled_ranking
    from sparsefs._ranking import combined_order, combined_scores, rank_features

    rng = np.random.default_rng(1)
    d = 60
    attr, strength = rng.normal(size=d), rng.normal(size=d)
    strength[:10] = attr[:10]  # agreeing features, and ties of the mean rank to break
    got = combined_order(attr, strength)
    lists = [rank_features(attr), rank_features(strength)]
    np.testing.assert_array_equal(got, pooled_ranking(lists, d))
    mean_rank = {}
    for lst in lists:
        for r, f in enumerate(lst, 1):
            mean_rank[int(f)] = mean_rank.get(int(f), 0) + r / 2
    ranks = [mean_rank[int(f)] for f in got]
    assert ranks == sorted(ranks)
    np.testing.assert_allclose(combined_scores(attr, strength)[got], d + 1 - np.array(ranks))


def test_selector_combined_metric_ranks_by_mean_rank_of_its_two_scores():
    from scipy.stats import rankdata

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 30))
    y = (X[:, 0] - X[:, 3] > 0).astype(int)
    sel = SparseFeatureSelector(n_features_to_select=4, method="guided-prune", density=0.3,
                                hidden_layer_sizes=(16,), max_iter=5, metric="combined",
                                random_state=0).fit(X, y)
    mean = (rankdata(-sel.scores_["attr"], method="ordinal")
            + rankdata(-sel.scores_["strength"], method="ordinal")) / 2
    assert np.all(np.diff(mean[sel.feature_order_]) >= 0)
    assert sel.get_support().sum() == 4
    np.testing.assert_array_equal(sel.get_support(indices=True),
                                  np.sort(sel.feature_order_[:4]))
    assert sel.scores_["attr"].any()  # attribution was computed for it


def _cell(dataset, method, acc, flops=None, density=0.2, kind="nn"):
    return {"dataset": dataset, "method": method, "kind": kind, "density": density, "n": 5,
            "acc": acc, "flops_train": flops}


def test_flops_lines_count_half_the_flops_at_equal_accuracy():
    from bench.pooled_metrics import flops_lines

    table = [_cell("a", "set", {"attr": (80.0, 2.0)}, 100.0),
             _cell("b", "set", {"attr": (90.0, 1.0)}, 100.0),
             _cell("a", "set", {"attr": (99.0, 0.0)}, 1.0, density=0.05),  # not density 0.2
             _cell("a", "extratrees", {"score": (85.0, 0.0)}, kind="baseline", density=None),
             _cell("a", "random", {"score": (95.0, 0.0)}, kind="baseline", density=None)]
    mine = [_cell("a", "guided-prune", {"combined": (78.5, 1.0)}, 40.0),  # within 1 std
            _cell("b", "guided-prune", {"combined": (88.0, 1.0)}, 30.0),  # below
            _cell("c", "guided-prune", {"combined": (50.0, 1.0)}, 30.0)]  # no SET cell
    text = "\n".join(flops_lines(table, mine, "guided-prune", ("combined",)))
    rows = [line for line in text.splitlines() if line.startswith("| a ") or
            line.startswith("| b ")]
    assert rows[0].split(" | ")[2:] == ["78.50±1.00", "80.00±2.00", "ExtraTrees 85.00",
                                        "0.400 |"]
    assert rows[1].split(" | ")[2] == "88.00±1.00 (lower)"
    assert rows[1].split(" | ")[-1] == "0.300 |"
    assert "| c " not in text
    assert ("Median FLOPs ratio 0.350; at most half of SET's FLOPs at equal accuracy on "
            "1 (combined) of 2 data sets") in text

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

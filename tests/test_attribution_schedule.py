"""The cheaper attribution schedule: attribution on every k-th mini-batch only."""

import numpy as np

from sparsefs import SparseFeatureSelector


def _data(n=240, d=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X[:, 3] - X[:, 7] > 0).astype(int)
    return X, y


def _fit(every, **kw):
    X, y = _data()
    params = dict(density=0.5, hidden_layer_sizes=(16, 8), max_iter=6, batch_size=25,
                  n_iter_no_change=100, random_state=0)
    params.update(kw)
    return SparseFeatureSelector(2, attribution_every=every, **params).fit(X, y)


def _expected_samples(sel, every):
    """Samples of the steps 0, k, 2k, ... of the run (batch sizes of each epoch's order)."""
    n, b = len(sel.train_indices_), sel.batch_size
    sizes = [min(b, n - s) for s in range(0, n, b)] * sel.n_iter_
    return sum(size for step, size in enumerate(sizes) if step % every == 0)


def test_attribution_is_computed_on_every_kth_batch_only():
    for every in (1, 3, 7):
        sel = _fit(every)
        assert sel.result_.counters.attribution_samples == _expected_samples(sel, every)


def test_strength_and_training_do_not_depend_on_the_schedule():
    a, b = _fit(1), _fit(4)
    # The schedule changes no random draw and no weight: same losses, same strength.
    np.testing.assert_array_equal(a.history_["train_loss"], b.history_["train_loss"])
    np.testing.assert_array_equal(a.scores_["strength"], b.scores_["strength"])
    assert not np.array_equal(a.scores_["attr"], b.scores_["attr"])


def test_a_sparser_schedule_still_finds_the_planted_features():
    sel = _fit(5, max_iter=30)
    assert set(sel.top_features(2, "attr")) == {3, 7}

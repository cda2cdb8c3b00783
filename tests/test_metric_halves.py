"""bench/metric_halves.py: strength's window is chosen on one half of the validation rows and
every list is scored on the other, so a window that only looks good is not rewarded."""

from types import SimpleNamespace

import numpy as np

from bench.metric_halves import LISTS, held_out_scores
from sparsefs._config import IMPORTANCE_VARIANTS


def test_strength_window_is_chosen_on_one_half_and_every_list_scored_on_the_other():
    rng = np.random.default_rng(0)
    n, d = 400, 6
    X = rng.normal(size=(n, d))
    y = (X[:, 0] > 0).astype(int)  # only feature 0 carries the label
    informative = np.array([9.0, 0, 0, 0, 0, 0])
    noise = np.array([0, 9.0, 0, 0, 0, 0])  # ranks a useless feature first
    sel = SimpleNamespace(
        train_indices_=np.arange(200), validation_indices_=np.arange(200, n),
        all_scores_={"attr": {w: informative for w in IMPORTANCE_VARIANTS},
                     "strength": {w: informative if w == "last_batch" else noise
                                  for w in IMPORTANCE_VARIANTS}})
    got = held_out_scores(sel, X, y, k=1)
    assert set(got) == set(LISTS) and all(len(v) == 2 for v in got.values())
    assert min(got["attr"]) > 0.9
    assert min(got["strength"]) > 0.9  # last_batch won on the choosing half
    assert min(got["combined"]) > 0.9  # feature 0 is first in both chosen lists
    assert max(got["strength fixed"]) < 0.7  # all_epochs ranks the noise feature first

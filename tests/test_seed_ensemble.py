"""The seed/metric pooling of bench/seed_ensemble.py against a brute-force mean rank."""

import numpy as np

from bench.seed_ensemble import pooled_ranking


def test_pooled_ranking_orders_by_mean_rank_with_absent_features_ranked_last():
    rng = np.random.default_rng(0)
    keep, d = 8, 30
    lists = [rng.permutation(d)[:keep] for _ in range(5)]
    got = pooled_ranking(lists, keep)
    feats = sorted({int(f) for lst in lists for f in lst})
    mean = {f: np.mean([list(lst).index(f) + 1 if f in lst else keep + 1 for lst in lists])
            for f in feats}
    assert sorted(got.tolist()) == feats
    ranks = [mean[int(f)] for f in got]
    assert all(a <= b for a, b in zip(ranks, ranks[1:]))


def test_pooling_one_list_returns_it():
    lst = np.array([5, 3, 9, 1])
    np.testing.assert_array_equal(pooled_ranking([lst], 4), lst)

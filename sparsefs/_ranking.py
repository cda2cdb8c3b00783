"""Feature rankings from importance scores."""

import numpy as np


def rank_features(scores) -> np.ndarray:
    """Feature indices by decreasing score; ties keep the lower index first. (d,) int64."""
    return np.argsort(-np.asarray(scores), kind="stable").astype(np.int64)


def _ranks(scores) -> np.ndarray:
    """(d,) int64 rank of each feature under :func:`rank_features`, 1 = best."""
    rank = np.empty(len(scores), dtype=np.int64)
    rank[rank_features(scores)] = np.arange(1, len(scores) + 1)
    return rank


def combined_scores(attr, strength) -> np.ndarray:
    """Both metrics in one score, the mean Borda count: ``d + 1`` minus the mean of a
    feature's attribution rank and strength rank (1 = best in each), so the best feature of
    both scores ``d``. (d,) float64. Ranks, not values, are averaged because the two metrics
    have unrelated scales."""
    return len(attr) + 1 - (_ranks(attr) + _ranks(strength)) / 2


def combined_order(attr, strength) -> np.ndarray:
    """Feature indices by decreasing :func:`combined_scores`, equal scores by attribution
    rank (the order ``bench/pooled_metrics.py`` scored in the study). (d,) int64."""
    rank_attr = _ranks(attr)
    return np.lexsort((rank_attr, rank_attr + _ranks(strength))).astype(np.int64)


def metric_scores(scores, metric) -> np.ndarray:
    """``scores[metric]``, or for "combined" :func:`combined_scores` of the two metrics."""
    if metric == "combined":
        return combined_scores(scores["attr"], scores["strength"])
    return scores[metric]


def metric_order(scores, metric) -> np.ndarray:
    """Feature indices, best first, by ``scores[metric]`` or by the combined order."""
    if metric == "combined":
        return combined_order(scores["attr"], scores["strength"])
    return rank_features(scores[metric])

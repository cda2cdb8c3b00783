"""Stability of a selection across repeated fits (seeds), and how repeats are combined.

The stability index is Nogueira, Sechidis and Brown's estimator (JMLR 18(174), 2018), with
their asymptotic variance and a normal confidence interval: 1 for identical selections, 0 for
what random selections of the same sizes give on average (it can go below 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class Stability:
    """Nogueira's stability estimate of ``n_repeats`` selections, with its (1 - alpha) CI."""

    estimate: float
    variance: float
    lower: float
    upper: float
    alpha: float
    n_repeats: int


def nogueira_stability(Z, alpha=0.05):
    """Stability of the selections in Z (n_repeats, n_features), boolean or 0/1.

    Raises ValueError for fewer than two selections, or when every selection is empty or full
    (the index is undefined there).
    """
    Z = np.asarray(Z, dtype=np.float64)
    M, d = Z.shape
    if M < 2:
        raise ValueError("The stability of a selection needs at least two repeats.")
    p = Z.mean(axis=0)
    k = Z.sum(axis=1)
    kbar = k.mean()
    denom = (kbar / d) * (1 - kbar / d)
    if denom <= 0:
        raise ValueError("Stability is undefined when every selection is empty or full.")
    estimate = 1 - (M / (M - 1)) * np.mean(p * (1 - p)) / denom
    phi = ((Z @ p) / d - k * kbar / d**2
           + (estimate / 2) * (2 * kbar * k / d**2 - k / d - kbar / d + 1)) / denom
    variance = float(4 / M**2 * np.sum((phi - phi.mean()) ** 2))
    half = norm.ppf(1 - alpha / 2) * np.sqrt(variance)
    return Stability(float(estimate), variance, float(estimate - half), float(estimate + half),
                     float(alpha), int(M))


def combine_scores(score_list):
    """Mean over repeats of each repeat's (d,) scores divided by their sum, so every repeat
    weighs the same whatever its scale; returns (d,) float64."""
    total = np.zeros_like(np.asarray(score_list[0], dtype=np.float64))
    for s in score_list:
        s = np.asarray(s, dtype=np.float64)
        total += s / s.sum() if s.sum() > 0 else s
    return total / len(score_list)


def selection_table(orders, k):
    """(frequency (d,): share of repeats with the feature in their top ``k``, mean rank (d,):
    1 = first) from each repeat's feature order (d,) of indices, best first."""
    orders = np.asarray(orders)
    M, d = orders.shape
    ranks = np.empty((M, d))
    chosen = np.zeros((M, d), dtype=bool)
    for r, order in enumerate(orders):
        ranks[r, order] = np.arange(1, d + 1)
        chosen[r, order[:k]] = True
    return chosen.mean(axis=0), ranks.mean(axis=0), chosen


def repeat_seeds(seed, n_repeats):
    """Seeds of ``n_repeats`` fits: the estimator's own first (so one repeat is exactly the
    single fit), then independent ones spawned from it (None stays None: fresh entropy)."""
    if seed is None:
        return [None] * n_repeats
    spawned = np.random.SeedSequence(seed).spawn(n_repeats - 1)
    return [seed, *(int(s.generate_state(1)[0]) for s in spawned)]


def run_fits(estimator, Xn, scaler, targets, seeds):
    """One fit per seed: in this process, or with ``n_jobs`` through joblib (processes).

    Worker processes get a copy of the estimator without its ``callback`` (a progress bar
    or a closure need not pickle, and its calls would not reach this process anyway).
    """
    if len(seeds) == 1 or estimator.n_jobs in (None, 1):
        return [estimator._fit_network(Xn, scaler, targets, s) for s in seeds]
    from joblib import Parallel, delayed

    worker = type(estimator)(**{**estimator.get_params(deep=False), "callback": None})
    worker.task_ = estimator.task_
    return Parallel(n_jobs=estimator.n_jobs)(
        delayed(worker._fit_network)(Xn, scaler, targets, s) for s in seeds)

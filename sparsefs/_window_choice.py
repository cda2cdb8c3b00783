"""Choosing the importance window per fit: ``importance="validated"``.

Each accumulation of the per-mini-batch importance ("sum_to_best", "best_epoch", ...) ranks the
features; the chosen one is the window whose top K features a cheap downstream model, trained
on the network's training rows, scores best on its validation rows (the rows that chose the
best epoch; never a test split). One rule for every data set; the choice itself is per fit.
"""

import numpy as np
import scipy.sparse as sp

from . import _config as C
from ._ranking import rank_features
from ._threading import thread_map


def best_window(scores, prefer):
    """The window of highest score in ``scores`` ({window: score} over
    ``IMPORTANCE_VARIANTS``); ties go to ``prefer``, then to the earlier variant."""
    return max(C.IMPORTANCE_VARIANTS, key=lambda w: (scores[w], w == prefer))


def choose_window(X, y, windows, train_rows, val_rows, k, estimator, prefer):
    """(chosen window name, {window: validation score}).

    Parameters
    ----------
    X : array or sparse matrix (n_samples, n_features), the selector's input
    y : (n_samples,) labels, or (n_samples,) / (n_samples, n_outputs) targets
    windows : dict of str to ndarray (n_features,)
        One metric's scores per window (``TrainResult.scores[metric]``).
    train_rows, val_rows : int index arrays
    k : int
        Features scored per window.
    estimator : estimator with ``fit``/``score``, cloned for every distinct top-k set
    prefer : str
        The window that wins ties (the fixed rule's).
    """
    from sklearn.base import clone

    if len(val_rows) == 0:
        raise ValueError("importance='validated' chooses the window on the validation rows; "
                         "set validation_fraction above 0, or name a window such as "
                         "importance='all_epochs'.")
    tops = {name: np.sort(rank_features(windows[name])[:k]) for name in C.IMPORTANCE_VARIANTS}
    # Only the columns some window picks are read (at most 5 K of them): X may be a memory
    # map, or far wider than any top k.
    union = np.unique(np.concatenate(list(tops.values())))
    X = X.tocsr() if sp.issparse(X) else X
    sub = X[:, union]
    X_tr, X_va = sub[train_rows], sub[val_rows]
    y = np.asarray(y)
    distinct = {}  # windows that agree on the top k are scored once
    for top in tops.values():
        distinct.setdefault(top.tobytes(), top)

    def fit_score(top):
        cols = np.searchsorted(union, top)
        model = clone(estimator).fit(X_tr[:, cols], y[train_rows])
        return float(model.score(X_va[:, cols], y[val_rows]))

    seen = dict(zip(distinct, thread_map(fit_score, list(distinct.values()))))
    scores = {name: seen[top.tobytes()] for name, top in tops.items()}
    return best_window(scores, prefer), scores


def fit_windows(importance, X, y, result, rows, k, estimator, metrics):
    """The window of each metric for one fit: ``({metric: window}, {metric: {window: score}})``.

    A metric whose ``importance`` resolves to "validated" (see ``_config.resolve_importance``)
    is chosen by :func:`choose_window` if it is in ``metrics`` (those the fit computed), and
    takes the fixed rule otherwise; scores hold the chosen metrics only. ``rows`` is the fit's
    (train rows, validation rows).
    """
    chosen, scores = {}, {}
    # "auto" without validation rows has nothing to choose on: the fixed rule, as before;
    # an explicit "validated" says so (choose_window raises).
    fixed_only = importance == "auto" and len(rows[1]) == 0
    for m in C.METRICS:
        chosen[m] = C.resolve_importance(importance, m)
        if chosen[m] != "validated":
            continue
        if m in metrics and not fixed_only:
            chosen[m], scores[m] = choose_window(X, y, result.scores[m], *rows, k, estimator,
                                                 prefer=C.FIXED_IMPORTANCE[m])
        else:
            chosen[m] = C.FIXED_IMPORTANCE[m]
    return chosen, scores

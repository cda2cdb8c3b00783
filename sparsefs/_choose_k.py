"""Choosing K: the smallest number of top-ranked features that a cheap downstream model,
trained on the network's training rows, scores within a tolerance of the best on its
validation rows (the same rows that chose the best epoch; never a test split).
"""

import numpy as np
import scipy.sparse as sp

#: Points of the geometric grid of K values (1 .. n_features) that are tried.
K_GRID_POINTS = 12


def k_grid(n_features, points=K_GRID_POINTS):
    """Sorted distinct K values, geometric from 1 to ``n_features``."""
    return sorted({int(round(v)) for v in np.geomspace(1, n_features, points)})


def default_k_estimator(task, sparse):
    """Scaled k-nearest neighbours: cheap for small K, and it sees non-linear signal (such as
    madelon's) that a linear model would miss."""
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = KNeighborsRegressor() if task == "regression" else KNeighborsClassifier()
    return make_pipeline(StandardScaler(with_mean=not sparse), model)


def choose_k(X, y, order, train_rows, val_rows, estimator, tol):
    """(chosen K, {K: validation score}) for the feature ``order`` (best first).

    ``estimator`` is cloned and fitted on ``X[train_rows][:, order[:K]]`` for every K of
    :func:`k_grid`; its ``score`` on the validation rows is the curve. The chosen K is the
    smallest whose score is at least the best minus ``tol``.
    """
    from sklearn.base import clone

    if len(val_rows) == 0:
        raise ValueError("n_features_to_select='auto' chooses K on the validation rows; set "
                         "validation_fraction above 0.")
    X = X.tocsr() if sp.issparse(X) else X
    X_tr, X_va = X[train_rows], X[val_rows]
    y = np.asarray(y)
    scores = {}
    for k in k_grid(X.shape[1]):
        cols = np.asarray(order[:k])
        model = clone(estimator).fit(X_tr[:, cols], y[train_rows])
        scores[k] = float(model.score(X_va[:, cols], y[val_rows]))
    best = max(scores.values())
    return min(k for k, s in scores.items() if s >= best - tol), scores

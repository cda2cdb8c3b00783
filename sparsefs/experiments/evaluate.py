"""Downstream evaluation of a feature subset, the paper's protocol: ``SVC()`` defaults, and
``SVR()`` defaults scored by R^2 for a regression target.

A training part of more than ``EVAL_TRAIN_ROWS`` rows is subsampled for the model's fit (see
:func:`evaluation_rows`); the rows it is scored on are never cut.
"""

import numpy as np

from .._config import EVAL_TRAIN_ROWS


def evaluation_rows(y, limit=None, stratify=True, seed=0):
    """The training rows a downstream model is fitted on: None (all of them) when there are at
    most ``limit``; else ``limit`` rows, sorted, the same for the same ``y`` every time.

    Parameters
    ----------
    y : (n,) labels, or (n,) / (n, n_outputs) targets when ``stratify`` is False
    limit : int, optional
        ``EVAL_TRAIN_ROWS`` by default.
    stratify : bool
        Draw each class's rows in proportion to its size (largest remainders, at least one
        row a class), so the fit sees the class balance of the whole part.
    seed : int
        Of the draw; the evaluation keeps 0, so every method and seed is scored by a model
        fitted on the same rows.

    Returns
    -------
    None, or ndarray of int64 (limit,).
    """
    n, limit = len(y), EVAL_TRAIN_ROWS if limit is None else int(limit)
    if n <= limit:
        return None
    rng = np.random.default_rng(seed)
    if not stratify:
        return np.sort(rng.choice(n, size=limit, replace=False))
    _, codes = np.unique(np.asarray(y), return_inverse=True)
    counts = np.bincount(codes)
    exact = counts * (limit / n)
    quota = np.maximum(np.floor(exact).astype(np.int64), 1)
    short = limit - int(quota.sum())
    if short > 0:  # the largest fractional parts take the rows rounding left over
        quota[np.argsort(-(exact - np.floor(exact)), kind="stable")[:short]] += 1
    while short < 0:  # rare classes raised to one row: the largest classes give them up
        quota[np.argmax(quota)] -= 1
        short += 1
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    rows = [rng.permutation(order[starts[c]:starts[c + 1]])[:quota[c]]
            for c in range(len(counts))]
    return np.sort(np.concatenate(rows))


def evaluated_rows(n_train):
    """What a record notes of the evaluation's fit: ``EVAL_TRAIN_ROWS`` when a training part
    of ``n_train`` rows is subsampled to it, else None (every row, the paper's protocol)."""
    return int(EVAL_TRAIN_ROWS) if n_train > EVAL_TRAIN_ROWS else None


def fit_rows(X, y, stratify=True):
    """``(X, y)`` cut to :func:`evaluation_rows` (unchanged when they are few enough)."""
    rows = evaluation_rows(y, stratify=stratify)
    if rows is None:
        return X, y
    return X[rows], np.asarray(y)[rows]


def evaluation_svc():
    """An unfitted ``SVC()`` that fits on :func:`evaluation_rows` of what it is given (the
    protocol's model, also as the validated window's chooser)."""
    from ._svc import EvaluationSVC

    return EvaluationSVC()


def svc_accuracy(X_train, y_train, X_test, y_test, features):
    """Test accuracy of ``sklearn.svm.SVC()`` trained on the columns ``features`` only (and
    on :func:`evaluation_rows` of the training part).

    Parameters
    ----------
    X_train : array or sparse matrix (n_train, d), already scaled
    y_train : (n_train,) labels
    X_test, y_test : the test part, same columns
    features : (k,) int indices of the selected columns

    Returns
    -------
    float in [0, 1].
    """
    features = np.asarray(features)
    clf = evaluation_svc().fit(X_train[:, features], y_train)
    return float(clf.score(X_test[:, features], y_test))


def svr_r2(X_train, y_train, X_test, y_test, features):
    """Test R^2 of ``sklearn.svm.SVR()`` on the columns ``features`` only, the regression
    counterpart of :func:`svc_accuracy`; y (n,) float, or (n, n_outputs) with one SVR per
    output and the mean R^2 (scikit-learn's "uniform_average").

    Returns
    -------
    float, at most 1 (0 is as good as predicting the mean; negative is worse).
    """
    from sklearn.metrics import r2_score
    from sklearn.multioutput import MultiOutputRegressor
    from sklearn.svm import SVR

    features = np.asarray(features)
    X_fit, y_fit = fit_rows(X_train, y_train, stratify=False)
    model = SVR() if np.ndim(y_train) == 1 else MultiOutputRegressor(SVR())
    model.fit(X_fit[:, features], y_fit)
    return float(r2_score(y_test, model.predict(X_test[:, features])))


def downstream_scorer(task):
    """The protocol's scorer of a feature subset for ``task``: SVC accuracy, or SVR R^2."""
    return svr_r2 if task == "regression" else svc_accuracy


def accuracy_sweep(X_train, y_train, X_test, y_test, ranking, ks):
    """SVC test accuracy of the top K features of ``ranking`` for each K in ``ks``.

    Parameters
    ----------
    X_train, X_test : arrays or CSR matrices (n_train, d), (n_test, d), already scaled
    y_train, y_test : (n_train,), (n_test,) labels
    ranking : (d,) feature indices, best first
    ks : iterable of int; values above d are skipped

    Returns
    -------
    dict {str(K): accuracy in [0, 1]} (string keys, as stored in JSON).
    """
    from .._threading import thread_map

    ranking = np.asarray(ranking)
    ks = [k for k in ks if k <= X_train.shape[1]]
    accs = thread_map(lambda k: svc_accuracy(X_train, y_train, X_test, y_test, ranking[:k]), ks)
    return {str(k): a for k, a in zip(ks, accs)}

"""Classical feature rankings to set beside the sparse networks, on the same split and scaling.

Each baseline turns the (already scaled) training part into a ranking of all features, best
first; the study evaluates its top K with the same ``SVC()`` as the networks. LassoNet and STG,
the paper's other baselines (Table 4), need PyTorch and are not included.
"""

import inspect
import warnings

import numpy as np
import scipy.sparse as sp

from .errors import InputError

#: Baseline names accepted by :func:`rank_baseline`, with the column label the report uses.
BASELINES = {"lasso": "Lasso", "mi": "MI", "extratrees": "ExtraTrees", "random": "Random"}


def rank_baseline(name, X_train, y_train, seed=0, n_jobs=None):
    """Rank every feature with a scikit-learn baseline.

    Parameters
    ----------
    name : {"lasso", "mi", "extratrees", "random"}
        "lasso": L1-penalised logistic regression (C=1), score max |coef| over classes;
        "mi": ``mutual_info_classif``; "extratrees": impurity importances of
        ``ExtraTreesClassifier(n_estimators=100)``; "random": a seeded permutation.
    X_train : array or CSR matrix of shape (n_samples, n_features), already scaled
    y_train : ndarray of shape (n_samples,), int labels
    seed : int
        Seeds every random choice, so a (name, seed) pair always gives the same ranking.
    n_jobs : int, optional
        Threads for ExtraTrees and mutual information (the others are single-threaded).

    Returns
    -------
    ndarray of int of shape (n_features,)
        A permutation of ``range(n_features)``, most important feature first; ties keep the
        lower index first so the ranking is deterministic.
    """
    if name not in BASELINES:
        raise InputError(f"Unknown baseline '{name}'; use one of {', '.join(BASELINES)}.")
    d = X_train.shape[1]
    if name == "random":
        return np.random.default_rng(seed).permutation(d)
    y_train = np.asarray(y_train)
    if name == "lasso":
        score = _l1_logistic_scores(X_train, y_train, seed)
    elif name == "mi":
        from sklearn.feature_selection import mutual_info_classif

        score = mutual_info_classif(X_train, y_train, random_state=seed, n_jobs=n_jobs)
    else:
        from sklearn.ensemble import ExtraTreesClassifier

        trees = ExtraTreesClassifier(n_estimators=100, random_state=seed, n_jobs=n_jobs)
        score = trees.fit(X_train, y_train).feature_importances_
    # NaN scores (e.g. a constant column in MI) must sort last, not first
    score = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    return np.argsort(-score, kind="stable")


def _l1_logistic_scores(X, y, seed):
    """(n_features,) max |coef| over classes of an L1 logistic regression with C=1.

    liblinear is exact and fast for L1 but binary only, so several classes are fitted one
    versus rest; scikit-learn >= 1.8 spells the L1 penalty ``l1_ratio=1`` (``penalty`` is
    deprecated there) and older versions ``penalty="l1"``.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    if inspect.signature(LogisticRegression).parameters["penalty"].default == "deprecated":
        penalty = {"l1_ratio": 1.0}
    else:
        penalty = {"penalty": "l1"}
    clf = LogisticRegression(C=1.0, solver="liblinear", max_iter=1000, random_state=seed,
                             **penalty)
    if len(np.unique(y)) > 2:
        clf = OneVsRestClassifier(clf)
    X = X.tocsr() if sp.issparse(X) else X
    with warnings.catch_warnings():
        # the ranking is all we need; an unconverged fit still orders the features usefully
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    coefs = (np.vstack([est.coef_ for est in clf.estimators_])
             if hasattr(clf, "estimators_") else clf.coef_)
    return np.abs(coefs).max(axis=0)

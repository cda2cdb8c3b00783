"""Classical feature rankings to set beside the sparse networks, on the same split and scaling.

Each baseline turns the (already scaled) training part into a ranking of all features, best
first; the study evaluates its top K with the same ``SVC()`` as the networks. LassoNet and STG,
the paper's other baselines (Table 4), need PyTorch and are not included.
"""

import inspect
import time
import warnings

import numpy as np
import scipy.sparse as sp

from .. import __version__
from .._config import BASELINES, LASSO_CV_CS, LASSO_CV_FOLDS
from ..errors import InputError
from ..nn.accounting import peak_rss_bytes
from .evaluate import accuracy_sweep, evaluated_rows, svc_accuracy
from .records import RunRecord

# liblinear's iteration cap for the L1 fit; an unconverged fit still orders the features
# usefully, so its ConvergenceWarning is silenced where the fit runs.
L1_MAX_ITER = 1000


def rank_baseline(name, X_train, y_train, seed=0, n_jobs=None):
    """Rank every feature with a scikit-learn baseline.

    Parameters
    ----------
    name : {"lasso", "lasso_cv", "mi", "extratrees", "extratrees500", "random"}
        "lasso": L1-penalised logistic regression (C=1), score max |coef| over classes;
        "lasso_cv": the same with C chosen from ``LASSO_CV_CS`` by stratified
        ``LASSO_CV_FOLDS``-fold cross-validated accuracy on the training part;
        "mi": ``mutual_info_classif``; "extratrees" / "extratrees500": impurity importances
        of ``ExtraTreesClassifier`` with 100 / 500 trees; "random": a seeded permutation.
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
    elif name == "lasso_cv":
        score = _l1_logistic_scores(X_train, y_train, seed, C=_cv_l1_strength(X_train, y_train,
                                                                              seed))
    elif name == "mi":
        from sklearn.feature_selection import mutual_info_classif

        score = mutual_info_classif(X_train, y_train, random_state=seed, n_jobs=n_jobs)
    else:
        from sklearn.ensemble import ExtraTreesClassifier

        trees = ExtraTreesClassifier(n_estimators=500 if name == "extratrees500" else 100,
                                     random_state=seed, n_jobs=n_jobs)
        score = trees.fit(X_train, y_train).feature_importances_
    # NaN scores (e.g. a constant column in MI) must sort last, not first
    score = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    return np.argsort(-score, kind="stable")


def _cv_l1_strength(X, y, seed):
    """The C of ``LASSO_CV_CS`` whose L1 logistic regression has the best mean accuracy over
    stratified folds of the training part (ties: the smaller C, the sparser model)."""
    from sklearn.model_selection import StratifiedKFold

    folds = min(LASSO_CV_FOLDS, int(np.bincount(y).min()))
    if folds < 2:
        return 1.0  # a class with one sample: no fold can hold it out
    split = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y))
    X = X.tocsr() if sp.issparse(X) else X
    from sklearn.exceptions import ConvergenceWarning

    best, best_c = -np.inf, LASSO_CV_CS[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in LASSO_CV_CS:
            acc = np.mean([_l1_logistic(c, seed, len(np.unique(y[tr]))).fit(X[tr], y[tr])
                           .score(X[va], y[va]) for tr, va in split])
            if acc > best:
                best, best_c = acc, c
    return best_c


def _l1_logistic(C, seed, n_classes):
    """An unfitted L1 logistic regression (liblinear; one versus rest for several classes)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    if inspect.signature(LogisticRegression).parameters["penalty"].default == "deprecated":
        penalty = {"l1_ratio": 1.0}
    else:
        penalty = {"penalty": "l1"}
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=L1_MAX_ITER, random_state=seed,
                             **penalty)
    return OneVsRestClassifier(clf) if n_classes > 2 else clf


def _l1_logistic_scores(X, y, seed, C=1.0):
    """(n_features,) max |coef| over classes of an L1 logistic regression with strength C.

    liblinear is exact and fast for L1 but binary only, so several classes are fitted one
    versus rest; scikit-learn >= 1.8 spells the L1 penalty ``l1_ratio=1`` (``penalty`` is
    deprecated there) and older versions ``penalty="l1"``.
    """
    from sklearn.exceptions import ConvergenceWarning

    clf = _l1_logistic(C, seed, len(np.unique(y)))
    X = X.tocsr() if sp.issparse(X) else X
    with warnings.catch_warnings():
        # the ranking is all we need; an unconverged fit still orders the features usefully
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    coefs = (np.vstack([est.coef_ for est in clf.estimators_])
             if hasattr(clf, "estimators_") else clf.coef_)
    return np.abs(coefs).max(axis=0)


def baseline_record(name, dataset, X_train, X_test, seed=0, k=None, k_sweep=(), n_jobs=None):
    """Rank with a baseline and evaluate it; a record laid out like ``run_job``'s.

    Parameters
    ----------
    name : a key of :data:`BASELINES`
    dataset : sparsefs.data.Dataset
        Its labels and name; ``X_train`` and ``X_test`` are its features already scaled.
    seed : int
    k : int, optional
        Features evaluated; the data set's K by default.
    k_sweep : iterable of int
        More K values to score, stored under "sweep".
    n_jobs : int, optional

    Returns
    -------
    RunRecord with kind "baseline", metric "score" and rankings, accuracy, sweep keyed by
    "score".
    """
    k = int(k or dataset.k)
    if k > dataset.n_features:
        raise InputError(f"K={k} exceeds the {dataset.n_features} features of {dataset.name}; "
                         "choose a smaller K.")
    t0 = time.perf_counter()
    ranking = rank_baseline(name, X_train, dataset.y_train, seed=seed, n_jobs=n_jobs)
    t_rank = time.perf_counter() - t0
    y_tr, y_te = dataset.y_train, dataset.y_test
    return RunRecord(
        sparsefs_version=__version__, kind="baseline", dataset=dataset.name, method=name,
        metric="score", k=k, seed=int(seed), n_train=int(X_train.shape[0]),
        n_test=int(X_test.shape[0]), n_features=int(dataset.n_features),
        n_classes=int(dataset.n_classes), eval_train_rows=evaluated_rows(X_train.shape[0]),
        ranking=ranking.tolist(),
        rankings={"score": ranking.tolist()},
        accuracy={"score": svc_accuracy(X_train, y_tr, X_test, y_te, ranking[:k])},
        sweep={"score": accuracy_sweep(X_train, y_tr, X_test, y_te, ranking, k_sweep)},
        memory={"peak_rss_bytes": peak_rss_bytes()},
        seconds={"train": t_rank, "total": time.perf_counter() - t0})

"""Downstream evaluation of a feature subset, the paper's protocol: ``SVC()`` defaults, and
``SVR()`` defaults scored by R^2 for a regression target."""

import numpy as np


def svc_accuracy(X_train, y_train, X_test, y_test, features):
    """Test accuracy of ``sklearn.svm.SVC()`` trained on the columns ``features`` only.

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
    from sklearn.svm import SVC

    features = np.asarray(features)
    clf = SVC().fit(X_train[:, features], y_train)
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
    model = SVR() if np.ndim(y_train) == 1 else MultiOutputRegressor(SVR())
    model.fit(X_train[:, features], y_train)
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

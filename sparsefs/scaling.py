"""Feature scaling fitted on the training part only (StandardScaler, or MinMax for MNIST)."""

import numpy as np
import scipy.sparse as sp


def fit_scale(X_train, X_test, kind="standard"):
    """Scale both parts with statistics of ``X_train``; returns float32 (train, test).

    ``kind`` is "standard" (zero mean, unit variance; sparse input is only divided by its
    standard deviation so it stays sparse), "minmax" (to [0, 1]) or "none". Constant columns are
    left unscaled rather than divided by zero.
    """
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    if kind == "none":
        return _f32(X_train), _f32(X_test)
    if kind == "minmax":
        scaler = MinMaxScaler() if not sp.issparse(X_train) else None
    else:
        scaler = StandardScaler(with_mean=not sp.issparse(X_train))
    if scaler is None:  # MinMax of sparse data: divide by the max magnitude, keeps zeros
        from sklearn.preprocessing import MaxAbsScaler
        scaler = MaxAbsScaler()
    scaler.fit(X_train)
    return _f32(scaler.transform(X_train)), _f32(scaler.transform(X_test))


def _f32(X):
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
        X.sort_indices()
        return X
    return np.ascontiguousarray(X, dtype=np.float32)

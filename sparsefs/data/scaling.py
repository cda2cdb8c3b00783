"""Feature scaling fitted on training rows only: one standardizer for the estimator and the
experiments, and the paper's per-data-set rule (standard, or min-max for MNIST-like images).

Statistics and arithmetic are float64 whatever the input, so float32 data is scaled as
accurately as float64 data; the result is cast once, to the dtype asked for. Dense data is
never copied to float64 as a whole: Numba kernels accumulate and scale it in place of numpy's
temporaries, with bit-identical results (``_kernels``), so scaling costs one output array.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _kernels


class Standardizer:
    """Zero mean and unit variance per column, from the statistics of the rows it was fit on.

    Sparse input is only divided by its columns' standard deviation, so it stays sparse.
    Constant columns are left unscaled rather than divided by zero.

    Attributes (after :meth:`fit`)
    ------------------------------
    mean_ : ndarray (d,) float64, or None for sparse input (not centred)
    scale_ : ndarray (d,) float64, the divisor of each column (1 for constant columns)
    """

    def fit(self, X) -> Standardizer:
        """Column statistics of X (n, d), dense or sparse; returns self."""
        if sp.issparse(X):
            sq = np.asarray(X.multiply(X).mean(axis=0)).ravel()
            mean = np.asarray(X.mean(axis=0)).ravel()
            std = np.sqrt(np.maximum(sq - mean**2, 0))
            self.mean_ = None
        else:
            X = _dense_float(X)
            self.mean_, std = np.empty(X.shape[1]), np.empty(X.shape[1])
            _kernels.column_mean_std(X, self.mean_, std)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X, dtype=np.float32):
        """Scaled X (n, d) as C-contiguous ``dtype`` (dense) or CSR with sorted indices."""
        if sp.issparse(X):
            X = sp.csr_matrix(X @ sp.diags(1.0 / self.scale_), dtype=dtype)
            X.sort_indices()
            return X
        X = _dense_float(X)
        out = np.empty(X.shape, dtype=dtype)
        _kernels.scale_rows(X, self.mean_, self.scale_, out)
        return out


def network_input(X, dtype, standardize):
    """(X as the network reads it, fitted Standardizer or None) for the selector's ``fit``.

    Dense X stays as given (float32 or float64, C-contiguous): standardizing is folded into
    the mini-batch gather, so it is never copied; without standardizing it is cast to
    ``dtype``. Sparse X becomes CSR of ``dtype`` with sorted indices (the kernels' layout).
    """
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=dtype)
        X.sort_indices()
    elif not standardize:
        X = np.ascontiguousarray(X, dtype=dtype)
    else:
        X = np.ascontiguousarray(X)
    return X, (Standardizer().fit(X) if standardize else None)


def _dense_float(X):
    """X as a C-contiguous float32 or float64 array, copied only when it is neither."""
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return np.ascontiguousarray(X)


def standardize(X, dtype=np.float32):
    """X (n, d) standardized with its own statistics; see :class:`Standardizer`."""
    return Standardizer().fit(X).transform(X, dtype)


def fit_scale(X_train, X_test, kind: str = "standard") -> tuple:
    """Scale both parts with statistics of ``X_train``; returns float32 (train, test).

    ``kind`` is "standard" (:class:`Standardizer`), "minmax" (to [0, 1]; sparse input is
    divided by its columns' largest magnitude instead, which keeps zeros) or "none".
    """
    if kind == "standard":
        scaler = Standardizer().fit(X_train)
        return scaler.transform(X_train), scaler.transform(X_test)
    if kind == "minmax":
        from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler

        scaler = (MaxAbsScaler() if sp.issparse(X_train) else MinMaxScaler()).fit(X_train)
        return _f32(scaler.transform(X_train)), _f32(scaler.transform(X_test))
    return _f32(X_train), _f32(X_test)


def _f32(X):
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
        X.sort_indices()
        return X
    return np.ascontiguousarray(X, dtype=np.float32)

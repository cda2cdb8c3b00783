"""svmlight/libsvm files (plain or ``.gz``) to a float32 CSR matrix, fast and lean.

The file is read in blocks (:class:`._stream.Blocks`, of :data:`.delimited.BLOCK_BYTES`);
Numba kernels (:mod:`._text_svm`) count each line's ``index:value`` pairs, then parse labels,
indices and values straight into CSR arrays that grow in place, in parallel over lines. The
result is exactly what ``sklearn.datasets.load_svmlight_file(path, dtype=float32)`` returns
(the same values, float64 labels, int64 indices, one-based indices shifted when no index 0
occurs, comments and ``qid:`` skipped); any line the kernels do not read exactly as
scikit-learn does sends the whole file to scikit-learn's reader, which reads it or raises
the error the reader reports.
"""

from __future__ import annotations

import numpy as np

from . import delimited
from ._stream import Blocks, line_bounds, open_bytes, stream_size


class _Fail(Exception):
    """A line that scikit-learn's reader must decide."""


class _Grow:
    """A 1-D array grown in place (``realloc``) past an estimate, cut to size at the end."""

    def __init__(self, dtype, capacity):
        self.a = np.empty(max(int(capacity), 1), dtype=dtype)
        self.n = 0

    def take(self, m):
        need = self.n + m
        if need > self.a.shape[0]:
            self.a.resize(max(need, self.a.shape[0] * 3 // 2 + 1024), refcheck=False)
        view = self.a[self.n:need]
        self.n = need
        return view

    def array(self):
        self.a.resize(self.n, refcheck=False)
        return self.a


def _block(buf, n, state):
    """Parse the lines of ``buf[:n]`` onto the CSR arrays in ``state``; _Fail for a line
    scikit-learn's reader must decide."""
    from . import _text_svm

    if buf.find(b"\0", 0, n) >= 0:
        raise _Fail
    arr, starts, ends = line_bounds(buf, n, quoted=False)
    counts = np.empty(len(ends), dtype=np.int64)
    _text_svm.svm_count(arr, starts, ends, counts)
    keep = counts >= 0
    m = int(keep.sum())
    if m == 0:
        return
    rows = np.cumsum(keep) - 1
    rows[~keep] = -1
    per_row = counts[keep]
    total = int(per_row.sum())
    if state.get("data") is None:  # size the arrays from the first block's density
        est = int(total * stream_size(state["path"]) / max(n, 1) * 1.2) + 1024
        state["data"] = _Grow(np.float32, est)
        state["indices"] = _Grow(np.int64, est)
    offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    labels = np.empty(m, dtype=np.float64)
    status = np.zeros(m, dtype=np.uint8)
    data, indices = state["data"].take(total), state["indices"].take(total)
    _text_svm.svm_fill(arr, starts, ends, rows, offsets, labels, indices, data, status)
    if status.max() != _text_svm.OK:
        raise _Fail
    state["labels"].append(labels)
    state["row_nnz"].append(per_row)


def read_svmlight_fast(path):
    """(X float32 CSR (n, d), y float64 (n,)) as scikit-learn's ``load_svmlight_file`` gives
    them, or None when a line needs scikit-learn's reader."""
    import scipy.sparse as sp

    state = {"path": path, "labels": [], "row_nnz": [], "data": None}
    try:
        with open_bytes(path) as fh:
            for buf, n in Blocks(fh, path, b"", delimited.BLOCK_BYTES, quotes=False):
                _block(buf, n, state)
    except _Fail:
        return None
    if state["data"] is None:
        return None  # no rows: scikit-learn's reader says what it makes of the file
    data, indices = state["data"].array(), state["indices"].array()
    row_nnz = np.concatenate(state["row_nnz"])
    indptr = np.zeros(len(row_nnz) + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=indptr[1:])
    if len(indices) and indices.min() > 0:  # one-based, as scikit-learn's "auto" decides
        indices -= 1
    n_features = int(indices.max()) + 1 if len(indices) else 1
    X = sp.csr_array((data, indices, indptr), shape=(len(row_nnz), n_features))
    return sp.csr_matrix(X), np.concatenate(state["labels"])

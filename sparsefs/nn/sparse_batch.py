"""``SparseBatch``: a mini-batch of a CSR X as the first layer's input, kept sparse.

The dense input block of a mini-batch is ``(d, batch)``: at a million hashed terms and 100
samples that is 400 MB to zero and fill per step for data that is ~1% stored. A sparse batch
holds only the stored values, feature-major (see :mod:`sparsefs.nn.kernels.sparse_input`), and
a :class:`~sparsefs.nn.sparse_layer.SparseLayer` computes its forward product and fused
backward step from it directly. Its arrays are reused from batch to batch.
"""

import numpy as np

from .kernels import sparse_input


class SparseBatch:
    """Rows of a CSR X, transposed: logical shape ``(d, batch)``, only stored values kept.

    Attributes
    ----------
    indptr : ndarray of int64, shape (d + 1,)
    samples : ndarray of int32, shape (capacity,)
        Batch position of each stored value; the first ``nnz`` are used.
    values : ndarray, shape (capacity,)
    shape : (d, batch)
    """

    def __init__(self, d, dtype):
        self.d, self.dtype = int(d), np.dtype(dtype)
        self.indptr = np.zeros(self.d + 1, dtype=np.int64)
        self.samples = np.empty(0, dtype=np.int32)
        self.values = np.empty(0, dtype=self.dtype)
        self.shape, self.nnz = (self.d, 0), 0

    @property
    def itemsize(self):
        return self.dtype.itemsize

    def fill(self, X, rows, inv_scale=None):
        """Hold the rows ``rows`` (int64) of the CSR ``X``, values times ``inv_scale`` (d,)
        per feature when given. Returns self."""
        nnz = int((X.indptr[rows + 1] - X.indptr[rows]).sum())
        if nnz > len(self.values):
            self.samples = np.empty(nnz, dtype=np.int32)
            self.values = np.empty(nnz, dtype=self.dtype)
        scaled = inv_scale is not None
        scale = inv_scale if scaled else np.ones(1)
        self.nnz = sparse_input.feature_major_batch(X.indptr, X.indices, X.data, rows, scale,
                                                    scaled, self.d, self.indptr, self.samples,
                                                    self.values, bool(X.has_sorted_indices))
        self.shape = (self.d, len(rows))
        return self

    def __getitem__(self, rows):
        """A dense block of consecutive rows, ``batch[r0:r1]`` -> (r1 - r0, batch): what a
        RigL regrowth reads a block at a time."""
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("a SparseBatch gives dense blocks of consecutive rows only")
        r0, r1, _ = rows.indices(self.d)
        out = np.empty((max(0, r1 - r0), self.shape[1]), dtype=self.dtype)
        sparse_input.densify_rows(self.indptr, self.samples, self.values, r0, max(r0, r1), out)
        return out

    def toarray(self):
        """The whole batch as a dense (d, batch) array (for tests and small inputs)."""
        return self[0:self.d]

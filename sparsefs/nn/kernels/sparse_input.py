"""The first layer on sparse input: a mini-batch of a CSR X kept sparse, feature-major.

A mini-batch of ``batch`` rows of a CSR X (n, d) becomes its transpose as CSR by feature:
``b_indptr`` (d + 1,), ``b_samples`` (nnz,) the sample of each stored value, ``b_values`` (nnz,).
The forward product and the fused backward step then touch only stored inputs: per stored
value, the degree of its input in the layer, instead of ``batch`` multiply-adds for every
stored weight. The optimizer still updates every stored weight each step (Adam and coupled L2
move weights whose gradient is zero), as the dense-input kernel does.

Layer arrays as in :mod:`sparsefs.nn.kernels.products`.
"""

import numpy as np
from numba import njit, prange

from . import FASTMATH as _FAST

#: Features per block of the sorted-row transposition: the block's counters (128 KiB of
#: int64) and its stretch of the output stay in L2 while every row of the batch visits them.
FEATURE_BLOCK = 16384


@njit(cache=True)
def feature_major_batch(indptr, indices, data, rows, inv_scale, scaled, d, b_indptr, b_samples,
                        b_values, sorted_rows):
    """Fill ``b_indptr``, ``b_samples``, ``b_values`` with the rows ``rows`` of a CSR X,
    transposed (a counting sort by feature); values times ``inv_scale`` of their feature in
    float64 when ``scaled``. Returns the number of stored values. Within a feature, samples
    come in increasing batch position.

    With ``sorted_rows`` (every row's column indices increasing, as the engine's CSR inputs
    are) the features are taken ``FEATURE_BLOCK`` at a time, each row resuming where it left
    off: the counts and writes of a block land in L2 instead of all over a (d + 1,) array
    (1,000,000 features, 64 rows of 10,000 values: 31 -> 8 ms). Otherwise in one pass over
    all features, which needs no order.
    """
    if sorted_rows:
        return _feature_major_blocked(indptr, indices, data, rows, inv_scale, scaled, d,
                                      b_indptr, b_samples, b_values)
    b_indptr[:] = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        for p in range(indptr[r], indptr[r + 1]):
            b_indptr[indices[p] + 1] += 1
    for i in range(d):
        b_indptr[i + 1] += b_indptr[i]
    # b_indptr[i] is now where feature i starts; used as its cursor it ends where feature i
    # ends, and one shift by a place restores the starts: no (d,) cursor array to allocate
    # and fill each batch, and the scattered writes touch one (d,) array instead of two.
    for k in range(rows.shape[0]):
        r = rows[k]
        for p in range(indptr[r], indptr[r + 1]):
            i = indices[p]
            q = b_indptr[i]
            b_indptr[i] = q + 1
            b_samples[q] = k
            b_values[q] = np.float64(data[p]) * inv_scale[i] if scaled else data[p]
    for i in range(d, 0, -1):
        b_indptr[i] = b_indptr[i - 1]
    b_indptr[0] = 0
    return b_indptr[d]


@njit(cache=True)
def _feature_major_blocked(indptr, indices, data, rows, inv_scale, scaled, d, b_indptr,
                           b_samples, b_values):
    """:func:`feature_major_batch` for rows with increasing column indices, block by block
    of features (the same arrays, the same order)."""
    n = rows.shape[0]
    cursor = np.empty(n, dtype=np.int64)
    for k in range(n):
        cursor[k] = indptr[rows[k]]
    b_indptr[0] = 0
    for f0 in range(0, d, FEATURE_BLOCK):
        f1 = min(f0 + FEATURE_BLOCK, d)
        start = b_indptr[f0]
        b_indptr[f0 + 1:f1 + 1] = 0
        for k in range(n):
            p, end = cursor[k], indptr[rows[k] + 1]
            while p < end and indices[p] < f1:
                b_indptr[indices[p] + 1] += 1
                p += 1
        for i in range(f0, f1):
            b_indptr[i + 1] += b_indptr[i]
        # As in the one-pass form: b_indptr[i] serves as feature i's cursor, then one shift
        # within the block restores the starts (b_indptr[f1], the block's end, is untouched).
        for k in range(n):
            p, end = cursor[k], indptr[rows[k] + 1]
            while p < end and indices[p] < f1:
                i = indices[p]
                q = b_indptr[i]
                b_indptr[i] = q + 1
                b_samples[q] = k
                b_values[q] = np.float64(data[p]) * inv_scale[i] if scaled else data[p]
                p += 1
            cursor[k] = p
        for i in range(f1 - 1, f0, -1):
            b_indptr[i] = b_indptr[i - 1]
        b_indptr[f0] = start
    return b_indptr[d]


@njit(parallel=True, fastmath=_FAST, cache=True)
def forward_sparse_input(indptr, indices, data, bias, b_indptr, b_samples, b_values, chunks,
                         partial, out, relu):
    """``out = W^T XT + bias`` for a feature-major sparse batch: out (n_out, batch).

    Each of the ``len(chunks) - 1`` tasks scatters its inputs' stored values into its own
    slice of ``partial`` (tasks, batch, n_out), sample-major so that one stored value's
    weights (sorted outputs) land in one contiguous row; the slices are then summed, with the
    bias, into the feature-major ``out`` (then ``max(., 0)`` when ``relu``).
    """
    n_out, batch = out.shape
    for c in prange(chunks.shape[0] - 1):
        acc = partial[c]
        acc[:] = 0
        for i in range(chunks[c], chunks[c + 1]):
            p0, p1 = indptr[i], indptr[i + 1]
            if p0 == p1:
                continue
            for q in range(b_indptr[i], b_indptr[i + 1]):
                row = acc[b_samples[q]]
                x = b_values[q]
                for p in range(p0, p1):
                    row[indices[p]] += data[p] * x
    for j in prange(n_out):
        for b in range(batch):
            s = bias[j]
            for c in range(chunks.shape[0] - 1):
                s += partial[c, b, j]
            out[j, b] = max(s, 0) if relu else s


@njit(parallel=True, fastmath=_FAST, cache=True)
def backward_grads_sparse_input(indptr, indices, b_indptr, b_samples, b_values, GT, chunks,
                                grad):
    """The weight gradients of a first layer on a sparse batch: for every stored ``(i, j)``,
    ``grad[p] = sum_q values[q] * GT[j, samples[q]]`` over input ``i``'s stored values (0 for
    an input the batch does not hold). ``grad`` (nnz,) in the canonical order, no L2 term;
    the optimizer step over the flat arrays follows
    (:func:`sparsefs.nn.kernels.fused.dense_optimizer_step`: Adam and coupled L2 move every
    stored weight, also those whose gradient is zero). No input gradient: a first layer
    needs none.
    """
    for c in prange(chunks.shape[0] - 1):
        for i in range(chunks[c], chunks[c + 1]):
            q0, q1 = b_indptr[i], b_indptr[i + 1]
            p0, p1 = indptr[i], indptr[i + 1]
            if q0 == q1:
                grad[p0:p1] = 0
                continue
            for p in range(p0, p1):
                g_row = GT[indices[p]]
                g = g_row[0] - g_row[0]
                for q in range(q0, q1):
                    g += b_values[q] * g_row[b_samples[q]]
                grad[p] = g


@njit(parallel=True, cache=True)
def densify_rows(b_indptr, b_samples, b_values, r0, r1, out):
    """Rows ``r0:r1`` of the batch as a dense block ``out`` (r1 - r0, batch), overwritten."""
    for i in prange(r0, r1):
        row = out[i - r0]
        row[:] = 0
        for q in range(b_indptr[i], b_indptr[i + 1]):
            row[b_samples[q]] = b_values[q]

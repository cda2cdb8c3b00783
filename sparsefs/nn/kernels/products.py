"""Products of a sparse layer with feature-major activations, over raw CSR arrays.

A layer maps ``n_in`` inputs to ``n_out`` outputs with weights ``W`` of logical shape
``(n_in, n_out)``, stored once as CSR *by input*: ``indptr`` (n_in + 1,), ``indices`` (nnz,)
output ids, ``data`` (nnz,) weights. A mirror *by output* within blocks of input rows
(``block_ptr`` (n_blocks, n_out + 1), ``idx_in`` (nnz,), ``perm`` (nnz,) positions in the
canonical order) serves the gathered forward pass.

Activations are feature-major: ``XT`` is ``(n_in, batch)`` and C-contiguous, so the batch is the
innermost, SIMD-friendly loop. Gradients at the outputs, ``GT``, are ``(n_out, batch)`` and
already include the 1/batch factor of a mean loss.

Parallel loops over input rows take ``chunks``: row boundaries that split the non-zeros into
pieces of about equal size, because dynamic sparse training makes input degrees very uneven.
"""

import numpy as np
from numba import njit, prange

from . import FASTMATH as _FAST
from . import simd

# Features per task of the batch gathers: eight rows' stretch of the block (8 KiB at
# float32) stays in L1 while the block's output rows are written; 64, 128 and 256 measured
# alike at 3,072 wide, 256 best at 20,000.
_GATHER_BLOCK = 256


@njit(inline="always", cache=True)
def _gather_into(acc, p, end, idx_in, perm, data, XT, row0):
    """``acc += sum_p data[perm[p]] * XT[row0 + idx_in[p]]`` over mirror entries ``p .. end``
    of the block starting at input row ``row0``.

    Four stored weights per pass over the batch, as in :func:`_row_input_grad`: the loads and
    stores of ``acc`` and the loop's setup are paid once per four (1.3x at 500 x 1,000,
    density 0.2, batch 100)."""
    n = acc.shape[0]
    while p + 4 <= end:
        w0, w1, w2, w3 = data[perm[p]], data[perm[p + 1]], data[perm[p + 2]], data[perm[p + 3]]
        x0, x1 = XT[row0 + idx_in[p]], XT[row0 + idx_in[p + 1]]
        x2, x3 = XT[row0 + idx_in[p + 2]], XT[row0 + idx_in[p + 3]]
        for b in range(n):
            acc[b] += w0 * x0[b] + w1 * x1[b] + w2 * x2[b] + w3 * x3[b]
        p += 4
    while p < end:
        w = data[perm[p]]
        x = XT[row0 + idx_in[p]]
        for b in range(n):
            acc[b] += w * x[b]
        p += 1


@njit(parallel=True, fastmath=_FAST, cache=True)
def spmm_forward(block_ptr, block_rows, idx_in, perm, data, bias, XT, n_tasks, out, relu):
    """``out[j, :] = bias[j] + sum_i W[i, j] * XT[i, :]`` for every output ``j``, then
    ``max(., 0)`` when ``relu`` (the hidden layers' activation, fused: no second pass).

    Gathers rows of ``XT`` through the blocked by-output mirror (:func:`build_mirror`): each of
    ``n_tasks`` tasks owns a range of outputs (race-free) and walks the input blocks in order,
    so one block of XT rows is read from cache by every output row of the task while each
    output row stays in cache across blocks. ``XT`` is (n_in, batch); ``out`` is (n_out,
    batch), overwritten.
    """
    n_out, batch = out.shape
    n_panels = simd.panels(batch, simd.lanes_of(out))
    for t in prange(n_tasks):
        j0, j1 = t * n_out // n_tasks, (t + 1) * n_out // n_tasks
        for j in range(j0, j1):
            out[j, :] = bias[j]
        for k in range(block_ptr.shape[0]):
            ptr = block_ptr[k]
            row0 = k * block_rows
            for j in range(j0, j1):
                if n_panels == 0:
                    _gather_into(out[j], ptr[j], ptr[j + 1], idx_in, perm, data, XT, row0)
                    continue
                for c in range(n_panels):
                    b0, nb = simd.panel_bounds(batch, n_panels, c)
                    simd.axpy_rows(out[j], b0, nb, XT, row0, idx_in, perm, data, ptr[j],
                                   ptr[j + 1])
        if relu:
            for j in range(j0, j1):
                for b in range(batch):
                    out[j, b] = max(out[j, b], 0)


@njit(parallel=True, fastmath=_FAST, cache=True)
def sddmm(indptr, indices, XT, GT, chunks, out):
    """Gradient at stored positions only: ``out[p] = dot(XT[i], GT[indices[p]])``.

    ``out`` is (nnz,), in the canonical order; no L2 term.
    """
    batch = XT.shape[1]
    n_panels = simd.panels(batch, simd.lanes_of(XT))
    for c in prange(chunks.shape[0] - 1):
        for i in range(chunks[c], chunks[c + 1]):
            x = XT[i]
            if n_panels > 0:
                dots = out[indptr[i]:indptr[i + 1]]
                for k in range(n_panels):
                    b0, nb = simd.panel_bounds(batch, n_panels, k)
                    # x stands in for the unused input-gradient row (need_dx is False).
                    simd.dot_axpy_rows(x, x, False, b0, nb, GT, indices, out, indptr[i],
                                       indptr[i + 1], dots, k > 0)
                continue
            for p in range(indptr[i], indptr[i + 1]):
                g_row = GT[indices[p]]
                g = x[0] - x[0]
                for b in range(batch):
                    g += x[b] * g_row[b]
                out[p] = g


@njit(inline="always", cache=True)
def _row_input_grad(indptr, indices, data, GT, i, acc):
    """``acc[:] = sum_j W[i, j] * GT[j, :]`` for one input row ``i`` (inlined into the
    caller, so it is compiled with the caller's fastmath flags).

    Four stored weights per pass over the batch: the loop's setup and its remainder, and the
    loads and stores of ``acc``, are paid once per four weights (25% faster at 20,000 x 1,000,
    density 0.2, batch 100)."""
    acc[:] = 0
    p, end = indptr[i], indptr[i + 1]
    n = acc.shape[0]
    n_panels = simd.panels(n, simd.lanes_of(acc))
    if n_panels > 0:
        for c in range(n_panels):
            b0, nb = simd.panel_bounds(n, n_panels, c)
            simd.axpy_rows(acc, b0, nb, GT, 0, indices, None, data, p, end)
        return
    while p + 4 <= end:
        w0, w1, w2, w3 = data[p], data[p + 1], data[p + 2], data[p + 3]
        g0, g1 = GT[indices[p]], GT[indices[p + 1]]
        g2, g3 = GT[indices[p + 2]], GT[indices[p + 3]]
        for b in range(n):
            acc[b] += w0 * g0[b] + w1 * g1[b] + w2 * g2[b] + w3 * g3[b]
        p += 4
    while p < end:
        w = data[p]
        g_row = GT[indices[p]]
        for b in range(n):
            acc[b] += w * g_row[b]
        p += 1


@njit(parallel=True, fastmath=_FAST, cache=True)
def backward_data(indptr, indices, data, GT, chunks, dXT):
    """Input gradient ``dXT[i, :] = sum_j W[i, j] * GT[j, :]``; dXT (n_in, batch) overwritten."""
    batch = GT.shape[1]
    for c in prange(chunks.shape[0] - 1):
        acc = np.empty(batch, dtype=dXT.dtype)
        for i in range(chunks[c], chunks[c + 1]):
            _row_input_grad(indptr, indices, data, GT, i, acc)
            dXT[i, :] = acc


@njit(parallel=True, cache=True)
def relu_backward(A, G):
    """``G[:, c * batch + b] *= (A[:, b] > 0)`` in place for every block ``c``: the ReLU
    derivative, from the post-activation ``A`` (n, batch), of one gradient (G (n, batch)) or
    of several cotangents side by side (G (n, k * batch)) without tiling A."""
    n, batch = A.shape
    k = G.shape[1] // batch
    for i in prange(n):
        for b in range(batch):
            if A[i, b] <= 0:
                for c in range(k):
                    G[i, c * batch + b] = 0


@njit(parallel=True, cache=True)
def gather_rows_t(X, rows, cols, out):
    """``out[cols, k] = X[rows[k], cols]``: a mini-batch of a dense (n, d) X, feature-major
    (d, batch), of the features ``cols`` (sorted int64; all of them, or the inputs not pruned).
    Other rows of ``out`` are not touched, and pruned inputs are not read at all.

    Eight samples at a time: each output row of the task's block gets eight contiguous
    values per visit from eight rows of X read along their length, where a value per sample
    per visit made every store and load a separate access (3,072 wide, batch 100: 0.45 ->
    0.10 ms; 20,000 wide, where the 8 MB batch is a memory stream, the same 1.4 ms)."""
    m, nb = cols.shape[0], rows.shape[0]
    for blk in prange((m + _GATHER_BLOCK - 1) // _GATHER_BLOCK):
        c0, c1 = blk * _GATHER_BLOCK, min(m, (blk + 1) * _GATHER_BLOCK)
        k = 0
        while k + 8 <= nb:
            r0, r1, r2, r3 = X[rows[k]], X[rows[k + 1]], X[rows[k + 2]], X[rows[k + 3]]
            r4, r5, r6, r7 = X[rows[k + 4]], X[rows[k + 5]], X[rows[k + 6]], X[rows[k + 7]]
            for c in range(c0, c1):
                i = cols[c]
                o = out[i]
                o[k], o[k + 1], o[k + 2], o[k + 3] = r0[i], r1[i], r2[i], r3[i]
                o[k + 4], o[k + 5], o[k + 6], o[k + 7] = r4[i], r5[i], r6[i], r7[i]
            k += 8
        for kk in range(k, nb):
            xr = X[rows[kk]]
            for c in range(c0, c1):
                out[cols[c], kk] = xr[cols[c]]


@njit(parallel=True, cache=True)
def gather_rows_t_scaled(X, rows, cols, mean, inv_scale, out):
    """``out[cols, k] = (X[rows[k], cols] - mean[cols]) * inv_scale[cols]``, computed in
    float64 and stored in out's dtype: a standardized mini-batch straight from the raw (n, d)
    X, no copy of X, eight samples at a time as :func:`gather_rows_t` (20,000 wide, batch
    100: 2.3 -> 1.5 ms; 500 wide, batch 64: 0.034 -> 0.023 ms).

    The float64 reciprocal of the scale replaces a division (which cost a third of the
    gather): the float64 value is within one ulp of the quotient, so after rounding to float32
    it is the standardized copy's value but for a one-ulp difference in rare ties. No fastmath:
    the same rounding on every thread count.
    """
    m, nb = cols.shape[0], rows.shape[0]
    for blk in prange((m + _GATHER_BLOCK - 1) // _GATHER_BLOCK):
        c0, c1 = blk * _GATHER_BLOCK, min(m, (blk + 1) * _GATHER_BLOCK)
        k = 0
        while k + 8 <= nb:
            r0, r1, r2, r3 = X[rows[k]], X[rows[k + 1]], X[rows[k + 2]], X[rows[k + 3]]
            r4, r5, r6, r7 = X[rows[k + 4]], X[rows[k + 5]], X[rows[k + 6]], X[rows[k + 7]]
            for c in range(c0, c1):
                i = cols[c]
                mu, s = mean[i], inv_scale[i]
                o = out[i]
                o[k] = (np.float64(r0[i]) - mu) * s
                o[k + 1] = (np.float64(r1[i]) - mu) * s
                o[k + 2] = (np.float64(r2[i]) - mu) * s
                o[k + 3] = (np.float64(r3[i]) - mu) * s
                o[k + 4] = (np.float64(r4[i]) - mu) * s
                o[k + 5] = (np.float64(r5[i]) - mu) * s
                o[k + 6] = (np.float64(r6[i]) - mu) * s
                o[k + 7] = (np.float64(r7[i]) - mu) * s
            k += 8
        for kk in range(k, nb):
            xr = X[rows[kk]]
            for c in range(c0, c1):
                i = cols[c]
                out[i, kk] = (np.float64(xr[i]) - mean[i]) * inv_scale[i]


@njit(cache=True)
def gather_csr_rows_t_scaled(indptr, indices, data, rows, inv_scale, out):
    """:func:`gather_csr_rows_t` with each stored value multiplied by ``inv_scale`` of its
    column in float64 (sparse data is scaled, never centred, so zeros stay zeros)."""
    out[:] = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        for p in range(indptr[r], indptr[r + 1]):
            j = indices[p]
            out[j, k] = np.float64(data[p]) * inv_scale[j]


@njit(cache=True)
def gather_csr_rows_t(indptr, indices, data, rows, out):
    """The same for a CSR X given by its arrays, without a dense (batch, d) intermediate."""
    out[:] = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        for p in range(indptr[r], indptr[r + 1]):
            out[indices[p], k] = data[p]


@njit(cache=True)
def _abs_sum(acc):
    """``sum_b |acc[b]|`` in float64, in a fixed order: eight running sums (entries b, b + 8,
    ...) combined pairwise. Eight chains instead of one add per entry in sequence: the sum is
    no longer latency-bound (4x faster on a 1,000-wide row). Compiled without fastmath, so
    :func:`add_abs_row_sums` and every caller round alike."""
    n = acc.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    b = 0
    while b + 8 <= n:
        s0 += abs(acc[b])
        s1 += abs(acc[b + 1])
        s2 += abs(acc[b + 2])
        s3 += abs(acc[b + 3])
        s4 += abs(acc[b + 4])
        s5 += abs(acc[b + 5])
        s6 += abs(acc[b + 6])
        s7 += abs(acc[b + 7])
        b += 8
    while b < n:
        s0 += abs(acc[b])
        b += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@njit(parallel=True, fastmath=_FAST, cache=True)
def input_grad_abs_sum(indptr, indices, data, GT, chunks, scale, out):
    """``out[i] += scale * sum_b |sum_j W[i, j] GT[j, b]|`` for every input ``i``.

    :func:`backward_data` followed by :func:`add_abs_row_sums`, fused: each input row's
    gradient (batch,) lives in a per-task buffer and is reduced at once, so the (n_in, batch)
    input gradient is never stored. GT is (n_out, batch); out (n_in,) float64.
    """
    batch = GT.shape[1]
    for c in prange(chunks.shape[0] - 1):
        acc = np.empty(batch, dtype=GT.dtype)
        for i in range(chunks[c], chunks[c + 1]):
            _row_input_grad(indptr, indices, data, GT, i, acc)
            out[i] += scale * _abs_sum(acc)


@njit(parallel=True, cache=True)
def add_abs_row_sums(G, scale, out):
    """``out[i] += scale * sum_b |G[i, b]|`` without a temporary the size of ``G`` (summed
    in :func:`_abs_sum`'s order)."""
    for i in prange(G.shape[0]):
        out[i] += scale * _abs_sum(G[i])


@njit(parallel=True, cache=True)
def row_abs_sum(indptr, data, out):
    """``out[i] += sum_j |W[i, j]|``: neuron strength of every input, accumulated into ``out``
    (float64), in :func:`_abs_sum`'s fixed order: one add chain per row was latency-bound
    (3.8 ms a mini-batch at 20,000 x 1,000, density 0.2)."""
    for i in prange(indptr.shape[0] - 1):
        out[i] += _abs_sum(data[indptr[i]:indptr[i + 1]])

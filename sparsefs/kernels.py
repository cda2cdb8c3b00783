"""Numba kernels over raw CSR arrays: the whole numerical core of a sparse layer.

Conventions
-----------
A layer maps ``n_in`` inputs to ``n_out`` outputs with weights ``W`` of logical shape
``(n_in, n_out)``. It is stored once, as CSR *by input*: ``indptr`` (n_in + 1,), ``indices``
(nnz,) output ids, ``data`` (nnz,) weights; optimizer state arrays share that order. A mirror
*by output* (``indptr_out`` (n_out + 1,), ``idx_in`` (nnz,), ``perm`` (nnz,) positions in the
canonical order) serves the forward pass and is rebuilt only when the topology changes.

Activations are feature-major: ``XT`` is ``(n_in, batch)`` and C-contiguous, so the batch is the
innermost, SIMD-friendly loop. Gradients with respect to outputs, ``GT``, are ``(n_out, batch)``
and already include the 1/batch factor of a mean loss.

Parallel loops over input rows use ``chunks``: row boundaries that split the non-zeros into
pieces of about equal size, because dynamic sparse training makes input degrees very uneven.
"""

import numpy as np
from numba import njit, prange

# Reductions may be reordered and fused (3-4x faster); NaN/inf semantics stay intact.
_FAST = {"reassoc", "contract"}

ADAM = 0
SGD = 1


@njit(inline="always", cache=True)
def _update(w, m, v, p, wp, g, opt, lr, beta1, beta2, eps, bc1, bc2):
    """One weight's optimizer step: ``w[p]`` (currently ``wp``) with gradient ``g`` (L2 included).

    Adam in PyTorch's form with bias corrections ``bc1``, ``bc2``; or SGD with momentum
    ``beta1`` kept in ``m`` (``v`` unused).
    """
    if opt == ADAM:
        mp = beta1 * m[p] + (1.0 - beta1) * g
        vp = beta2 * v[p] + (1.0 - beta2) * g * g
        m[p] = mp
        v[p] = vp
        w[p] = wp - lr * (mp / bc1) / (np.sqrt(vp / bc2) + eps)
    else:
        mp = beta1 * m[p] + g
        m[p] = mp
        w[p] = wp - lr * mp


@njit(parallel=True, fastmath=_FAST, cache=True)
def spmm_forward(indptr_out, idx_in, perm, data, bias, XT, out):
    """``out[j, :] = bias[j] + sum_i W[i, j] * XT[i, :]`` for every output ``j``.

    Gathers rows of ``XT`` through the by-output mirror; one output row per task, race-free.
    ``XT`` is (n_in, batch); ``out`` is (n_out, batch), overwritten.
    """
    n_out, batch = out.shape
    for j in prange(n_out):
        acc = np.empty(batch, dtype=out.dtype)
        acc[:] = bias[j]
        for p in range(indptr_out[j], indptr_out[j + 1]):
            w = data[perm[p]]
            row = XT[idx_in[p]]
            for b in range(batch):
                acc[b] += w * row[b]
        out[j, :] = acc


@njit(parallel=True, fastmath=_FAST, cache=True)
def backward_step(indptr, indices, data, m, v, XT, GT, dXT, need_dx, chunks,
                  opt, lr, l2, beta1, beta2, eps, bc1, bc2):
    """One fused backward pass and optimizer step over the stored weights.

    For every stored ``(i, j)``: the gradient ``dot(XT[i], GT[j]) + l2 * W[i, j]`` (sampled
    dense-dense product plus coupled L2), ``dXT[i] += W[i, j] * GT[j]`` with the weight before
    the step, then the update of ``data``, ``m``, ``v`` in place. No gradient array of size nnz
    exists. ``opt`` is ``ADAM`` (bias corrections ``bc1 = 1 - beta1**t``, ``bc2 = 1 - beta2**t``,
    the PyTorch form) or ``SGD`` (``m`` is the momentum buffer, ``beta1`` the momentum; ``v`` unused).
    ``dXT`` (n_in, batch) is written only when ``need_dx``.
    """
    batch = XT.shape[1]
    for c in prange(chunks.shape[0] - 1):
        dx = np.empty(batch, dtype=XT.dtype)
        for i in range(chunks[c], chunks[c + 1]):
            x = XT[i]
            dx[:] = 0
            for p in range(indptr[i], indptr[i + 1]):
                g_row = GT[indices[p]]
                w = data[p]
                g = x[0] - x[0]  # a zero of the array's dtype keeps float32 sums in SIMD lanes
                for b in range(batch):
                    g += x[b] * g_row[b]
                if need_dx:
                    for b in range(batch):
                        dx[b] += w * g_row[b]
                _update(data, m, v, p, w, g + l2 * w, opt, lr, beta1, beta2, eps, bc1, bc2)
            if need_dx:
                dXT[i, :] = dx


@njit(parallel=True, fastmath=_FAST, cache=True)
def sddmm(indptr, indices, XT, GT, chunks, out):
    """Gradient at stored positions only: ``out[p] = dot(XT[i], GT[indices[p]])``.

    ``out`` is (nnz,), in the canonical order; no L2 term.
    """
    batch = XT.shape[1]
    for c in prange(chunks.shape[0] - 1):
        for i in range(chunks[c], chunks[c + 1]):
            x = XT[i]
            for p in range(indptr[i], indptr[i + 1]):
                g_row = GT[indices[p]]
                g = x[0] - x[0]
                for b in range(batch):
                    g += x[b] * g_row[b]
                out[p] = g


@njit(parallel=True, fastmath=_FAST, cache=True)
def backward_data(indptr, indices, data, GT, chunks, dXT):
    """Input gradient ``dXT[i, :] = sum_j W[i, j] * GT[j, :]``; ``dXT`` (n_in, batch) overwritten."""
    batch = GT.shape[1]
    for c in prange(chunks.shape[0] - 1):
        acc = np.empty(batch, dtype=dXT.dtype)
        for i in range(chunks[c], chunks[c + 1]):
            acc[:] = 0
            for p in range(indptr[i], indptr[i + 1]):
                w = data[p]
                g_row = GT[indices[p]]
                for b in range(batch):
                    acc[b] += w * g_row[b]
            dXT[i, :] = acc


@njit(parallel=True, fastmath=_FAST, cache=True)
def dense_optimizer_step(w, g, m, v, opt, lr, l2, beta1, beta2, eps, bc1, bc2):
    """The same update as :func:`backward_step`, for flat dense arrays (biases, dense layers).

    ``w``, ``g``, ``m``, ``v`` are 1-D views of equal length; ``g`` is the loss gradient without
    L2, left unchanged.
    """
    for p in prange(w.shape[0]):
        wp = w[p]
        _update(w, m, v, p, wp, g[p] + l2 * wp, opt, lr, beta1, beta2, eps, bc1, bc2)


@njit(parallel=True, cache=True)
def row_abs_sum(indptr, data, out):
    """``out[i] += sum_j |W[i, j]|``: neuron strength of every input, accumulated into ``out``."""
    for i in prange(indptr.shape[0] - 1):
        s = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            s += abs(data[p])
        out[i] += s


@njit(cache=True)
def build_mirror(indptr, indices, n_out, indptr_out, idx_in, perm):
    """Counting sort of the canonical CSR by output: fills ``indptr_out``, ``idx_in``, ``perm``.

    O(nnz + n_in + n_out); within each output, inputs come out in increasing order.
    """
    indptr_out[:] = 0
    nnz = indices.shape[0]
    for p in range(nnz):
        indptr_out[indices[p] + 1] += 1
    for j in range(n_out):
        indptr_out[j + 1] += indptr_out[j]
    fill = indptr_out[:-1].copy()
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            q = fill[j]
            idx_in[q] = i
            perm[q] = p
            fill[j] = q + 1


@njit(cache=True)
def occupied(indptr, indices, keep, n_out, keys, out):
    """``out[q]`` = whether flat position ``keys[q]`` is stored and kept.

    A binary search inside the key's CSR row (indices sorted within rows): O(log degree) each,
    with no array over all positions.
    """
    for q in range(keys.shape[0]):
        i = keys[q] // n_out
        j = keys[q] - i * n_out
        lo, hi = indptr[i], indptr[i + 1]
        end = hi
        while lo < hi:
            mid = (lo + hi) // 2
            if indices[mid] < j:
                lo = mid + 1
            else:
                hi = mid
        out[q] = lo < end and indices[lo] == j and keep[lo]


@njit(cache=True)
def merge_rows(indptr, indices, keep, new_keys, n_out, new_indptr, new_indices, src):
    """Merge kept stored positions with sorted ``new_keys`` into a new CSR, row by row, O(nnz).

    Fills ``new_indptr`` (n_in + 1,), ``new_indices`` and ``src`` (new nnz,): the old position
    each entry came from, or -1 for a new one.
    """
    n_in = indptr.shape[0] - 1
    q, pos, nk = 0, 0, new_keys.shape[0]
    for i in range(n_in):
        new_indptr[i] = pos
        p, end = indptr[i], indptr[i + 1]
        while True:
            while p < end and not keep[p]:
                p += 1
            has_old = p < end
            has_new = q < nk and new_keys[q] // n_out == i
            if not has_old and not has_new:
                break
            jn = new_keys[q] - i * n_out if has_new else -1
            if has_old and (not has_new or indices[p] < jn):
                new_indices[pos] = indices[p]
                src[pos] = p
                p += 1
            else:
                new_indices[pos] = jn
                src[pos] = -1
                q += 1
            pos += 1
    new_indptr[n_in] = pos


@njit(parallel=True, cache=True)
def relu_backward(A, G):
    """``G *= (A > 0)`` in place: the ReLU derivative, from the post-activation ``A``."""
    n, batch = A.shape
    for i in prange(n):
        for b in range(batch):
            if A[i, b] <= 0:
                G[i, b] = 0


@njit(parallel=True, cache=True)
def gather_rows_t(X, rows, out):
    """``out[:, k] = X[rows[k], :]``: a mini-batch of a dense (n, d) X, feature-major (d, batch)."""
    d = X.shape[1]
    # Blocks of 64 features: reads stay row-contiguous and the written tile stays in cache.
    for blk in prange((d + 63) // 64):
        i0 = blk * 64
        i1 = min(d, i0 + 64)
        for k in range(rows.shape[0]):
            src = X[rows[k]]
            for i in range(i0, i1):
                out[i, k] = src[i]


@njit(cache=True)
def gather_csr_rows_t(indptr, indices, data, rows, out):
    """The same for a CSR X given by its arrays, without a dense (batch, d) intermediate."""
    out[:] = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        for p in range(indptr[r], indptr[r + 1]):
            out[indices[p], k] = data[p]


@njit(parallel=True, cache=True)
def add_abs_row_sums(G, scale, out):
    """``out[i] += scale * sum_b |G[i, b]|`` without a temporary the size of ``G``."""
    for i in prange(G.shape[0]):
        s = 0.0
        for b in range(G.shape[1]):
            s += abs(G[i, b])
        out[i] += scale * s


@njit(parallel=True, fastmath=_FAST, cache=True)
def spmm_forward_scatter(indptr, indices, data, bias, XT, chunks, partial, out):
    """The forward product by input rows: ``XT`` is streamed once, outputs accumulate in cache.

    Each of the ``len(chunks) - 1`` tasks adds ``W[i, :]^T XT[i, :]`` for its input rows into its
    own slice of ``partial`` (tasks, n_out, batch); the slices are then summed into ``out``
    (n_out, batch) with the bias. Faster than the gather when XT does not fit in cache.
    """
    n_out, batch = out.shape
    for c in prange(chunks.shape[0] - 1):
        acc = partial[c]
        acc[:] = 0
        for i in range(chunks[c], chunks[c + 1]):
            x = XT[i]
            for p in range(indptr[i], indptr[i + 1]):
                w = data[p]
                row = acc[indices[p]]
                for b in range(batch):
                    row[b] += w * x[b]
    for j in prange(n_out):
        for b in range(batch):
            s = bias[j]
            for c in range(chunks.shape[0] - 1):
                s += partial[c, j, b]
            out[j, b] = s


@njit(cache=True)
def collect_above(block, indptr, indices, keep, row0, threshold, n_out, vals, keys, start):
    """Append every ``|block|`` entry above ``threshold`` at a position not stored-and-kept.

    ``block`` (rows, n_out) holds the gradient of input rows ``row0 ..``. Candidates go to
    ``vals``/``keys`` (flat position ``i * n_out + j``) from index ``start``; returns the new
    end. The caller sizes the buffers for ``start + block.size``. Stored columns are skipped by
    walking each row's sorted indices alongside ``j``: one pass, no mask.
    """
    pos = start
    for r in range(block.shape[0]):
        i = row0 + r
        row = block[r]
        p, end = indptr[i], indptr[i + 1]
        for j in range(n_out):
            while p < end and indices[p] < j:
                p += 1
            if p < end and indices[p] == j and keep[p]:
                continue
            v = abs(row[j])
            if v > threshold:
                vals[pos] = v
                keys[pos] = i * n_out + j
                pos += 1
    return pos


@njit(cache=True)
def keep_top(vals, keys, n, threshold, count):
    """Compact ``vals[:n]``/``keys[:n]`` in place to ``count`` entries: all above ``threshold``,
    then the first ones equal to it. ``threshold`` is the ``count``-th largest value."""
    ties = count
    for q in range(n):
        if vals[q] > threshold:
            ties -= 1
    out = 0
    for q in range(n):
        v = vals[q]
        if v > threshold or (v == threshold and ties > 0):
            if v == threshold:
                ties -= 1
            vals[out] = v
            keys[out] = keys[q]
            out += 1
    return out

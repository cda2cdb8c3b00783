"""Kernels of topology changes: the by-output mirror, occupancy tests, CSR merges, top-k.

Positions are flat int64 keys ``i * n_out + j`` of an ``n_in x n_out`` layer; CSR rows hold
their column indices sorted, which every kernel here relies on. None of them touches an array
over all ``n_in * n_out`` positions.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def build_mirror(indptr, indices, block_rows, block_ptr, idx_in, perm):
    """The by-output mirror of the canonical CSR, in blocks of ``block_rows`` input rows:
    within block ``k`` (rows ``k * block_rows ..``), entries sorted by output, inputs in
    increasing order within an output. ``block_ptr`` (n_blocks, n_out + 1) receives each
    block's output pointers, ``idx_in`` (nnz,) the input row within its block (uint16: blocks
    hold at most 65,536 rows) and ``perm`` (nnz,) the canonical position of each mirror entry.

    A block's entries keep the canonical block's range of positions, so blocks sort
    independently (in parallel) and ``perm`` stays within a block's few weights. O(nnz +
    n_blocks * n_out).
    """
    n_in = indptr.shape[0] - 1
    n_out = block_ptr.shape[1] - 1
    for k in prange(block_ptr.shape[0]):
        r0, r1 = k * block_rows, min(n_in, (k + 1) * block_rows)
        ptr = block_ptr[k]
        ptr[:] = 0
        for p in range(indptr[r0], indptr[r1]):
            ptr[indices[p] + 1] += 1
        ptr[0] = indptr[r0]
        for j in range(n_out):
            ptr[j + 1] += ptr[j]
        fill = ptr[:-1].copy()
        for i in range(r0, r1):
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                q = fill[j]
                idx_in[q] = i - r0
                perm[q] = p
                fill[j] = q + 1


# Contiguous ranges of keys the occupancy test walks in parallel.
_OCCUPIED_RANGES = 16


@njit(parallel=True, cache=True)
def occupied(indptr, indices, keep, n_out, keys, out):
    """``out[q]`` = whether flat position ``keys[q]`` is stored and kept.

    Each range of keys holds a bitmap of its current row's kept columns (n_out bits), set when
    a key enters the row and cleared when it leaves: a key is then one bit test, without the
    data-dependent walk along the row (its exit is mispredicted about once per key: the bitmap
    is 1.9x faster at 500 x 1,000 and 20,000 x 1,000, density 0.2 and 0.05). Sorted keys visit
    each row once; a key out of order only costs its row's bitmap again, so any order is correct.
    """
    n = keys.shape[0]
    one = np.uint64(1)
    for t in prange(_OCCUPIED_RANGES):
        bits = np.zeros((n_out + 63) // 64, dtype=np.uint64)
        row_start, i = -n_out - 1, -1
        for q in range(n * t // _OCCUPIED_RANGES, n * (t + 1) // _OCCUPIED_RANGES):
            key = keys[q]
            # The row is found by a division only when a key leaves the current row's key
            # range [row_start, row_start + n_out): an integer division costs as much as a test.
            if key < row_start or key >= row_start + n_out:
                if i >= 0:
                    for p in range(indptr[i], indptr[i + 1]):
                        bits[indices[p] >> 6] = 0
                i = key // n_out
                row_start = i * n_out
                for p in range(indptr[i], indptr[i + 1]):
                    j = indices[p]
                    bits[j >> 6] |= np.uint64(keep[p]) << np.uint64(j & 63)
            j = key - row_start
            out[q] = (bits[j >> 6] >> np.uint64(j & 63)) & one


@njit(inline="always", cache=True)
def _move(indices, data, s0, s1, dst, src, col, take_old):
    """Entry ``dst`` becomes entry ``src`` (``take_old``) or a new weight at column ``col``
    with 0 in every value array."""
    indices[dst] = indices[src] if take_old else col
    data[dst] = data[src] if take_old else 0
    s0[dst] = s0[src] if take_old else 0
    s1[dst] = s1[src] if take_old else 0


@njit(parallel=True, cache=True)
def merge_rows_in_place(indptr, indices, keep, new_keys, n_out, data, s0, s1, new_indptr,
                        split):
    """Merge kept stored positions with sorted ``new_keys`` row by row, O(nnz), in the
    layer's own arrays: the merged nnz must be at most the old.

    ``indices`` (nnz,), the weights ``data`` and the optimizer moments ``s0``, ``s1`` are
    rewritten in place (pass ``data`` itself for a moment the optimizer does not keep: moving
    an array twice is harmless); new positions get index ``j`` and 0 in every value array.
    ``new_indptr`` (n_in + 1,) receives the merged row pointers (``indptr`` is read, not
    written); the merged entries are the first ``new_indptr[-1]`` of each array.

    Rows ``0 .. split`` and ``split .. n_in`` are two tasks, run side by side; ``split`` must be
    ``n_in`` (one task) unless the merged nnz equals the old. The first task packs its kept
    entries to the left, then merges each row with its new keys from the right end down: the
    write position never falls below the next kept entry to read (their gap is the number of
    new keys still to place), so nothing unread is overwritten. The second task mirrors it:
    packs to the right end of the arrays, then merges from its region's start up. With nnz
    unchanged the two outputs meet exactly where the first one ends, so no entry is moved
    twice and no array of nnz values is allocated.

    No data-dependent branches: a dropped weight or a new key comes at random, so a branch on
    either is mispredicted about as often as it is taken (2-3x slower). Every entry is copied
    and the write position advanced by ``keep[p]``; of the two merge candidates both are read
    (at a clamped index) and one is selected.
    """
    n_in = indptr.shape[0] - 1
    old_nnz, nk = indptr[n_in], new_keys.shape[0]
    q_split = np.searchsorted(new_keys, split * n_out)
    packed = np.empty(2, dtype=np.int64)
    for task in prange(2):
        if task == 0:
            w = 0
            for i in range(split):
                new_indptr[i] = w
                for p in range(indptr[i], indptr[i + 1]):
                    _move(indices, data, s0, s1, w, p, 0, True)
                    w += np.int64(keep[p])
            packed[0] = w
        else:
            # Row i's kept entries end up at new_indptr[i] .. new_indptr[i + 1] (old_nnz for
            # the last row), packed against the arrays' end.
            w = old_nnz - 1
            for i in range(n_in - 1, split - 1, -1):
                for p in range(indptr[i + 1] - 1, indptr[i] - 1, -1):
                    _move(indices, data, s0, s1, w, p, 0, True)
                    w -= np.int64(keep[p])
                new_indptr[i] = w + 1
            packed[1] = w + 1
    for task in prange(2):
        if task == 0:
            dst, r, q = packed[0] + q_split - 1, packed[0] - 1, q_split - 1
            if split == n_in:
                new_indptr[n_in] = dst + 1
            for i in range(split - 1, -1, -1):
                row_start, r_lo, q_lo = i * n_out, new_indptr[i], q
                while q_lo >= 0 and new_keys[q_lo] >= row_start:
                    q_lo -= 1
                for _ in range(r - r_lo + 1 + q - q_lo):
                    rr = max(r, 0)
                    new_col = new_keys[max(q, 0)] - row_start if nk else 0
                    take_old = (r >= r_lo) & ((q <= q_lo) | (indices[rr] > new_col))
                    _move(indices, data, s0, s1, dst, rr, new_col, take_old)
                    r -= np.int64(take_old)
                    q -= 1 - np.int64(take_old)
                    dst -= 1
                new_indptr[i] = dst + 1
        elif split < n_in:
            r, q = packed[1], q_split
            dst = r - (nk - q_split)
            for i in range(split, n_in):
                row_end = (i + 1) * n_out
                r_hi = new_indptr[i + 1] if i + 1 < n_in else old_nnz
                q_hi = q
                while q_hi < nk and new_keys[q_hi] < row_end:
                    q_hi += 1
                new_indptr[i] = dst
                for _ in range(r_hi - r + q_hi - q):
                    rr = min(r, old_nnz - 1)
                    new_col = new_keys[min(q, nk - 1)] - (row_end - n_out) if nk else 0
                    take_old = (r < r_hi) & ((q >= q_hi) | (indices[rr] < new_col))
                    _move(indices, data, s0, s1, dst, rr, new_col, take_old)
                    r += np.int64(take_old)
                    q += 1 - np.int64(take_old)
                    dst += 1
            new_indptr[n_in] = dst


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
            # The threshold test first: once it is set, few entries pass it, so the walk
            # along the row's stored indices runs only for those.
            v = abs(row[j])
            if v <= threshold:
                continue
            while p < end and indices[p] < j:
                p += 1
            if p < end and indices[p] == j and keep[p]:
                continue
            vals[pos] = v
            keys[pos] = i * n_out + j
            pos += 1
    return pos


@njit(cache=True)
def zero_stored(block, indptr, indices, keep, rows):
    """``block[r, j] = 0`` wherever input row ``rows[r]`` stores a kept weight at ``j``: a
    sample of gradient rows reduced to the free positions a regrowth may pick."""
    for r in range(rows.shape[0]):
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            if keep[p]:
                block[r, indices[p]] = 0


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


@njit(cache=True)
def spacings_to_keys(spacings, total, keys):
    """The distinct values of ``floor(total * S_i / S_n)``, S the partial sums of ``spacings``
    (n + 1,): sorted uniform draws in [0, total) from exponential spacings, repeats dropped.
    Writes them to ``keys`` (n,) and returns how many; two passes (numpy's float-to-int64 cast
    alone costs 20 ns a value)."""
    n = keys.shape[0]
    s = 0.0
    for i in range(n + 1):
        s += spacings[i]
    scale = total / s
    acc = 0.0
    m, last = 0, -1
    for i in range(n):
        acc += spacings[i]
        k = min(np.int64(acc * scale), total - 1)
        if k != last:
            keys[m] = k
            m += 1
            last = k
    return m


@njit(cache=True)
def keys_to_csr(keys, n_out, indptr, indices):
    """Sorted unique flat positions ``keys`` (nnz,) as CSR by input: fills ``indptr``
    (n_in + 1,) and ``indices`` (nnz,) int32 in one pass."""
    n_in = indptr.shape[0] - 1
    indptr[:] = 0
    row_start = -n_out - 1
    i = -1
    for p in range(keys.shape[0]):
        key = keys[p]
        if key >= row_start + n_out:  # a new row: one division per row, not per key
            i = key // n_out
            row_start = i * n_out
        indptr[i + 1] += 1
        indices[p] = key - row_start
    for i in range(n_in):
        indptr[i + 1] += indptr[i]

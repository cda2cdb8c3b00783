"""Prototype kernels that test a diagnosis of where sparsefs's kernels lose time.

Not used by the package; ``python -m bench.proto_kernels`` times each against the sparsefs
kernel it would replace (same inputs, results checked equal) at 1 and at all threads.
(A third prototype, the scatter forward, was adopted as ``spmm_forward_scatter`` in
sparsefs.kernels and removed here.)

1. ``rigl_regrow_threshold``: RigL's regrow with a running threshold. After the first block
   only entries above the current ``count``-th best value are kept (one comparison pass),
   and the top-``count`` is cut with ``argpartition`` when the buffer doubles, instead of a
   full ``lexsort`` of ``2 count`` entries after every block (O(blocks x count log count)).
2. ``set_update_merge``: SET's prune + regrow + rebuild as one threshold, one sort of the new
   keys and a single merge pass in Numba that writes the new CSR arrays (and optimizer state)
   directly, instead of keys arrays, boolean-mask scatters, ``searchsorted`` membership tests
   and a ``bincount`` rebuild.
"""

import math

import numpy as np
from numba import get_num_threads, njit

from sparsefs import kernels

_FAST = {"reassoc", "contract"}


# ------------------------------------------------------------------------------ RigL
@njit(cache=True)
def _mask_kept(indptr, indices, keep, row0, block, value):
    for r in range(block.shape[0]):
        i = row0 + r
        for p in range(indptr[i], indptr[i + 1]):
            if keep[p]:
                block[r, indices[p]] = value


def call_rigl_regrow(layer, keep, count, XT, GT):
    """sparsefs's ``topology.rigl_regrow`` with a keep mask, whichever of its two signatures
    (kept keys, or the keep mask) the checked-out version has."""
    import inspect

    from sparsefs import topology
    first = list(inspect.signature(topology.rigl_regrow).parameters)[1]
    arg = keep if first == "keep" else layer.keys()[keep]
    return topology.rigl_regrow(layer, arg, count, XT, GT)


def rigl_regrow_threshold(layer, keep, count, XT, GT, block_bytes=4 << 20):
    """Same result as ``topology.rigl_regrow`` (ties to smaller keys), without the per-block sort.

    ``keep`` (nnz,) bool marks the stored weights that survive the drop (they are masked).
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    n_in, n_out = layer.n_in, layer.n_out
    step = max(1, min(n_in, block_bytes // (4 * n_out)))
    GTt = np.ascontiguousarray(GT.T)
    block = np.empty((step, n_out), dtype=XT.dtype)
    vals, keys = [], []
    held, thr = 0, -np.inf
    for r0 in range(0, n_in, step):
        r1 = min(n_in, r0 + step)
        blk = block[: r1 - r0]
        np.matmul(XT[r0:r1], GTt, out=blk)
        np.abs(blk, out=blk)
        _mask_kept(layer.indptr, layer.indices, keep, r0, blk, -1.0)
        flat = blk.reshape(-1)
        idx = np.flatnonzero(flat >= thr) if thr > -np.inf else np.arange(flat.size)
        if idx.size > 2 * count:  # keep only this block's best ``count`` (ties kept)
            v = flat[idx]
            kth = np.partition(v, v.size - count)[v.size - count]
            idx = idx[v >= kth]
        vals.append(flat[idx].copy())
        keys.append(idx.astype(np.int64) + r0 * n_out)
        held += idx.size
        if held > 2 * count:
            v, k = np.concatenate(vals), np.concatenate(keys)
            kth = np.partition(v, v.size - count)[v.size - count]
            sel = v >= kth
            vals, keys, held, thr = [v[sel]], [k[sel]], int(sel.sum()), kth
    v, k = np.concatenate(vals), np.concatenate(keys)
    order = np.lexsort((k, -v))[:count]  # only ~count candidates are left to sort
    return np.sort(k[order])


# ------------------------------------------------------------------------------ SET
@njit(cache=True)
def _merge_rows(indptr, indices, data, m, v, keep, new_keys, n_out,
                indptr2, indices2, data2, m2, v2):
    """Merge kept entries (row-sorted) with sorted new keys into fresh CSR arrays."""
    n_in = indptr.shape[0] - 1
    q = 0
    k = 0
    n_new = new_keys.shape[0]
    indptr2[0] = 0
    for i in range(n_in):
        base = i * n_out
        for p in range(indptr[i], indptr[i + 1]):
            if not keep[p]:
                continue
            col = indices[p]
            while k < n_new and new_keys[k] < base + col:
                indices2[q] = new_keys[k] - base
                data2[q] = 0.0
                m2[q] = 0.0
                v2[q] = 0.0
                q += 1
                k += 1
            indices2[q] = col
            data2[q] = data[p]
            m2[q] = m[p]
            v2[q] = v[p]
            q += 1
        while k < n_new and new_keys[k] < base + n_out:
            indices2[q] = new_keys[k] - base
            data2[q] = 0.0
            m2[q] = 0.0
            v2[q] = 0.0
            q += 1
            k += 1
        indptr2[i + 1] = q


@njit(cache=True)
def _occupied(indptr, indices, keep, n_out, keys):
    """True where a key's position is held by a kept weight (binary search in its row)."""
    out = np.zeros(keys.shape[0], dtype=np.bool_)
    for t in range(keys.shape[0]):
        i = keys[t] // n_out
        col = keys[t] - i * n_out
        lo, hi = indptr[i], indptr[i + 1]
        while lo < hi:
            mid = (lo + hi) // 2
            if indices[mid] < col:
                lo = mid + 1
            else:
                hi = mid
        if lo < indptr[i + 1] and indices[lo] == col and keep[lo]:
            out[t] = True
    return out


def set_update_merge(layer, zeta, rng):
    """SET with the semantics of ``topology.set_update`` (Adam state: two moment arrays)."""
    from sparsefs.layers import nnz_chunks

    nnz = layer.nnz
    n_drop = min(int(math.ceil(zeta * nnz)), nnz)
    if n_drop == 0:
        return 0
    mag = np.abs(layer.data)
    thr = np.partition(mag, n_drop - 1)[n_drop - 1]
    keep = mag > thr
    extra = (nnz - n_drop) - int(keep.sum())  # weights equal to the threshold that stay
    if extra > 0:
        keep[np.flatnonzero(mag == thr)[:extra]] = True
    total = layer.n_in * layer.n_out
    new = np.empty(0, dtype=np.int64)
    while new.size < n_drop:
        draw = rng.integers(0, total, size=int((n_drop - new.size) * 1.05) + 16)
        new = np.unique(np.concatenate([new, draw]))
        new = new[~_occupied(layer.indptr, layer.indices, keep, layer.n_out, new)]
    if new.size > n_drop:
        new = np.sort(rng.choice(new, size=n_drop, replace=False))
    m, v = layer.state
    indptr2 = np.empty_like(layer.indptr)
    indices2 = np.empty(nnz, dtype=layer.indices.dtype)
    data2, m2, v2 = (np.empty(nnz, dtype=layer.dtype) for _ in range(3))
    _merge_rows(layer.indptr, layer.indices, layer.data, m, v, keep, new, layer.n_out,
                indptr2, indices2, data2, m2, v2)
    layer.indptr, layer.indices, layer.data, layer.state = indptr2, indices2, data2, [m2, v2]
    kernels.build_mirror(layer.indptr, layer.indices, layer.n_out, layer.indptr_out,
                         layer.idx_in, layer.perm)
    layer.chunks = nnz_chunks(layer.indptr, 8 * get_num_threads())
    return n_drop


# ------------------------------------------------------------------------------ launches
def install_serial_small(min_work=200_000):
    """Route small calls of sparsefs's parallel kernels to serial builds of the same code.

    With ``OMP_WAIT_POLICY=PASSIVE`` every parallel launch wakes sleeping workers (~50 us
    measured), more than the whole work of a 200-weight output layer, a bias update or a ReLU
    mask. ``min_work`` is in multiply-adds (or elements for element-wise kernels). Patches the
    module attributes, which is how the layers call the kernels; returns the patched names.
    """
    def work_nnz_batch(args, nnz_pos, act_pos):
        return args[nnz_pos].shape[0] * args[act_pos].shape[1]

    rules = {  # kernel name -> function(args) giving its work
        "spmm_forward": lambda a: work_nnz_batch(a, 3, 5),
        "backward_step": lambda a: work_nnz_batch(a, 2, 5),
        "sddmm": lambda a: work_nnz_batch(a, 1, 2),
        "backward_data": lambda a: work_nnz_batch(a, 2, 3),
        "dense_optimizer_step": lambda a: 4 * a[0].shape[0],
        "relu_backward": lambda a: a[0].size,
        "gather_rows_t": lambda a: a[2].size,
    }
    patched = []
    for name, work in rules.items():
        par = getattr(kernels, name, None)
        if par is None or not hasattr(par, "py_func") or getattr(par, "_proto_serial", False):
            continue
        ser = njit(fastmath=par.targetoptions.get("fastmath", False), cache=False)(par.py_func)

        def dispatch(*args, _par=par, _ser=ser, _work=work):
            return (_ser if _work(args) < min_work else _par)(*args)
        dispatch._proto_serial = True
        setattr(kernels, name, dispatch)
        patched.append(name)
    return patched

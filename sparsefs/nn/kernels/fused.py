"""The fused backward pass of a sparse layer, and the optimizer step over flat arrays.

Layout as in :mod:`sparsefs.nn.kernels.products`. The sparse backward pass walks the CSR by
input once: for every stored weight it forms the gradient (a sampled dense-dense product) and
adds the weight's share of the input gradient; then one pass over the flat weights, gradients
and optimizer state updates them in place. The gradient is one (nnz,) array of the layer's
dtype, reused from step to step.
"""

import numpy as np
from numba import njit, prange

from . import FASTMATH as _FAST
from . import simd

#: Optimizer codes the kernels take (Numba dispatches on an int, not on a Python object).
ADAM = 0
SGD = 1


@njit(inline="always", cache=True)
def _update(w, m, v, p, wp, g, opt, b1, c1, b2, c2, step, ibc2, eps):
    """One weight's optimizer step: ``w[p]`` (currently ``wp``) with gradient ``g`` (L2 included).

    The scalars come from :meth:`sparsefs.nn.optim.Optimizer.scalars` in the weights' dtype, so
    a float32 layer updates in float32 lanes, as PyTorch does (float64 coefficients promoted
    every weight's update to float64: half the lanes, and the division and square root took
    as long as the whole gradient, 27 of 55 ms at 20,000 x 1,000, density 0.2). Adam:
    ``m = b1 m + c1 g``, ``v = b2 v + c2 g^2``, ``w -= step m / (sqrt(v ibc2) + eps)`` with
    ``step = lr / (1 - beta1^t)`` and ``ibc2 = 1 / (1 - beta2^t)``; SGD with momentum ``b1``:
    ``m = b1 m + g`` (``c1 = 1``), ``w -= step m``; ``v`` unused.
    """
    mp = b1 * m[p] + c1 * g
    m[p] = mp
    if opt == ADAM:
        vp = b2 * v[p] + c2 * g * g
        v[p] = vp
        w[p] = wp - step * mp / (np.sqrt(vp * ibc2) + eps)
    else:
        w[p] = wp - step * mp


@njit(parallel=True, fastmath=_FAST, cache=True)
def backward_grads(indptr, indices, data, XT, GT, dXT, relu_input, chunks, grad):
    """The weight and input gradients of one backward pass, in one walk over the stored weights.

    For every stored ``(i, j)``: ``grad[p] = dot(XT[i], GT[j])`` (a sampled dense-dense
    product; no L2 term) and ``dXT[i] += W[i, j] * GT[j]``. ``grad`` is (nnz,) in the
    canonical order; ``dXT`` (n_in, batch) is overwritten; with ``relu_input`` (XT is a ReLU
    output) it is 0 where ``XT <= 0``, the ReLU derivative fused in: no second pass over dXT.
    A layer that needs no input gradient (the first) takes
    :func:`sparsefs.nn.kernels.products.sddmm` instead, the same dot products in the same
    order. The weights do not move here: :func:`dense_optimizer_step` over the flat arrays
    does that next, with the same arithmetic as updating each weight as its gradient came out
    but 1.2-1.5x faster in all (the short runs of a row's weights and both moments, between
    its dot products, streamed badly: 20,000 x 1,000, density 0.05, batch 100, no input
    gradient: 17.3 ms fused against 10.0 + 1.0 ms).
    """
    batch = XT.shape[1]
    n_panels = simd.panels(batch, simd.lanes_of(XT))
    for c in prange(chunks.shape[0] - 1):
        dx = np.empty(batch, dtype=XT.dtype)
        for i in range(chunks[c], chunks[c + 1]):
            x = XT[i]
            p, end = indptr[i], indptr[i + 1]
            dx[:] = 0
            if n_panels > 0:
                dots = grad[p:end]
                for k in range(n_panels):
                    b0, nb = simd.panel_bounds(batch, n_panels, k)
                    simd.dot_axpy_rows(x, dx, True, b0, nb, GT, indices, data, p, end, dots,
                                       k > 0)
                p = end
            # Four stored weights per pass over the batch (20% faster at 20,000 x 1,000): the
            # four dot products and the input-gradient terms are added in the same order as
            # one weight at a time, so the results are bitwise the same.
            while p + 4 <= end:
                r0, r1 = GT[indices[p]], GT[indices[p + 1]]
                r2, r3 = GT[indices[p + 2]], GT[indices[p + 3]]
                a0 = x[0] - x[0]  # a zero of the array's dtype keeps float32 sums in SIMD lanes
                a1, a2, a3 = a0, a0, a0
                for b in range(batch):
                    xb = x[b]
                    a0 += xb * r0[b]
                    a1 += xb * r1[b]
                    a2 += xb * r2[b]
                    a3 += xb * r3[b]
                w0, w1, w2, w3 = data[p], data[p + 1], data[p + 2], data[p + 3]
                for b in range(batch):
                    dx[b] += w0 * r0[b]
                    dx[b] += w1 * r1[b]
                    dx[b] += w2 * r2[b]
                    dx[b] += w3 * r3[b]
                grad[p], grad[p + 1], grad[p + 2], grad[p + 3] = a0, a1, a2, a3
                p += 4
            while p < end:
                g_row = GT[indices[p]]
                g = x[0] - x[0]
                for b in range(batch):
                    g += x[b] * g_row[b]
                w = data[p]
                for b in range(batch):
                    dx[b] += w * g_row[b]
                grad[p] = g
                p += 1
            if relu_input:
                for b in range(batch):
                    dXT[i, b] = dx[b] if x[b] > 0 else 0
            else:
                dXT[i, :] = dx


@njit(parallel=True, fastmath=_FAST, cache=True)
def dense_optimizer_step(w, g, m, v, opt, l2, b1, c1, b2, c2, step, ibc2, eps):
    """The optimizer step of flat arrays: a sparse layer's stored weights (after
    :func:`backward_grads`), its biases, a dense layer's weights.

    ``w``, ``g``, ``m``, ``v`` are 1-D views of equal length; ``g`` is the loss gradient without
    L2, left unchanged.
    """
    for p in prange(w.shape[0]):
        wp = w[p]
        _update(w, m, v, p, wp, g[p] + l2 * wp, opt, b1, c1, b2, c2, step, ibc2, eps)

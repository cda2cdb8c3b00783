"""Row products with the accumulator held in vector registers, written as LLVM IR.

Numba's loop vectorizer keeps a (batch,) accumulator in memory: each stored weight of a
gathered product costs a load and a store of the whole row besides its multiply-adds, and the
loop's setup and alias checks, so the sparse products ran at 10-18 GFLOP/s a core. These
intrinsics hold up to ``MAX_VECTORS`` vectors of the batch (128 float32 or 64 float64 lanes)
in registers across all the stored weights of a row: per weight, one load of the gathered row
and one multiply-add per vector.

A batch that is not a multiple of the vector width is covered by overlapping the last vector
with the one before it: both load the accumulator's initial lanes before anything is stored,
add the same products in the same order and store the same values, so no mask and no scalar
remainder is needed. Batches narrower than one vector are left to the callers' plain loops.

Every multiply-add is ``llvm.fmuladd`` (fused where the CPU has FMA); sums run in a fixed
order, the same on every thread count.
"""

import llvmlite.ir as ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

#: Vectors of the batch held in registers at once (8 x 16 float32 = 128 lanes: 8 accumulators
#: and 8 row loads fit the 32 vector registers of AVX-512, or spill little on AVX2's 16).
MAX_VECTORS = 8
_VECTOR_BYTES = 64

_I64 = ir.IntType(64)
_I32 = ir.IntType(32)


def _lanes(dtype):
    return _VECTOR_BYTES // (4 if dtype == types.float32 else 8)


def _fmuladd(builder, vecty, a, b, c):
    """``a * b + c`` lane by lane."""
    name = f"llvm.fmuladd.v{vecty.count}f{vecty.element.intrinsic_name[1:]}"
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vecty, [vecty] * 3),
                                        name)
    return builder.call(fn, [a, b, c])


def _broadcast(builder, vecty, value):
    v = builder.insert_element(ir.Constant(vecty, ir.Undefined), value, ir.Constant(_I32, 0))
    return builder.shuffle_vector(v, ir.Constant(vecty, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, vecty.count),
                                              [0] * vecty.count))


def _hsum(builder, vecty, v):
    """The sum of a vector's lanes, halves added pairwise (a fixed order)."""
    n = vecty.count
    while n > 1:
        half = n // 2
        lo = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, half),
                                                      list(range(half))))
        hi = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, half),
                                                      list(range(half, n))))
        v = builder.fadd(lo, hi)
        n = half
    return builder.extract_element(v, ir.Constant(_I32, 0))


def _dot_chains(builder, vecty, xs, gs):
    """``sum_k xs[k] * gs[k]`` lane by lane, in two multiply-add chains (even and odd k)
    added at the end: one vector operation per product instead of a multiply and an add."""
    chains = []
    for start in (0, 1):
        acc = None
        for k in range(start, len(xs), 2):
            acc = builder.fmul(xs[k], gs[k]) if acc is None else \
                _fmuladd(builder, vecty, xs[k], gs[k], acc)
        if acc is not None:
            chains.append(acc)
    return chains[0] if len(chains) == 1 else builder.fadd(chains[0], chains[1])


class _Args:
    """Data pointers and integer arguments of an intrinsic call, cast to i64."""

    def __init__(self, context, builder, sig, args):
        self.context, self.builder, self.sig, self.args = context, builder, sig, args

    def array(self, k):
        return self.context.make_array(self.sig.args[k])(self.context, self.builder,
                                                         self.args[k])

    def ptr(self, k):
        return self.array(k).data

    def int(self, k):
        return self.context.cast(self.builder, self.args[k], self.sig.args[k], types.intp)

    def load_int(self, k, p):
        """Element ``p`` of the integer array argument ``k``, as i64."""
        v = self.builder.load(self.builder.gep(self.ptr(k), [p]))
        return self.context.cast(self.builder, v, self.sig.args[k].dtype, types.intp)

    def row_stride(self, k):
        """Elements between rows of the 2-D array argument ``k``."""
        arr = self.array(k)
        stride = cgutils.unpack_tuple(self.builder, arr.strides, 2)[0]
        return self.builder.sdiv(stride, ir.Constant(_I64, self.sig.args[k].dtype.bitwidth // 8))


def _vector_offsets(builder, m, lanes, b0, nb):
    """Element offsets of the ``m`` vectors covering lanes ``b0 .. b0 + nb``: ``b0 + k *
    lanes``, the last one ending at ``b0 + nb`` (overlapping the one before it)."""
    offs = [builder.add(b0, ir.Constant(_I64, k * lanes)) for k in range(m - 1)]
    offs.append(builder.sub(builder.add(b0, nb), ir.Constant(_I64, lanes)))
    return offs


def _vec_ptr(builder, vecty, base, off):
    return builder.bitcast(builder.gep(base, [off]), vecty.as_pointer())


def _loop_by_vector_count(builder, nb, lanes, body):
    """``switch`` on the vector count ``ceil(nb / lanes)`` (1 .. MAX_VECTORS): ``body(m)``
    emits the code for ``m`` vectors at the builder's position; all cases join after."""
    m_val = builder.udiv(builder.add(nb, ir.Constant(_I64, lanes - 1)), ir.Constant(_I64, lanes))
    done = builder.append_basic_block("simd.done")
    sw = builder.switch(m_val, done)
    for m in range(1, MAX_VECTORS + 1):
        blk = builder.append_basic_block(f"simd.m{m}")
        sw.add_case(ir.Constant(_I64, m), blk)
        builder.position_at_end(blk)
        body(m)
        builder.branch(done)
    builder.position_at_end(done)


def _counted_loop(builder, start, end, carried, step, stride=1):
    """``for p in range(start, end - stride + 1, stride)`` with loop-carried values:
    ``step(p, values)`` returns the next values. Returns ``(values, p)`` after the loop: the
    carried values and the first position not visited."""
    pre = builder.basic_block
    hdr = builder.append_basic_block("simd.hdr")
    body = builder.append_basic_block("simd.body")
    out = builder.append_basic_block("simd.out")
    builder.branch(hdr)
    builder.position_at_end(hdr)
    p = builder.phi(_I64)
    phis = [builder.phi(v.type) for v in carried]
    p.add_incoming(start, pre)
    for ph, v in zip(phis, carried):
        ph.add_incoming(v, pre)
    more = builder.icmp_signed("<=", builder.add(p, ir.Constant(_I64, stride)), end)
    builder.cbranch(more, body, out)
    builder.position_at_end(body)
    nxt = step(p, phis)
    last = builder.basic_block
    p.add_incoming(builder.add(p, ir.Constant(_I64, stride)), last)
    for ph, v in zip(phis, nxt):
        ph.add_incoming(v, last)
    builder.branch(hdr)
    builder.position_at_end(out)
    return phis, p


def _check_float(*arrays):
    dt = arrays[0].dtype
    if dt not in (types.float32, types.float64) or any(a.dtype != dt for a in arrays):
        raise TypeError("simd kernels take float32 or float64 arrays of one dtype")
    return dt


@intrinsic
def axpy_rows(typingctx, acc, b0, nb, X, row0, idx, perm, data, start, end):
    """``acc[b0:b0+nb] += sum_p data[q] * X[row0 + idx[p], b0:b0+nb]`` over ``p`` in
    ``start .. end``, with ``q = perm[p]`` (or ``p`` when ``perm`` is None).

    ``acc`` (batch,) and the C-contiguous rows of ``X`` (rows, batch) share a float dtype;
    ``lanes <= nb <= MAX_VECTORS * lanes`` (``lanes`` = 16 float32 or 8 float64 per vector).
    """
    dt = _check_float(acc, X, data)
    with_perm = not isinstance(perm, types.NoneType)
    sig = types.void(acc, b0, nb, X, row0, idx, perm, data, start, end)

    def codegen(context, builder, signature, args):
        a = _Args(context, builder, signature, args)
        elt = context.get_data_type(dt)
        lanes = _lanes(dt)
        vecty = ir.VectorType(elt, lanes)
        acc_ptr, x_ptr, w_ptr = a.ptr(0), a.ptr(3), a.ptr(7)
        b0v, nbv, row0v = a.int(1), a.int(2), a.int(4)
        startv, endv = a.int(8), a.int(9)
        stride = a.row_stride(3)

        def body(m):
            offs = _vector_offsets(builder, m, lanes, b0v, nbv)
            init = [builder.load(_vec_ptr(builder, vecty, acc_ptr, o), align=1) for o in offs]

            def step(p, accs):
                q = a.load_int(6, p) if with_perm else p
                w = _broadcast(builder, vecty, builder.load(builder.gep(w_ptr, [q])))
                row = builder.mul(builder.add(row0v, a.load_int(5, p)), stride)
                base = builder.gep(x_ptr, [row])
                return [_fmuladd(builder, vecty, w,
                                 builder.load(_vec_ptr(builder, vecty, base, o), align=1), s)
                        for o, s in zip(offs, accs)]

            final, _ = _counted_loop(builder, startv, endv, init, step)
            for o, v in zip(offs, final):
                builder.store(v, _vec_ptr(builder, vecty, acc_ptr, o), align=1)

        _loop_by_vector_count(builder, nbv, lanes, body)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def dot_axpy_rows(typingctx, x, dx, need_dx, b0, nb, G, idx, data, start, end, dots, add):
    """For every ``p`` in ``start .. end``, with ``g = G[idx[p], b0:b0+nb]``:
    ``dots[p - start] (+)= dot(x[b0:b0+nb], g)`` (added to when ``add``, else stored) and,
    when ``need_dx``, ``dx[b0:b0+nb] += data[p] * g``.

    The weight-gradient and input-gradient halves of the fused backward pass for one input
    row ``x`` (batch,), with ``x`` and ``dx`` held in registers; same dtype and width rules as
    :func:`axpy_rows`. Each dot product multiplies vector by vector and adds the products
    pairwise (overlapped lanes of the last vector counted once).
    """
    dt = _check_float(x, dx, G, data, dots)
    sig = types.void(x, dx, need_dx, b0, nb, G, idx, data, start, end, dots, add)

    def codegen(context, builder, signature, args):
        a = _Args(context, builder, signature, args)
        elt = context.get_data_type(dt)
        lanes = _lanes(dt)
        vecty = ir.VectorType(elt, lanes)
        x_ptr, dx_ptr, g_ptr, w_ptr, d_ptr = a.ptr(0), a.ptr(1), a.ptr(5), a.ptr(7), a.ptr(10)
        need = context.cast(builder, args[2], signature.args[2], types.boolean)
        addv = context.cast(builder, args[11], signature.args[11], types.boolean)
        b0v, nbv, startv, endv = a.int(3), a.int(4), a.int(8), a.int(9)
        stride = a.row_stride(5)
        zero = ir.Constant(vecty, [0.0] * lanes)

        def body(m):
            offs = _vector_offsets(builder, m, lanes, b0v, nbv)
            xs = [builder.load(_vec_ptr(builder, vecty, x_ptr, o), align=1) for o in offs]
            # Lanes of the last vector already covered by the one before it are left out of
            # the dot products: lane l of it is kept when l >= m * lanes - nb.
            overlap = builder.sub(ir.Constant(_I64, m * lanes), nbv)
            lane_ids = ir.Constant(ir.VectorType(_I64, lanes), list(range(lanes)))
            keep = builder.icmp_signed(">=", lane_ids, _broadcast(
                builder, ir.VectorType(_I64, lanes), overlap))
            xs_dot = xs[:-1] + [builder.select(keep, xs[-1], zero)]

            def loop(with_dx):
                def step(p, accs):
                    base = builder.gep(g_ptr, [builder.mul(a.load_int(6, p), stride)])
                    gs = [builder.load(_vec_ptr(builder, vecty, base, o), align=1)
                          for o in offs]
                    dot = _hsum(builder, vecty, _dot_chains(builder, vecty, xs_dot, gs))
                    slot = builder.gep(d_ptr, [builder.sub(p, startv)])
                    old = builder.load(slot)
                    builder.store(builder.select(addv, builder.fadd(old, dot), dot), slot)
                    if not with_dx:
                        return []
                    w = _broadcast(builder, vecty, builder.load(builder.gep(w_ptr, [p])))
                    return [_fmuladd(builder, vecty, w, gv, s) for gv, s in zip(gs, accs)]

                init = [builder.load(_vec_ptr(builder, vecty, dx_ptr, o), align=1)
                        for o in offs] if with_dx else []
                final, _ = _counted_loop(builder, startv, endv, init, step)
                for o, v in zip(offs, final):
                    builder.store(v, _vec_ptr(builder, vecty, dx_ptr, o), align=1)

            # Two loops, so the first layer's (no input gradient) does no dx work at all.
            with builder.if_else(need) as (then, otherwise):
                with then:
                    loop(True)
                with otherwise:
                    loop(False)

        _loop_by_vector_count(builder, nbv, lanes, body)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True)
def lanes_of(arr):
    """Vector width in elements of ``arr``'s float dtype (16 float32, 8 float64)."""
    return _VECTOR_BYTES // arr.itemsize


@njit(cache=True)
def panels(batch, lanes):
    """Number of column panels a batch is cut into so that each holds at most
    ``MAX_VECTORS * lanes`` lanes and, split evenly, at least ``lanes`` (0 when the batch is
    narrower than one vector: the caller's plain loop handles it)."""
    if batch < lanes:
        return 0
    return (batch + MAX_VECTORS * lanes - 1) // (MAX_VECTORS * lanes)


@njit(cache=True)
def panel_bounds(batch, n_panels, k):
    """Lanes ``(b0, nb)`` of panel ``k`` of ``n_panels`` even panels of ``batch``."""
    b0 = k * batch // n_panels
    return b0, (k + 1) * batch // n_panels - b0

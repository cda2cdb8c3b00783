"""``SparseLayer``: a weight matrix stored only as its non-zeros, with its optimizer state.

Storage per non-zero: the weight, two optimizer moments (Adam) or one (SGD), the output index in
CSR-by-input order: 16 bytes with float32 values, int32 indices and Adam; plus 6 for the
by-output mirror (input row within its block + position) that the forward pass gathers
through on a dense batch (built on first use after each topology change; a first layer fed
sparse batches never holds it). Nothing of size ``n_in x n_out`` is ever allocated.
"""

import numba
import numpy as np
from numba import get_num_threads

from .kernels import fused, products, sparse_input
from .kernels import topology as topology_kernels
from .sparse_batch import SparseBatch

# The mirror's input blocks hold about this many stored weights per output, so the forward
# pass reads each block's rows of XT from cache for several weights of every output row...
MIRROR_WEIGHTS_PER_OUTPUT = 16
# ... and at most this many input rows, so a block of XT (rows x batch) stays in L2 (and a
# row's offset in its block fits the mirror's uint16). Measured
# at batch 100 against streaming XT by input rows into per-thread accumulators: 1.3x at
# 20,000 x 1,000, density 0.2 and 0.05, even at 0.01.
MIRROR_MIN_ROWS, MIRROR_MAX_ROWS = 64, 2048

# Chunks per thread of the backward pass: chunks of equal nnz still cost differently (their rows
# miss cache differently), and several per thread let OpenMP's scheduler even the load out.
CHUNKS_PER_THREAD = 8


def mirror_block_rows(n_in, n_out, nnz):
    """Input rows per block of the by-output mirror: a power of two between MIRROR_MIN_ROWS
    and MIRROR_MAX_ROWS holding about MIRROR_WEIGHTS_PER_OUTPUT weights per output, or every
    row when that is more than ``n_in``."""
    want = MIRROR_WEIGHTS_PER_OUTPUT * n_in * n_out / max(nnz, 1)
    rows = 1 << max(0, int(np.ceil(np.log2(max(want, 1.0)))))
    rows = min(max(rows, MIRROR_MIN_ROWS), MIRROR_MAX_ROWS)
    return max(1, n_in) if rows >= n_in else rows


def nnz_chunks(indptr, n_chunks):
    """Row boundaries splitting the CSR rows into ``n_chunks`` pieces of about equal nnz.

    Returns an int64 array (m + 1,), ``m <= n_chunks``, starting at 0 and ending at ``n_in``.
    """
    n_in = indptr.shape[0] - 1
    targets = np.linspace(0, indptr[-1], n_chunks + 1)
    bounds = np.searchsorted(indptr, targets, side="left").astype(np.int64)
    bounds[0], bounds[-1] = 0, n_in
    return np.unique(np.clip(bounds, 0, n_in))


class SparseLayer:
    """A fully connected layer ``n_in -> n_out`` whose weights live in CSR arrays.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out.
    keys : ndarray of int64, shape (nnz,)
        Sorted, unique flat positions ``i * n_out + j`` of the stored weights.
    values : ndarray, shape (nnz,)
        Initial weights in the order of ``keys``; its dtype (float32 or float64) is the layer's.
    bias : ndarray, shape (n_out,)
    optimizer : Optimizer
        Decides how many state arrays each weight carries.
    owns_values : bool, default False
        True when the caller hands ``values`` over and keeps no reference it reads later:
        topology updates then merge into it in place from the first one, with no copy.
    """

    def __init__(self, n_in, n_out, keys, values, bias, optimizer, owns_values=False):
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.dtype = values.dtype
        self.optimizer = optimizer
        self.bias = np.ascontiguousarray(bias, dtype=self.dtype)
        self.bias_grad = np.zeros_like(self.bias)
        self.bias_state = optimizer.new_state(self.n_out, self.dtype)
        self._partial = None  # forward scratch of the streaming path, kept across updates
        self._grad = None  # weight gradients of the backward pass, kept across steps
        self.set_topology(keys, values, optimizer.new_state(len(keys), self.dtype),
                          owns_values)

    # ------------------------------------------------------------------ topology
    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    @property
    def density(self) -> float:
        return self.nnz / (self.n_in * self.n_out)

    def keys(self):
        """Flat positions ``i * n_out + j`` of the stored weights, sorted: (nnz,) int64."""
        rows = np.repeat(np.arange(self.n_in, dtype=np.int64), np.diff(self.indptr))
        return rows * self.n_out + self.indices

    def set_topology(self, keys, values, state, owns_values=False):
        """Replace the stored positions, weights and optimizer state.

        ``keys`` must be sorted and unique; ``values`` and each array of ``state`` follow them.
        Cost O(nnz + n_in + n_out).
        """
        indptr = np.empty(self.n_in + 1, dtype=np.int64)
        indices = np.empty(len(keys), dtype=np.int32)
        topology_kernels.keys_to_csr(np.ascontiguousarray(keys, dtype=np.int64), self.n_out,
                                     indptr, indices)
        # Unless handed over, the caller may still hold ``values``: the first update copies
        # them (the index arrays and the state are the layer's own).
        self.set_csr(indptr, indices, values, state, shared=() if owns_values else ("data",))

    def set_csr(self, indptr, indices, values, state, shared=()):
        """Adopt CSR arrays (indices sorted within rows), weights and state; the by-output
        mirror is rebuilt when next needed. ``shared`` names the arrays ("indices", "data")
        that belong to someone else too: a topology update copies them before it changes
        them in place."""
        self.indptr, self.indices = indptr, indices
        self.data = np.ascontiguousarray(values, dtype=self.dtype)
        self.state = [np.ascontiguousarray(s, dtype=self.dtype) for s in state]
        # A dtype conversion above already made the layer its own copy of the weights.
        self._shared = {a for a in shared
                        if a != "data" or np.shares_memory(self.data, values)}
        self._mirror = None
        # Sized by the thread pool, not by the threads running now: the sparse-batch forward
        # sums its chunks' accumulators, so the partition must not change with the thread
        # budget (sparsefs.nn.thread_budget) or one seed would give two results.
        pool = numba.config.NUMBA_NUM_THREADS
        self.chunks = nnz_chunks(self.indptr, CHUNKS_PER_THREAD * pool)
        # One streaming chunk per pool thread: each owns an accumulator (sparse batches).
        self.scatter_chunks = nnz_chunks(self.indptr, pool)

    def mirror(self):
        """The blocked by-output mirror ``(block_ptr (n_blocks, n_out + 1), block_rows,
        idx_in (nnz,) uint16, perm (nnz,))`` of the current topology (see
        ``kernels.topology.build_mirror``), built on first use: 6 bytes per weight."""
        if self._mirror is None:
            nnz = self.nnz
            rows = mirror_block_rows(self.n_in, self.n_out, nnz)
            n_blocks = max(1, -(-self.n_in // rows))
            block_ptr = np.empty((n_blocks, self.n_out + 1), dtype=np.int64)
            idx_in = np.empty(nnz, dtype=np.uint16)
            perm = np.empty(nnz, dtype=np.int32 if nnz < 2**31 else np.int64)
            topology_kernels.build_mirror(self.indptr, self.indices, rows, block_ptr, idx_in,
                                          perm)
            self._mirror = (block_ptr, rows, idx_in, perm)
        return self._mirror

    def rebuild(self, keep: np.ndarray, new_keys: np.ndarray) -> None:
        """Keep the stored weights where ``keep`` (nnz,) is True and add the sorted flat
        positions ``new_keys``, in one O(nnz) merge of two sorted lists, in the layer's own
        arrays (those still shared are copied first: see :meth:`set_csr`).

        Survivors keep their weight and optimizer state; new positions start at 0 with zero
        moments. nnz becomes ``keep.sum() + len(new_keys)``, at most the old nnz (SET and
        RigL keep it; input pruning lowers it, and the arrays are then cut to size).
        """
        nnz = int(keep.sum()) + len(new_keys)
        if nnz > self.nnz:
            raise ValueError(f"a rebuild to {nnz} weights from {self.nnz} would need larger "
                             "arrays; topology updates never add weights")
        for name in self._shared:
            setattr(self, name, getattr(self, name).copy())
        indptr = np.empty(self.n_in + 1, dtype=np.int64)
        # The kernel moves two moments; an optimizer with fewer passes the weights again.
        moments = ([*self.state] + [self.data, self.data])[:2]
        # Two tasks, split at half the weights, when nnz stays (SET, RigL); one otherwise.
        split = (int(np.searchsorted(self.indptr, self.nnz // 2)) if nnz == self.nnz
                 else self.n_in)
        topology_kernels.merge_rows_in_place(self.indptr, self.indices, keep, new_keys,
                                             self.n_out, self.data, *moments, indptr, split)
        if nnz < self.nnz:  # cut to size: a view would keep the old arrays alive
            self.indices, self.data = self.indices[:nnz].copy(), self.data[:nnz].copy()
            self.state = [s[:nnz].copy() for s in self.state]
        self.set_csr(indptr, self.indices, self.data, self.state)

    # ------------------------------------------------------------------ numerics
    def forward(self, XT: np.ndarray, out: np.ndarray, relu: bool = False) -> None:
        """``out = W^T XT + bias``: XT (n_in, batch) -> out (n_out, batch), written in place;
        ``max(out, 0)`` with ``relu``.

        A dense XT is gathered through the blocked by-output mirror, one range of outputs
        per thread. A :class:`SparseBatch` XT is streamed by input rows through its stored
        values only, into per-thread accumulators.
        """
        if isinstance(XT, SparseBatch):
            sparse_input.forward_sparse_input(
                self.indptr, self.indices, self.data, self.bias, XT.indptr, XT.samples,
                XT.values, self.scatter_chunks, self._scratch(XT.shape[1]), out, relu)
            return
        products.spmm_forward(*self.mirror(), self.data, self.bias, XT, get_num_threads(),
                              out, relu)

    def _weight_grad_buffer(self):
        """The (nnz,) weight-gradient array of the backward pass, kept between steps."""
        if self._grad is None or len(self._grad) < self.nnz:
            self._grad = np.empty(self.nnz, dtype=self.dtype)
        return self._grad[:self.nnz]

    def _scratch(self, batch):
        """The sparse-batch forward's per-task accumulators (tasks, batch, n_out), kept
        between calls."""
        shape = (len(self.scatter_chunks) - 1, batch, self.n_out)
        if self._partial is None or self._partial.shape != shape:
            self._partial = np.empty(shape, dtype=self.dtype)
        return self._partial

    def backward(self, XT: np.ndarray, GT: np.ndarray, dXT: np.ndarray | None = None,
                 relu_input: bool = False) -> None:
        """Gradient step on stored weights and bias; optionally the input gradient.

        XT (n_in, batch) is the layer input, GT (n_out, batch) the loss gradient at the outputs
        (1/batch included). ``dXT`` (n_in, batch) receives ``W GT`` with the weights before the
        step (times the ReLU derivative ``XT > 0`` with ``relu_input``, XT being a ReLU
        output), or is skipped when None (the first layer needs no input gradient).
        """
        opt = self.optimizer
        m, v = self.optimizer.moments(self.state)
        need_dx = dXT is not None
        grad = self._weight_grad_buffer()
        if isinstance(XT, SparseBatch):
            if need_dx:
                raise ValueError("a sparse batch feeds the first layer, which needs no dXT")
            sparse_input.backward_grads_sparse_input(
                self.indptr, self.indices, XT.indptr, XT.samples, XT.values, GT, self.chunks,
                grad)
        elif need_dx:
            fused.backward_grads(self.indptr, self.indices, self.data, XT, GT, dXT, relu_input,
                                 self.chunks, grad)
        else:
            products.sddmm(self.indptr, self.indices, XT, GT, self.chunks, grad)
        fused.dense_optimizer_step(self.data, grad, m, v, *opt.scalars(self.dtype))
        np.sum(GT, axis=1, out=self.bias_grad)
        bm, bv = self.optimizer.moments(self.bias_state)
        fused.dense_optimizer_step(self.bias, self.bias_grad, bm, bv,
                                   *opt.scalars(self.dtype, l2=0.0))

    def input_grad(self, GT: np.ndarray, dXT: np.ndarray) -> None:
        """``dXT = W GT`` without touching the weights: GT (n_out, b) -> dXT (n_in, b)."""
        products.backward_data(self.indptr, self.indices, self.data, GT, self.chunks, dXT)

    def input_grad_abs_sum(self, GT: np.ndarray, scale: float, out: np.ndarray) -> None:
        """``out[i] += scale * sum_b |(W GT)[i, b]|`` without storing ``W GT`` (n_in, b)."""
        products.input_grad_abs_sum(self.indptr, self.indices, self.data, GT, self.chunks,
                                    scale, out)

    def weight_grad(self, XT: np.ndarray, GT: np.ndarray) -> np.ndarray:
        """Loss gradient at the stored positions, (nnz,), canonical order, without L2."""
        out = np.empty(self.nnz, dtype=self.dtype)
        products.sddmm(self.indptr, self.indices, XT, GT, self.chunks, out)
        return out

    def add_strength(self, out: np.ndarray) -> None:
        """``out[i] += sum_j |W[i, j]|`` for every input ``i``; out is (n_in,) float64."""
        products.row_abs_sum(self.indptr, self.data, out)

    # ------------------------------------------------------------------ bookkeeping
    def arrays(self):
        """Every array the layer holds, for byte accounting: name -> ndarray (the mirror's
        only while it is built)."""
        mirror = {} if self._mirror is None else {
            "block_ptr": self._mirror[0], "idx_in": self._mirror[2], "perm": self._mirror[3]}
        if self._grad is not None:
            mirror["weight_grad"] = self._grad
        return {"indptr": self.indptr, "indices": self.indices, "data": self.data, **mirror,
                "bias": self.bias, "bias_grad": self.bias_grad, "chunks": self.chunks,
                **self.optimizer.named_state(self.state, self.bias_state)}

    def nbytes(self) -> int:
        """Bytes of weights, indices, mirror and optimizer state of this layer."""
        return int(sum(a.nbytes for a in self.arrays().values()))

    def to_scipy(self):
        """The weights as a ``scipy.sparse.csr_matrix`` (n_in, n_out), sharing no memory."""
        import scipy.sparse as sp
        return sp.csr_matrix((self.data.copy(), self.indices.copy(), self.indptr.copy()),
                             shape=(self.n_in, self.n_out))

    def copy_params(self):
        """A snapshot of weights and topology (not optimizer state), for keeping the best epoch."""
        return {"indptr": self.indptr.copy(), "indices": self.indices.copy(),
                "data": self.data.copy(), "bias": self.bias.copy()}

    def load_params(self, snap):
        """Restore a :meth:`copy_params` snapshot; optimizer state restarts at zero.

        The snapshot's CSR arrays are adopted as they are (no int64 keys are formed), so the
        restore at the end of training costs the mirror and the state, nothing more.
        """
        nnz = len(snap["indices"])
        self.set_csr(snap["indptr"], snap["indices"], snap["data"],
                     self.optimizer.new_state(nnz, self.dtype), shared=("indices", "data"))
        self.bias[:] = snap["bias"]

"""The MLP: a stack of sparse or dense layers, ReLU hidden units, softmax over classes, mean CE.

``MLP`` only knows layers through their shared API (``forward``, ``backward``, ``input_grad``,
``add_strength``), so the sparse network and the dense baseline are the same code. Activations
are feature-major, ``(n_units, batch)``; buffers are allocated once per batch size.
"""

import numpy as np
import scipy.sparse as sp

from .dense_layer import DenseLayer
from .init import init_values, layer_nnz
from .kernels import products
from .losses import ClassSoftmaxCE, softmax_columns
from .optim import Optimizer
from .sparse_batch import SparseBatch
from .sparse_layer import SparseLayer
from .topology.positions import random_keys

#: Rows per prediction mini-batch, and the most bytes its dense input block (d, batch) may
#: take: at 200,000 inputs a 1,024-row block alone would be 800 MB. The block outlives the
#: validation pass (one flat buffer serves every batch size), so it is kept near a training
#: batch's: 8 MiB is 104 rows at 20,000 inputs, already a BLAS-sized product.
EVAL_BATCH = 1024
EVAL_BATCH_BYTES = 8 << 20


class MLP:
    """Multilayer perceptron ``d -> h_1 -> ... -> C``.

    Parameters
    ----------
    layers : list of Layer (sparsefs.nn.layer)
        Consecutive layers; ``layers[k].n_out == layers[k + 1].n_in``.
    loss : ClassSoftmaxCE or BatchSoftmaxCE (sparsefs.nn.losses), optional
        The training loss; the class softmax by default. The forward pass always leaves class
        probabilities in the output buffer (for attribution and prediction).
    """

    def __init__(self, layers, loss=None):
        self.layers = list(layers)
        self.dtype = self.layers[0].dtype
        self.loss_fn = loss or ClassSoftmaxCE()
        self._capacity, self._views = 0, {}
        self._flat = self._flat_grads = None
        self._xt_flat, self._xt_capacity, self._sparse_batch = None, 0, None
        self._logits = {}
        self.input_scaling = None
        self.gathered_inputs, self._all_inputs = None, None

    @property
    def n_features(self):
        return self.layers[0].n_in

    @property
    def n_classes(self):
        return self.layers[-1].n_out

    @property
    def shapes(self):
        return [(layer.n_in, layer.n_out) for layer in self.layers]

    @property
    def optimizer(self):
        return self.layers[0].optimizer

    def buffers(self, batch):
        """Work arrays for a mini-batch of ``batch`` samples: ``(acts, grads)`` with
        ``acts[k]``, ``grads[k]`` (n_out_k, batch), C-contiguous.

        One set of flat arrays, sized for the largest batch met so far, backs every batch
        size: smaller batches (the last partial one, validation) get views of its first
        elements, so nothing is allocated per batch size.
        """
        if batch > self._capacity:
            widths = [layer.n_out for layer in self.layers]
            self._flat = [np.empty(w * batch, dtype=self.dtype) for w in widths]
            self._flat_grads = [np.empty(w * batch, dtype=self.dtype) for w in widths]
            self._capacity, self._views = batch, {}
        if batch not in self._views:
            self._views[batch] = ([_view(f, self._capacity, batch) for f in self._flat],
                                  [_view(f, self._capacity, batch) for f in self._flat_grads])
        return self._views[batch]

    def input_block(self, batch):
        """The dense input block (d, batch) a dense gather fills, backed like :meth:`buffers`
        by one flat array for the largest batch; allocated only when a dense batch is
        gathered (a sparse X on a sparse first layer never needs it)."""
        if batch > self._xt_capacity:
            # Zeros, not empty: inputs left out of the gather (set_gathered_inputs) stay 0.
            self._xt_flat = np.zeros(self.n_features * batch, dtype=self.dtype)
            self._xt_capacity = batch
        return _view(self._xt_flat, self._xt_capacity, batch)

    def release_buffers(self):
        """Drop the work arrays (the next step allocates them again): a trained network then
        holds only its parameters, not (d, batch) scratch."""
        self._capacity, self._views, self._logits = 0, {}, {}
        self._flat = self._flat_grads = None
        self._xt_flat, self._xt_capacity, self._sparse_batch = None, 0, None

    def eval_batch(self, limit=EVAL_BATCH, X=None):
        """Mini-batch size of prediction: ``limit`` rows, fewer for wide dense inputs so the
        input block stays within ``EVAL_BATCH_BYTES``. A CSR ``X`` on a sparse first layer
        builds no dense block (see :meth:`batch_input`), so it takes ``limit`` rows."""
        if X is not None and sp.issparse(X) and isinstance(self.layers[0], SparseLayer):
            return int(limit)
        per_row = self.n_features * np.dtype(self.dtype).itemsize
        return int(max(1, min(limit, EVAL_BATCH_BYTES // per_row)))

    def set_input_scaling(self, mean, scale):
        """Standardize every input as it is gathered: ``(x - mean) / scale`` per feature, in
        float64 (``mean`` None for sparse input, which is only scaled). The raw X is then
        what training and prediction read; it is never copied. ``scale`` None turns it off.
        """
        if scale is None:
            self.input_scaling = None
            return
        scale = np.ascontiguousarray(scale, dtype=np.float64)
        mean = None if mean is None else np.ascontiguousarray(mean, dtype=np.float64)
        self.input_scaling = (mean, scale, 1.0 / scale)

    def set_gathered_inputs(self, cols):
        """Gather only the features ``cols`` (sorted ints) of a dense X from now on; None
        gathers all. For inputs that hold no first-layer weight (pruned ones): their rows of
        the input block are never read, so they are left at 0. A CSR X is gathered whole (its
        gather costs its stored entries, whatever the first layer holds)."""
        if cols is not None:
            cols = np.ascontiguousarray(cols, dtype=np.int64)
            if len(cols) == self.n_features:
                cols = None
        if cols is not None or self.gathered_inputs is not None:
            if self._xt_flat is not None:
                self._xt_flat[:] = 0  # rows gathered before and not now must not keep stale values
        self.gathered_inputs = cols

    def batch_input(self, X, rows):
        """Rows ``rows`` of X (n, d), dense or CSR, as the feature-major input (d, batch),
        standardized on the way when :meth:`set_input_scaling` was called; only the
        features of :meth:`set_gathered_inputs` when it was. A CSR X on a sparse first layer
        gives a :class:`SparseBatch` instead, which holds only the stored values."""
        rows = np.asarray(rows, dtype=np.int64)
        scaling = self.input_scaling
        if sp.issparse(X) and isinstance(self.layers[0], SparseLayer):
            if self._sparse_batch is None:
                self._sparse_batch = SparseBatch(self.n_features, self.dtype)
            return self._sparse_batch.fill(X, rows, None if scaling is None else scaling[2])
        xt = self.input_block(len(rows))
        if sp.issparse(X):
            if scaling is None:
                products.gather_csr_rows_t(X.indptr, X.indices, X.data, rows, xt)
            else:
                products.gather_csr_rows_t_scaled(X.indptr, X.indices, X.data, rows,
                                                  scaling[2], xt)
            return xt
        cols = self.gathered_inputs
        if cols is None:
            if self._all_inputs is None:
                self._all_inputs = np.arange(self.n_features, dtype=np.int64)
            cols = self._all_inputs
        if scaling is None:
            products.gather_rows_t(X, rows, cols, xt)
        elif scaling[0] is None:
            raise ValueError("this network scales sparse input only; give X as CSR")
        else:
            products.gather_rows_t_scaled(X, rows, cols, scaling[0], scaling[2], xt)
        return xt

    def forward(self, XT):
        """Class probabilities (C, batch) for the input XT (d, batch).

        Keeps every layer's output in the batch's buffers for :meth:`backward` and attribution.
        """
        acts, _ = self.buffers(XT.shape[1])
        inp = XT
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            layer.forward(inp, acts[k], relu=k < last)
            inp = acts[k]
        if self.loss_fn.needs_logits:
            batch = XT.shape[1]
            if batch not in self._logits:
                self._logits[batch] = np.empty_like(acts[-1])
            np.copyto(self._logits[batch], acts[-1])
        if self.loss_fn.output_softmax:
            softmax_columns(acts[-1])
        return acts[-1]

    def backward(self, XT, y):
        """One optimizer step from the last :meth:`forward` on XT; returns the mean CE loss.

        ``y`` (batch,) int labels. The output gradient comes from the loss, ``(P - onehot(y)) /
        batch`` for the class softmax.
        """
        batch = XT.shape[1]
        acts, grads = self.buffers(batch)
        loss = self.loss_fn.value_and_grad(acts[-1], y, grads[-1], self._logits.get(batch))
        self.optimizer.begin_step()
        for k in range(len(self.layers) - 1, -1, -1):
            inp = XT if k == 0 else acts[k - 1]
            dinp = None if k == 0 else grads[k - 1]
            self.layers[k].backward(inp, grads[k], dinp, relu_input=k > 0)
        return loss

    def layer_io(self, XT):
        """Inputs and output gradients of every layer from the last step: list of (XT_k, GT_k)."""
        acts, grads = self.buffers(XT.shape[1])
        return [(XT if k == 0 else acts[k - 1], grads[k]) for k in range(len(self.layers))]

    def predict_proba(self, X, batch=None, rows=None):
        """Class probabilities (n, C) for the rows ``rows`` of X (default all), dense or CSR,
        in mini-batches of ``batch`` (default :meth:`eval_batch`); X is never copied. For a
        regression network (linear outputs) these are its outputs (n, n_outputs)."""
        batch = batch or self.eval_batch(X=X)
        rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
        n = len(rows)
        out = np.empty((n, self.n_classes), dtype=np.float64)
        for s in range(0, n, batch):
            out[s:s + batch] = self.forward(self.batch_input(X, rows[s:s + batch])).T
        return out

    def loss(self, X, y, batch=None, rows=None):
        """Mean training loss on the rows ``rows`` of (X, y) (default all) without any update:
        cross-entropy of the class softmax, or the batch-softmax loss on mini-batches of its
        own ``eval_batch``. ``y`` is indexed like X."""
        rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
        y = np.asarray(y)[rows]
        if self.loss_fn.needs_logits:
            return self._batch_loss(X, y, rows, self.loss_fn.eval_batch)
        return self.loss_fn.mean_loss(self.predict_proba(X, batch, rows), y)

    def _batch_loss(self, X, y, rows, batch):
        """Sample-weighted mean of the loss of each mini-batch of ``batch`` rows, in order."""
        n, total = len(rows), 0.0
        for s in range(0, n, batch):
            part = rows[s:s + batch]
            self.forward(self.batch_input(X, part))
            total += self.loss_fn.value(self._logits[len(part)], y[s:s + batch]) * len(part)
        return total / n

    def nbytes(self):
        """Bytes of all layer arrays: weights, indices, optimizer state (no activations)."""
        return sum(layer.nbytes() for layer in self.layers)


def _view(flat, capacity, batch):
    """The (rows, batch) view of the first elements of ``flat``, which holds (rows, capacity)."""
    return flat[: flat.size // capacity * batch].reshape(-1, batch)


def build_mlp(n_features, n_classes, hidden=(1000, 100), method="set", density=0.2,
              optimizer=None, rng=None, dtype=np.float32, loss=None):
    """A freshly initialised MLP: sparse ERK layers for "set"/"rigl", dense for "dense".

    Parameters
    ----------
    n_features, n_classes : int
    hidden : sequence of int
        Hidden layer widths.
    method : {"set", "rigl", "guided", "dense"}
    density : float in (0, 1]
        Global fraction of weights stored (ERK per layer); ignored for "dense".
    optimizer : Optimizer, optional
        Shared by all layers; Adam with the paper's settings by default.
    rng : numpy.random.Generator
    dtype : float32 or float64
    loss : training loss (``sparsefs.nn.losses``), optional; the class softmax by default.

    Returns
    -------
    MLP
    """
    rng = np.random.default_rng(rng)
    optimizer = optimizer or Optimizer()
    dtype = np.dtype(dtype)
    sizes = [int(n_features), *map(int, hidden), int(n_classes)]
    shapes = list(zip(sizes[:-1], sizes[1:]))
    layers = []
    if method == "dense":
        for n_in, n_out in shapes:
            W = init_values(n_in, n_in * n_out, rng, dtype).reshape(n_in, n_out)
            b = init_values(n_in, n_out, rng, dtype)
            layers.append(DenseLayer(W, b, optimizer))
        return MLP(layers, loss)
    counts = layer_nnz(shapes, density)
    for (n_in, n_out), nnz in zip(shapes, counts):
        keys = random_keys(n_in, n_out, nnz, rng)
        values = init_values(n_in, nnz, rng, dtype)
        b = init_values(n_in, n_out, rng, dtype)
        layers.append(SparseLayer(n_in, n_out, keys, values, b, optimizer, owns_values=True))
    return MLP(layers, loss)

"""Input-feature importance: neuron strength and neuron attribution.

Neuron strength of input ``j`` is ``sum_i |W1[j, i]|``, the total magnitude of its outgoing
weights. Neuron attribution is ``sum_c mean_k |d p_c(x_k) / d x_kj|``, ``p`` the softmax output.

The attribution Jacobian ``J = (diag(p) - p p^T) W3^T D2 W2^T D1 W1^T`` (per sample) is applied
from the output side, as one vector-Jacobian product per class: the cotangent of class ``c`` is
``p_c (e_c - p)``, which then flows back through the layers' ``input_grad`` (sparse products)
and the ReLU masks. Costs ``2 * C * batch * sum(nnz)`` FLOPs; evaluating the chain from the input
side instead would fill in ``D1 W1^T`` products of size ``n_hidden x d`` per sample.
"""

import numpy as np

from . import kernels

# Bound on the (d, classes * batch) input-gradient block, so many classes x wide data stay small.
_BLOCK_BYTES = 64 << 20


def neuron_strength(network, out=None):
    """Neuron strength of every input, (d,) float64, added to ``out`` when given."""
    out = np.zeros(network.n_features) if out is None else out
    network.layers[0].add_strength(out)
    return out


def neuron_attribution(network, XT, out=None):
    """Neuron attribution of every input on the mini-batch of the last ``forward(XT)``.

    Parameters
    ----------
    network : MLP
        Its buffers must hold the forward pass of ``XT`` (weights not yet updated).
    XT : ndarray, shape (d, batch)
    out : ndarray, shape (d,), float64, optional
        Accumulator; the batch's scores are added to it.

    Returns
    -------
    ndarray, shape (d,): ``sum_c mean_k |d p_c / d x_j|`` (added to ``out``).
    """
    d, batch = XT.shape
    out = np.zeros(d) if out is None else out
    _, acts, _ = network.buffers(batch)
    P = acts[-1]
    C = P.shape[0]
    itemsize = np.dtype(network.dtype).itemsize
    per_class = max(1, min(C, _BLOCK_BYTES // max(1, d * batch * itemsize)))
    for c0 in range(0, C, per_class):
        classes = np.arange(c0, min(C, c0 + per_class))
        G = class_cotangents(P, classes)
        for k in range(len(network.layers) - 1, -1, -1):
            layer = network.layers[k]
            dX = np.empty((layer.n_in, G.shape[1]), dtype=network.dtype)
            layer.input_grad(G, dX)
            if k > 0:
                kernels.relu_backward(np.tile(acts[k - 1], len(classes)), dX)
            G = dX
        kernels.add_abs_row_sums(G, 1.0 / batch, out)
    return out


def class_cotangents(P, classes):
    """Cotangents ``p_c (e_c - p)`` of the listed classes, stacked: (C, len(classes) * batch).

    Column ``m * batch + k`` is ``d p_c(x_k) / d z`` for ``c = classes[m]``, z the logits.
    """
    C, batch = P.shape
    G = np.empty((C, len(classes) * batch), dtype=P.dtype)
    for m, c in enumerate(classes):
        block = G[:, m * batch:(m + 1) * batch]
        np.multiply(P, -P[c], out=block)
        block[c] += P[c]
    return G


def attribution_flops(network, batch):
    """FLOPs of :func:`neuron_attribution` on one mini-batch (a multiply-add = 2)."""
    C = network.n_classes
    return 2 * C * batch * sum(layer.nnz for layer in network.layers)

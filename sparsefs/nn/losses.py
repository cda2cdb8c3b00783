"""Output losses of the MLP: the standard class softmax + cross-entropy, a replication of the
published code's batch-axis softmax followed by cross-entropy, and mean squared error on
linear outputs for regression.

Each writes the loss gradient with respect to the last layer's pre-activations, ``dL/dZ``
(outputs, batch), including the 1/batch of a mean loss; each knows what the forward pass
leaves in the output buffer (``output_softmax``), the mean loss of a prediction
(``mean_loss``) and the output cotangents attribution differentiates (``cotangents``).
"""

import numpy as np

# Floor of a probability before its log, so a saturated softmax gives a large finite loss
# instead of inf (float32 underflows to 0 near 1e-45; 1e-12 keeps the loss below ~28).
PROB_FLOOR = 1e-12

#: Axes the output softmax can run over: "class" (the standard) or "batch" (the published
#: code's ``softmax(out, dim=0)``, a bug reproduced only to study its effect).
SOFTMAX_AXES = ("class", "batch")


def softmax_columns(Z):
    """In place, ``Z[:, b] = softmax(Z[:, b])`` over classes; Z is (C, batch)."""
    Z -= Z.max(axis=0, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=0, keepdims=True)


def cross_entropy(P, y):
    """Mean of ``-log P[y_b, b]`` over the batch; P is (C, batch)."""
    picked = P[y, np.arange(P.shape[1])]
    return float(-np.mean(np.log(np.maximum(picked, PROB_FLOOR))))


def softmax_cotangents(P, classes):
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


def _mean_ce(P, y):
    """Mean cross-entropy of predicted probabilities P (n, C) for labels y (n,)."""
    return float(-np.mean(np.log(np.maximum(P[np.arange(len(y)), y], PROB_FLOOR))))


class ClassSoftmaxCE:
    """Softmax over the classes of each sample, then mean cross-entropy."""

    axis = "class"
    needs_logits = False
    output_softmax = True
    #: Attribution cotangents are those of a class softmax (p_c (e_c - p)).
    softmax_attribution = True

    def mean_loss(self, P, y):
        """Mean loss of probabilities P (n, C) for labels y (n,)."""
        return _mean_ce(P, y)

    def cotangents(self, P, outputs):
        """``d p_c / d z`` of the listed classes, stacked (see :func:`softmax_cotangents`)."""
        return softmax_cotangents(P, outputs)

    def value_and_grad(self, P, y, G, Z=None):
        """Loss of the class probabilities P (C, batch) for labels y (batch,); G (C, batch)
        receives ``(P - onehot(y)) / batch``."""
        batch = P.shape[1]
        loss = cross_entropy(P, y)
        np.copyto(G, P)
        G[y, np.arange(batch)] -= 1.0
        G /= batch
        return loss


class BatchSoftmaxCE:
    """The published code's training loss: ``CrossEntropyLoss(softmax(Z, dim=batch))``.

    The softmax runs over the samples of the mini-batch (for each class), and cross-entropy
    then applies its own log-softmax over the classes of those values. Its validation loss is
    computed the same way on mini-batches of ``eval_batch`` samples, as the published
    ``evaluate`` does on its loader.
    """

    axis = "batch"
    needs_logits = True
    output_softmax = True
    cotangents = ClassSoftmaxCE.cotangents
    softmax_attribution = True

    def __init__(self, eval_batch=100):
        self.eval_batch = int(eval_batch)

    @staticmethod
    def _forward(Z):
        Pb = Z - Z.max(axis=1, keepdims=True)
        np.exp(Pb, out=Pb)
        Pb /= Pb.sum(axis=1, keepdims=True)
        Q = Pb - Pb.max(axis=0, keepdims=True)
        np.exp(Q, out=Q)
        Q /= Q.sum(axis=0, keepdims=True)
        return Pb, Q

    def value(self, Z, y):
        """Mean loss of the logits Z (C, batch) for labels y (batch,)."""
        return cross_entropy(self._forward(np.asarray(Z, dtype=np.float64))[1], y)

    def value_and_grad(self, P, y, G, Z=None):
        """Loss of the logits Z (C, batch); G (C, batch) receives ``dL/dZ``. P is unused."""
        batch = Z.shape[1]
        Pb, Q = self._forward(np.asarray(Z, dtype=np.float64))
        loss = cross_entropy(Q, y)
        dP = Q
        dP[y, np.arange(batch)] -= 1.0
        dP /= batch
        # Through the batch softmax of each class row: dZ = Pb * (dP - sum_b Pb * dP).
        G[:] = Pb * (dP - (Pb * dP).sum(axis=1, keepdims=True))
        return loss


class MeanSquaredError:
    """Mean over samples and outputs of ``(f - y)^2``, on linear outputs (regression).

    Targets are (batch, n_outputs) floats; the network's outputs are (n_outputs, batch).
    """

    axis = None
    needs_logits = False
    output_softmax = False

    def value_and_grad(self, P, y, G, Z=None):
        """Loss of the outputs P (O, batch) for targets y (batch, O); G (O, batch) receives
        ``2 (P - y^T) / (batch * O)``."""
        np.subtract(P, y.T, out=G)
        loss = float(np.mean(np.square(G, dtype=np.float64)))
        G *= 2.0 / G.size
        return loss

    def mean_loss(self, P, y):
        """Mean squared error of predictions P (n, O) for targets y (n, O)."""
        return float(np.mean((P - y) ** 2))

    def cotangents(self, P, outputs):
        """``d f_o / d z`` of the listed outputs: unit vectors, stacked (n_out, len * batch)."""
        n_out, batch = P.shape
        G = np.zeros((n_out, len(outputs) * batch), dtype=P.dtype)
        for m, o in enumerate(outputs):
            G[o, m * batch:(m + 1) * batch] = 1.0
        return G


def make_loss(softmax_axis="class", eval_batch=100, task="classification"):
    """The loss of ``task``: mean squared error for "regression", else the cross-entropy of
    ``softmax_axis`` (see :data:`SOFTMAX_AXES`)."""
    if task == "regression":
        return MeanSquaredError()
    if softmax_axis == "class":
        return ClassSoftmaxCE()
    if softmax_axis == "batch":
        return BatchSoftmaxCE(eval_batch)
    raise ValueError(f"softmax_axis must be one of {SOFTMAX_AXES}, got {softmax_axis!r}")

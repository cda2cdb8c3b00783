"""Optimizer hyper-parameters and step counter, shared by sparse and dense layers.

The update itself runs in a kernel (``kernels.fused.dense_optimizer_step``, over a layer's flat
weights, gradients and state, right after its backward pass); this object only decides the
scalars of each step and how many state arrays each weight carries.
"""

import numpy as np

from .kernels.fused import ADAM, SGD

ADAM_FLOPS_PER_WEIGHT = 14
SGD_FLOPS_PER_WEIGHT = 4


class Optimizer:
    """Adam (default) or SGD with momentum, with coupled L2 weight decay ``g += l2 * w``.

    Parameters
    ----------
    name : {"adam", "sgd"}
    lr : float
        Learning rate.
    l2 : float
        Coupled L2 coefficient, added to the gradient of every weight (not of biases).
    beta1, beta2, eps : float
        Adam's moment decays and denominator guard; for SGD ``momentum`` is used instead.
    momentum : float
        SGD momentum.
    """

    def __init__(self, name="adam", lr=1e-3, l2=1e-4, beta1=0.9, beta2=0.999, eps=1e-8,
                 momentum=0.9):
        if name not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {name!r}")
        self.name, self.lr, self.l2 = name, float(lr), float(l2)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.momentum = float(momentum)
        self.t = 0

    @property
    def n_state(self):
        """State arrays per weight: 2 for Adam (m, v), 1 for SGD (momentum)."""
        return 2 if self.name == "adam" else 1

    def new_state(self, n, dtype):
        """Zero optimizer state for ``n`` weights: a list of ``n_state`` arrays (n,)."""
        return [np.zeros(n, dtype=dtype) for _ in range(self.n_state)]

    @staticmethod
    def moments(state):
        """The ``(m, v)`` arrays the kernels take; SGD passes its one buffer twice (v unused)."""
        return (state[0], state[1]) if len(state) == 2 else (state[0], state[0])

    @staticmethod
    def named_state(state, bias_state):
        """State arrays of a layer by name (``state0``, ``bias_state0``, ...), for accounting."""
        out = {f"state{k}": a for k, a in enumerate(state)}
        out.update({f"bias_state{k}": a for k, a in enumerate(bias_state)})
        return out

    def begin_step(self):
        """Advance the step counter; call once per mini-batch before the layers update."""
        self.t += 1

    def scalars(self, dtype, l2=None):
        """Arguments ``(opt, l2, b1, c1, b2, c2, step, ibc2, eps)`` of the update kernels
        (see ``kernels.fused._update``), the floats as numpy scalars of ``dtype``, the
        weights' dtype, so the kernels compute each update in it.

        Adam: ``b1, c1 = beta1, 1 - beta1``, ``b2, c2 = beta2, 1 - beta2``, the bias
        corrections folded into ``step = lr / (1 - beta1^t)`` and ``ibc2 = 1 / (1 - beta2^t)``
        (PyTorch's form, computed in float64 once per step). SGD: ``b1`` the momentum,
        ``c1 = 1``, ``step = lr``.
        """
        l2 = self.l2 if l2 is None else l2
        f = np.dtype(dtype).type
        if self.name == "adam":
            t = max(self.t, 1)
            bc1, bc2 = 1.0 - self.beta1 ** t, 1.0 - self.beta2 ** t
            return (ADAM, f(l2), f(self.beta1), f(1.0 - self.beta1), f(self.beta2),
                    f(1.0 - self.beta2), f(self.lr / bc1), f(1.0 / bc2), f(self.eps))
        return (SGD, f(l2), f(self.momentum), f(1.0), f(0.0), f(0.0), f(self.lr), f(1.0),
                f(0.0))

    @property
    def flops_per_weight(self):
        """Arithmetic of one weight's update, a multiply-add counted as 2 (see accounting).

        Adam: 3 for ``m``, 4 for ``v``, 2 bias corrections, 3 for ``sqrt(.) + eps`` and the
        division, 2 for the learning-rate step = 14. SGD: 2 for the momentum, 2 for the step
        = 4. The coupled L2 term (one multiply-add, weights only) is not counted.
        """
        return ADAM_FLOPS_PER_WEIGHT if self.name == "adam" else SGD_FLOPS_PER_WEIGHT

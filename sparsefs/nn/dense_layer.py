"""``DenseLayer``: the baseline every sparse figure is compared to, with the same API.

It is deliberately as lean as the sparse path: BLAS products into preallocated buffers and the
same in-place optimizer kernel, so a ratio sparse/dense measures sparsity, not waste.
"""

import numpy as np

from .kernels import fused, products
from .optim import Optimizer

# Rows of |W| formed at a time by add_strength.
STRENGTH_BLOCK_BYTES = 4 << 20


class DenseLayer:
    """A fully connected layer ``n_in -> n_out`` with a dense weight array ``W`` (n_in, n_out).

    Parameters
    ----------
    W : ndarray, shape (n_in, n_out)
        Initial weights; its dtype is the layer's. Copied.
    bias : ndarray, shape (n_out,)
    optimizer : Optimizer
    """

    def __init__(self, W, bias, optimizer: Optimizer):
        self.W = np.array(W, order="C")
        self.n_in, self.n_out = self.W.shape
        self.dtype = self.W.dtype
        self.optimizer = optimizer
        self.bias = np.array(bias, dtype=self.dtype)
        self.grad = np.zeros_like(self.W)
        self.bias_grad = np.zeros_like(self.bias)
        self.state = optimizer.new_state(self.W.size, self.dtype)
        self.bias_state = optimizer.new_state(self.n_out, self.dtype)

    @property
    def nnz(self) -> int:
        return int(self.W.size)

    @property
    def density(self) -> float:
        return 1.0

    def forward(self, XT: np.ndarray, out: np.ndarray, relu: bool = False) -> None:
        """``out = W^T XT + bias``: XT (n_in, batch) -> out (n_out, batch), in place;
        ``max(out, 0)`` with ``relu``."""
        np.matmul(self.W.T, XT, out=out)
        out += self.bias[:, None]
        if relu:
            np.maximum(out, 0, out=out)

    def backward(self, XT: np.ndarray, GT: np.ndarray, dXT: np.ndarray | None = None,
                 relu_input: bool = False) -> None:
        """Gradient step on W and bias; ``dXT = W GT`` with the weights before the step, times
        the ReLU derivative ``XT > 0`` with ``relu_input``."""
        if dXT is not None:
            np.matmul(self.W, GT, out=dXT)
            if relu_input:
                products.relu_backward(XT, dXT)
        np.matmul(XT, GT.T, out=self.grad)
        np.sum(GT, axis=1, out=self.bias_grad)
        m, v = self.optimizer.moments(self.state)
        fused.dense_optimizer_step(self.W.reshape(-1), self.grad.reshape(-1), m, v,
                                     *self.optimizer.scalars(self.W.dtype))
        bm, bv = self.optimizer.moments(self.bias_state)
        fused.dense_optimizer_step(self.bias, self.bias_grad, bm, bv,
                                     *self.optimizer.scalars(self.W.dtype, l2=0.0))

    def input_grad(self, GT: np.ndarray, dXT: np.ndarray) -> None:
        """``dXT = W GT``: GT (n_out, b) -> dXT (n_in, b)."""
        np.matmul(self.W, GT, out=dXT)

    def input_grad_abs_sum(self, GT: np.ndarray, scale: float, out: np.ndarray) -> None:
        """``out[i] += scale * sum_b |(W GT)[i, b]|``; the dense baseline forms ``W GT``."""
        products.add_abs_row_sums(self.W @ GT, scale, out)

    def weight_grad(self, XT: np.ndarray, GT: np.ndarray) -> np.ndarray:
        """Loss gradient of every weight, (n_in * n_out,), row-major, without L2."""
        return (XT @ GT.T).reshape(-1)

    def add_strength(self, out: np.ndarray) -> None:
        """``out[i] += sum_j |W[i, j]|``; out is (n_in,) float64.

        In blocks of rows, so the temporary ``|W|`` is a few MB, not the size of W (each row's
        sum is the same numpy reduction either way).
        """
        step = max(1, STRENGTH_BLOCK_BYTES // max(1, self.W[0].nbytes))
        for r0 in range(0, self.n_in, step):
            out[r0:r0 + step] += np.abs(self.W[r0:r0 + step]).sum(axis=1)

    def arrays(self):
        """Every array the layer holds, for byte accounting: name -> ndarray."""
        return {"W": self.W, "grad": self.grad, "bias": self.bias, "bias_grad": self.bias_grad,
                **self.optimizer.named_state(self.state, self.bias_state)}

    def nbytes(self) -> int:
        """Bytes of weights, gradient buffer and optimizer state of this layer."""
        return int(sum(a.nbytes for a in self.arrays().values()))

    def copy_params(self):
        return {"W": self.W.copy(), "bias": self.bias.copy()}

    def load_params(self, snap):
        self.W[:] = snap["W"]
        self.bias[:] = snap["bias"]
        for s in self.state + self.bias_state:
            s[:] = 0

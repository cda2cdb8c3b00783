"""The one interface every layer of an :class:`~sparsefs.nn.network.MLP` offers.

``SparseLayer`` (CSR weights) and ``DenseLayer`` (the baseline) both satisfy it, so the network,
the importance scores and the training loop are one code path for both. Shapes follow the
engine's convention: activations are feature-major, ``(units, batch)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Layer(Protocol):
    """A fully connected layer ``n_in -> n_out`` that trains its own weights in place.

    Attributes
    ----------
    n_in, n_out : int
    dtype : numpy.dtype
        float32 or float64; activations passed in must have it.
    optimizer : sparsefs.nn.optim.Optimizer
        Shared by the network's layers; holds the step counter and the hyper-parameters.
    nnz : int
        Stored weights (``n_in * n_out`` for a dense layer).
    density : float
        ``nnz / (n_in * n_out)``; a layer at 1.0 has no empty position to regrow into, so
        topology rules leave it alone.
    """

    n_in: int
    n_out: int
    dtype: np.dtype

    @property
    def nnz(self) -> int: ...

    @property
    def density(self) -> float: ...

    def forward(self, XT: np.ndarray, out: np.ndarray, relu: bool = False) -> None:
        """``out = W^T XT + bias``: XT (n_in, batch) -> out (n_out, batch), written in place;
        ``max(out, 0)`` with ``relu``."""

    def backward(self, XT: np.ndarray, GT: np.ndarray, dXT: np.ndarray | None = None,
                 relu_input: bool = False) -> None:
        """One optimizer step on weights and bias from the layer input XT (n_in, batch) and the
        loss gradient GT (n_out, batch) at its outputs (1/batch included); ``dXT`` (n_in,
        batch), when given, receives ``W GT`` with the weights before the step, times the ReLU
        derivative ``XT > 0`` with ``relu_input`` (XT a ReLU output)."""

    def input_grad(self, GT: np.ndarray, dXT: np.ndarray) -> None:
        """``dXT = W GT`` without touching the weights: GT (n_out, b) -> dXT (n_in, b)."""

    def input_grad_abs_sum(self, GT: np.ndarray, scale: float, out: np.ndarray) -> None:
        """``out[i] += scale * sum_b |(W GT)[i, b]|``: the input gradient reduced to (n_in,)
        float64, as attribution needs it; a sparse layer never stores ``W GT``."""

    def weight_grad(self, XT: np.ndarray, GT: np.ndarray) -> np.ndarray:
        """Loss gradient of every stored weight, (nnz,), in storage order, without L2."""

    def add_strength(self, out: np.ndarray) -> None:
        """``out[i] += sum_j |W[i, j]|`` for every input ``i``; out is (n_in,) float64."""

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array the layer holds, by name, for byte accounting."""

    def nbytes(self) -> int:
        """Bytes of all arrays in :meth:`arrays`."""

    def copy_params(self) -> dict[str, np.ndarray]:
        """A snapshot of weights (and topology), for restoring the best epoch."""

    def load_params(self, snap: dict[str, np.ndarray]) -> None:
        """Restore a :meth:`copy_params` snapshot; optimizer state restarts at zero."""

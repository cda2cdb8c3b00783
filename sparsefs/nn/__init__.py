"""The engine: a truly sparse MLP on CSR arrays, trained by dynamic sparse training.

Where things are, bottom up (imports flow this way only):

- ``kernels/``       Numba kernels over raw CSR arrays: ``products``, ``fused`` (backward pass,
                     optimizer step), ``topology`` (mirror, merges, top-k)
- ``layer.py``       the Layer interface; ``sparse_layer.py`` (CSR) and ``dense_layer.py``
                     (the baseline) implement it; ``optim.py`` holds the optimizer's scalars
- ``init.py``        Erdos-Renyi-Kernel densities and initial weights
- ``topology/``      prune and grow rules, the drop schedule, SET and RigL as compositions
- ``network.py``     the MLP and ``build_mlp``
- ``importance.py``  neuron strength, neuron attribution and their accumulation
- ``training.py``    the training loop with early stopping
- ``accounting.py``  FLOPs and bytes of a run
"""

from .dense_layer import DenseLayer
from .importance import ImportanceAccumulator, neuron_attribution, neuron_strength
from .layer import Layer
from .network import MLP, build_mlp
from .optim import Optimizer
from .sparse_layer import SparseLayer
from .training import Counters, TrainConfig, TrainResult, train_mlp

__all__ = ["Counters", "DenseLayer", "ImportanceAccumulator", "Layer", "MLP", "Optimizer",
           "SparseLayer", "TrainConfig", "TrainResult", "build_mlp", "neuron_attribution",
           "neuron_strength", "train_mlp"]

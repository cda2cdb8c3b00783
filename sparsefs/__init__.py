"""sparsefs: feature selection with truly sparse neural networks."""

import os

__version__ = "0.1.0"

# Numba's OpenMP threads busy-wait after each parallel kernel by default, starving OpenBLAS's
# threads (and vice versa): measured 10x slower dense GEMMs and 20x slower sparse kernels when
# both run in one process. A passive wait policy removes that; the user's own setting wins.
# It must be set before Numba first loads its OpenMP runtime, i.e. before any kernel runs.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["SparseFeatureSelector", "__version__"]


def __getattr__(name):
    # Lazy: importing scikit-learn costs ~1 s, which every CLI start (even --help) would pay.
    if name == "SparseFeatureSelector":
        from .selector import SparseFeatureSelector
        return SparseFeatureSelector
    raise AttributeError(f"module 'sparsefs' has no attribute {name!r}")

"""sparsefs: feature selection with truly sparse neural networks."""

import os

__version__ = "0.1.0"

# Numba's OpenMP threads and OpenBLAS's threads each busy-wait after their work by default and
# starve each other when one process uses both (a dense madelon step took 24 ms instead of 2).
# Measured on 2 cores at madelon's shape: a passive OpenMP wait fixes the starvation (dense
# backward 2.1 ms, sparse 1.8 ms); letting OpenBLAS threads sleep soon as well halves both
# (1.3 and 0.9 ms), but OpenBLAS reads that only when numpy is first imported, so it helps when
# sparsefs comes first (the CLI) and is harmless otherwise. The user's own settings win.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__all__ = ["SparseFeatureSelector", "__version__"]


def __getattr__(name):
    # Lazy: importing scikit-learn costs ~1 s, which every CLI start (even --help) would pay.
    if name == "SparseFeatureSelector":
        from .selector import SparseFeatureSelector
        return SparseFeatureSelector
    raise AttributeError(f"module 'sparsefs' has no attribute {name!r}")

"""sparsefs: feature selection with truly sparse neural networks."""

import os
import sys

__version__ = "0.1.0"

# Numba's OpenMP threads and OpenBLAS's threads each busy-wait after their work by default and
# starve each other when one process uses both (a dense madelon step took 24 ms instead of 2).
# Best measured on 2 cores (bench/run.py, madelon shape): short spins for both, then sleep
# (dense/sparse step 1.7x at density 0.2, 4.7x at 0.05). OpenBLAS reads its setting only when
# numpy first loads it; if numpy came first, its threads keep spinning, and a passive OpenMP
# wait is then the safe choice (1.1x and 2.0x). The user's own settings always win.
if "numpy" in sys.modules:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
else:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    os.environ.setdefault("GOMP_SPINCOUNT", "30000")

__all__ = ["SparseFeatureSelector", "__version__"]


def __getattr__(name):
    # Lazy: importing scikit-learn costs ~1 s, which every CLI start (even --help) would pay.
    if name == "SparseFeatureSelector":
        from .selector import SparseFeatureSelector
        return SparseFeatureSelector
    raise AttributeError(f"module 'sparsefs' has no attribute {name!r}")

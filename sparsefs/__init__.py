"""sparsefs: feature selection with truly sparse neural networks.

Importing the package has no side effects (the environment is left as it is; see
:func:`configure_threads` for the thread-wait policy the CLI applies).
"""

__version__ = "0.2.0"

__all__ = ["SparseFeatureSelector", "__version__", "configure_threads"]

from ._threading import configure_threads  # noqa: E402  (standard library only)


def __getattr__(name):
    # Lazy: importing scikit-learn costs ~1 s, which every CLI start (even --help) would pay.
    if name == "SparseFeatureSelector":
        from ._selector import SparseFeatureSelector
        return SparseFeatureSelector
    raise AttributeError(f"module 'sparsefs' has no attribute {name!r}")

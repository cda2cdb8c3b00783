"""sparsefs: feature selection with truly sparse neural networks."""

__version__ = "0.1.0"

from .selector import SparseFeatureSelector  # noqa: E402

__all__ = ["SparseFeatureSelector", "__version__"]

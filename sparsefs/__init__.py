"""sparsefs: feature selection with truly sparse neural networks."""

__version__ = "0.1.0"

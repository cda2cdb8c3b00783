"""Data: the registry of named data sets, file readers and writers, splits, scaling, and the
bundled files (``files/``: madelon and the paper's result tables).

Used by the estimator, the experiments and the CLI; never by the engine (``sparsefs.nn``).
Names are loaded on first use, so ``sparsefs.data.writers`` (which the CLI imports at start)
does not pull in numpy before the CLI has set the thread policy.
"""

_EXPORTS = {"Dataset": "load", "list_datasets": "load", "load_dataset": "load",
            "DATASETS": "registry", "DatasetInfo": "registry", "get_info": "registry",
            "is_file_argument": "registry", "resolve_data_dir": "registry"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

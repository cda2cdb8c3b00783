"""Data: the registry of named data sets, file readers and writers, splits, scaling, and the
bundled files (``files/``: madelon and the paper's result tables).

Used by the estimator, the experiments and the CLI; never by the engine (``sparsefs.nn``).
"""

from .load import Dataset, list_datasets, load_dataset
from .registry import DATASETS, DatasetInfo, get_info, is_file_argument, resolve_data_dir

__all__ = ["DATASETS", "Dataset", "DatasetInfo", "get_info", "is_file_argument",
           "list_datasets", "load_dataset", "resolve_data_dir"]

"""What the network learns to predict: class codes, or standardized continuous targets.

The task comes from ``y`` (scikit-learn's ``type_of_target``: "continuous" and
"continuous-multioutput" are regression, everything else classification) unless the estimator
names it. Classification encodes labels of any type to codes 0..C-1; regression standardizes
every target column with the training rows' statistics, so the network's outputs live on one
scale whatever the units of y.
"""

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target


def resolve_task(task, y):
    """ "classification" or "regression" for ``task`` ("auto" looks at y)."""
    if task != "auto":
        return task
    kind = type_of_target(y)
    return "regression" if kind in ("continuous", "continuous-multioutput") else "classification"


class ClassTargets:
    """Class labels (n,) of any type as int64 codes; ``n_outputs`` is the number of classes."""

    task = "classification"

    def __init__(self, y):
        if np.ndim(y) > 1 and np.shape(y)[1] > 1:
            raise ValueError("Classification takes one label per sample; y has "
                             f"{np.shape(y)[1]} columns. Pass task='regression' for several "
                             "continuous targets, or one label column.")
        y = np.ravel(y)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes = encoder.classes_
        if len(self.classes) < 2:
            raise ValueError(f"The target y has only one class ({self.classes[0]!r}); feature "
                             "selection for classification needs at least two classes.")
        self.codes = encoder.transform(y).astype(np.int64)
        self.n_outputs = len(self.classes)
        self.stratify = self.codes  # the validation split keeps every class's share

    def for_network(self, train_rows):
        """The int64 codes (n,) the network trains on."""
        return self.codes


class RegressionTargets:
    """Continuous targets (n,) or (n, n_outputs), standardized per column for training."""

    task = "regression"

    def __init__(self, y):
        y = np.asarray(y, dtype=np.float64)
        self.values = y.reshape(len(y), -1)
        if not np.isfinite(self.values).all():
            raise ValueError("The target y contains NaN or infinite values; drop those rows "
                             "or fill them in.")
        self.n_outputs = self.values.shape[1]
        self.mean = self.scale = None
        self.stratify = None  # a continuous target is split at random

    def for_network(self, train_rows):
        """The standardized (n, n_outputs) float targets the network trains on; mean and scale
        come from ``train_rows`` only, and a constant column keeps scale 1."""
        part = self.values[train_rows]
        self.mean = part.mean(axis=0)
        std = part.std(axis=0)
        self.scale = np.where(std > 0, std, 1.0)
        return (self.values - self.mean) / self.scale


def label_task(task, classes, codes, name):
    """(task, y) for labels read from a file as ``classes[codes]`` (what the data readers give).

    "regression" needs numeric labels and returns their values as float64; "auto" decides on
    the values with :func:`resolve_task`; classification returns the int codes. Asking for
    classification of non-integer numbers (a continuous target) is refused, not turned into
    one class per distinct value.
    """
    from .errors import InputError

    numeric = classes.dtype.kind in "iuf"
    values = classes[codes]
    if task == "regression" and not numeric:
        raise InputError(f"The labels of {name} are not numbers, so they cannot be a "
                         "regression target; drop --task regression or give numeric labels.")
    continuous = numeric and resolve_task("auto", values) == "regression"
    if task == "classification" and continuous:
        raise InputError(f"The labels of {name} are non-integer numbers, a continuous target, "
                         "so they cannot be classes; use --task regression (or auto).")
    if task == "regression" or (task == "auto" and continuous):
        return "regression", values.astype(np.float64)
    return "classification", codes


def make_targets(task, y):
    """The target handler of ``task`` ("classification" or "regression") for y."""
    return RegressionTargets(y) if task == "regression" else ClassTargets(y)

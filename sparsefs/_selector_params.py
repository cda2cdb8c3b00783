"""The parameters of :class:`~sparsefs.SparseFeatureSelector` and their valid values, as
scikit-learn's parameter validation reads them; names and choices come from ``_config``."""

import numbers

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._config import DTYPES, IMPORTANCE_CHOICES, METHODS, RANKING_METRICS, SOLVERS, TASKS
from .nn.losses import SOFTMAX_AXES

PARAMETER_CONSTRAINTS = {
    "n_features_to_select": [Interval(numbers.Integral, 1, None, closed="left"),
                             Interval(numbers.Real, 0, 1, closed="right"),
                             StrOptions({"auto"})],
    "k_tol": [Interval(numbers.Real, 0, 1, closed="both")],
    "k_estimator": [HasMethods(["fit", "score"]), None],
    "method": [StrOptions(set(METHODS))],
    "density": [Interval(numbers.Real, 0, 1, closed="right")],
    "metric": [StrOptions(set(RANKING_METRICS))],
    "importance": [StrOptions(set(IMPORTANCE_CHOICES))],
    "hidden_layer_sizes": ["array-like"],
    "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "solver": [StrOptions(set(SOLVERS))],
    "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
    "l2": [Interval(numbers.Real, 0, None, closed="left")],
    "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
    "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
    "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
    "momentum": [Interval(numbers.Real, 0, 1, closed="both")],
    "update_every": [Interval(numbers.Integral, 1, None, closed="left")],
    "zeta": [Interval(numbers.Real, 0, 1, closed="both")],
    "zeta_end": [Interval(numbers.Real, 0, 1, closed="both")],
    "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
    "standardize": ["boolean"],
    "attribution": ["boolean"],
    "attribution_every": [Interval(numbers.Integral, 1, None, closed="left")],
    "max_time": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "callback": [callable, None],
    "dtype": [StrOptions(set(DTYPES))],
    "softmax_axis": [StrOptions(set(SOFTMAX_AXES))],
    "task": [StrOptions(set(TASKS))],
    "importance_history": ["boolean"],
    "prune_floor": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_jobs": [numbers.Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

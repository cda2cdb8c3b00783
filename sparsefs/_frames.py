"""The fitted selector's scores as a pandas DataFrame (pandas is optional)."""

import numpy as np


def importance_frame(selector):
    """One row per feature of a fitted ``SparseFeatureSelector``, most important first.

    Columns: ``feature`` (names from a DataFrame X, else x0, x1, ...), one per metric
    (``attr``, ``strength``), ``rank`` (1 = first), ``selected`` (bool), and with
    ``n_repeats > 1`` also ``frequency`` (share of repeats selecting it) and ``mean_rank``.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("importance_frame needs pandas, which is not installed; run "
                          "pip install pandas.") from None
    d = selector.n_features_in_
    names = getattr(selector, "feature_names_in_", None)
    names = names if names is not None else [f"x{j}" for j in range(d)]
    columns = {"feature": np.asarray(names, dtype=object), **selector.scores_,
               "rank": selector.ranking_, "selected": selector.get_support()}
    if hasattr(selector, "selection_frequency_"):
        columns.update(frequency=selector.selection_frequency_,
                       mean_rank=selector.mean_rank_)
    return pd.DataFrame(columns).iloc[selector.feature_order_].reset_index(drop=True)

"""Feature rankings from importance scores."""

import numpy as np


def rank_features(scores) -> np.ndarray:
    """Feature indices by decreasing score; ties keep the lower index first. (d,) int64."""
    return np.argsort(-np.asarray(scores), kind="stable").astype(np.int64)

"""Every train/test and train/validation split, seeded, in one place."""

import numpy as np

from ..errors import InputError


def paper_split(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The paper's split for sets without an official one: train (floor(0.8 n),), test (rest,).

    This is exactly ``train_test_split(..., train_size=0.8, shuffle=True, random_state=42)``
    as in the published code, i.e. NOT stratified, so it is the same test set the paper used
    whenever the rows are in the same order as the paper's file.
    """
    from sklearn.model_selection import train_test_split

    return tuple(train_test_split(np.arange(n_samples), train_size=0.8, shuffle=True,
                                  random_state=42))


def user_split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paper's split for a user file; stratified (same seed) instead only when the random
    split would leave some class out of the training part and every class has 2+ samples."""
    train, test = paper_split(len(y))
    counts = np.bincount(y)
    if len(np.unique(y[train])) < len(counts) and counts.min() >= 2 and len(test) >= len(counts):
        from sklearn.model_selection import train_test_split

        train, test = train_test_split(np.arange(len(y)), train_size=0.8, shuffle=True,
                                       stratify=y, random_state=42)
    return train, test


def check_split(split, n: int, src) -> tuple[np.ndarray, np.ndarray]:
    train, test = (np.asarray(s, dtype=np.int64).ravel() for s in split)
    if (len(train) == 0 or len(test) == 0 or min(train.min(), test.min()) < 0
            or max(train.max(), test.max()) >= n or np.intersect1d(train, test).size):
        raise InputError(f"train_idx/test_idx in {src} are not disjoint non-empty row indices "
                         f"below {n}; fix them or drop both to use the 80/20 split.")
    return train, test




def split_train_validation(n, y, fraction, rng):
    """Indices (train, validation) of a seeded split; stratified when every class can be.

    ``y`` is (n,) int class codes, or None for a continuous target (never stratified).
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    if fraction <= 0:
        return idx, idx[:0]
    strat = None
    if y is not None:
        counts = np.bincount(y)
        if counts[counts > 0].min() >= 2 and round(fraction * n) >= len(counts):
            strat = y
    seed = int(rng.integers(2**31 - 1))
    tr, va = train_test_split(idx, test_size=fraction, random_state=seed, stratify=strat)
    return np.sort(tr), np.sort(va)

"""The sorted-key kernels behind the guided regrowth, against numpy's set routines."""

import numpy as np
import pytest

from sparsefs.nn.kernels import sampling


@pytest.mark.parametrize("per_row", [0.5, 3.0, 40.0])  # the insertion and the np.sort path
def test_row_draws_become_the_sorted_distinct_keys_of_the_pairs(per_row):
    rng = np.random.default_rng(0)
    n_in, n_out = 300, 50
    counts = rng.poisson(per_row, n_in).astype(np.int64)
    cols = rng.integers(0, n_out, counts.sum(), dtype=np.int64)
    keys = np.empty(counts.sum(), dtype=np.int64)
    m = sampling.row_draws_to_keys(counts, cols, n_out, keys)
    rows = np.repeat(np.arange(n_in, dtype=np.int64), counts)
    np.testing.assert_array_equal(keys[:m], np.unique(rows * n_out + cols))


def test_thinning_keeps_an_ordered_uniform_subset_of_the_asked_size():
    rng = np.random.default_rng(1)
    keys = np.sort(rng.choice(10_000, 40, replace=False)).astype(np.int64)
    hits = np.zeros(len(keys))
    for _ in range(4000):
        out = sampling.thin_sorted(keys, 10, rng.random(len(keys)))
        assert len(out) == 10 and np.all(np.diff(out) > 0) and np.isin(out, keys).all()
        hits += np.isin(keys, out)
    # Every key is kept with probability 10 / 40: 1000 of 4000 runs, sd ~27.
    assert np.abs(hits - 1000).max() < 5 * np.sqrt(4000 * 0.25 * 0.75)
    np.testing.assert_array_equal(sampling.thin_sorted(keys, 40, rng.random(40)), keys)


def test_merge_and_difference_match_numpy():
    rng = np.random.default_rng(2)
    pool = rng.permutation(5000).astype(np.int64)
    a, b = np.sort(pool[:700]), np.sort(pool[700:1000])
    np.testing.assert_array_equal(sampling.merge_sorted(a, b), np.union1d(a, b))
    np.testing.assert_array_equal(sampling.merge_sorted(a, b[:0]), a)
    c = np.sort(rng.choice(5000, 900, replace=False)).astype(np.int64)
    np.testing.assert_array_equal(sampling.sorted_minus(c, a), np.setdiff1d(c, a))
    np.testing.assert_array_equal(sampling.sorted_minus(c, c[:0]), c)

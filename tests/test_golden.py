"""Same seed, same ranking: today's engine against rankings recorded before the layout move."""

import json

import numpy as np
import pytest
from golden import CASES, GOLDEN, rankings


@pytest.mark.parametrize("case", sorted(CASES))
def test_rankings_match_the_recorded_ones(case):
    import numba

    recorded = json.loads(GOLDEN.read_text())
    if numba.get_num_threads() != recorded["numba_threads"]:
        pytest.skip(f"recorded with {recorded['numba_threads']} Numba threads, this machine has "
                    f"{numba.get_num_threads()}: float32 sums are reordered by the thread count")
    got = rankings(case)
    for metric, order in recorded["cases"][case].items():
        np.testing.assert_array_equal(got[metric], order, err_msg=f"{case} {metric}")

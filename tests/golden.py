"""Rankings the engine must keep reproducing: same seed, same ranking, across refactors.

``python tests/golden.py`` wrote ``tests/data/golden_rankings.json`` first with the code of
commit f7678bc (the last flat-layout version), on this 2-core machine, and again when random
positions came to be drawn already sorted (exponential spacings), which changes every seed's
topology on purpose, and when the forward pass came to add four weights' products at a time
through the blocked mirror (float32 sums in another order), and when the products came to
hold a row's batch in vector registers (``kernels.simd``: sums in another order again; only
the RigL case's order changed, its top 20 did not), and when the optimizer came to update
float32 weights in float32 (only the sparse-input case changed: two neighbours at ranks 2,563
and 2,564 of 3,000 swapped); ``test_golden.py`` checks that
today's code gives exactly the recorded rankings. Float32 sums in the kernels are reordered by
the thread count (fastmath reassoc), so the file records the Numba thread count it was made
with.
"""

import json
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

GOLDEN = Path(__file__).parent / "data" / "golden_rankings.json"


def madelon_xy():
    """The bundled madelon training part (2000, 500) and its labels, read straight from the npz."""
    import sparsefs

    path = next(Path(sparsefs.__file__).parent.rglob("madelon.npz"))
    with np.load(path) as z:
        idx = z["train_idx"] if "train_idx" in z.files else np.arange(2000)
        return z["X"][idx].astype(np.float32), z["y"][idx]


def sparse_xy():
    """A seeded CSR problem (400, 3000), 1% stored, whose label depends on five columns."""
    rng = np.random.default_rng(7)
    X = sp.random(400, 3000, density=0.01, format="lil", random_state=rng, dtype=np.float32)
    X[:, :5] = rng.uniform(0, 2, size=(400, 5)).astype(np.float32)
    X = sp.csr_matrix(X)
    signal = np.asarray(X[:, :5].sum(axis=1)).ravel()
    return sp.csr_matrix(X), (signal > np.median(signal)).astype(int)


# Recorded with L2 1e-4, the default then; pinned so the record stays comparable.
CASES = {
    "madelon_set": (madelon_xy, dict(method="set", density=0.2, max_iter=3, l2=1e-4)),
    "madelon_rigl": (madelon_xy, dict(method="rigl", density=0.05, max_iter=2, l2=1e-4)),
    "madelon_dense": (madelon_xy, dict(method="dense", max_iter=2, l2=1e-4)),
    "sparse_input_set": (sparse_xy, dict(method="set", density=0.1, max_iter=4, l2=1e-4,
                                         hidden_layer_sizes=(64, 16))),
}


def rankings(case):
    """{metric: full feature order} of one case, seed 0, in the variant the rankings were
    recorded in (``sum_to_best``, the default until the variant study made it "auto")."""
    from sparsefs import SparseFeatureSelector

    make, params = CASES[case]
    X, y = make()
    sel = SparseFeatureSelector(20, random_state=0, **params).fit(X, y)
    return {m: np.argsort(-v["sum_to_best"], kind="stable").tolist()
            for m, v in sel.all_scores_.items()}


def main():
    import numba

    out = {"numba_threads": numba.get_num_threads(),
           "cases": {case: rankings(case) for case in CASES}}
    GOLDEN.write_text(json.dumps(out) + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Does choosing the importance window per run, on validation rows, beat the fixed rule?

``importance="auto"`` is one rule for every run (attribution summed up to the best epoch,
strength over every epoch), chosen once on validation accuracy. ``importance="validated"``
chooses, in every run, the window whose top K scores best on that run's own validation rows.
Both are choices on validation data; to compare them without the test split, each run's
validation rows are halved (seeded): the window is chosen on one half and scored on the other,
then the halves swap. The fixed rule is scored on the same halves. The test split is never read.

Each run is a ``SparseFeatureSelector`` fit with the study's protocol (paper K, paper batch size
and density, 200 epochs, hidden (1000, 100), ``standardize=False`` on the data set's scaling),
and every window's top K is scored, trained on the network's training rows, by ``SVC()`` (the
paper's protocol) and by the selector's own default chooser (scaled 5-nearest neighbours, as
``importance="validated"`` uses it).

    python bench/validated_window.py --datasets madelon,prostate_ge,lymphoma,pcmac,arcene \\
        --methods dense,set --seeds 0-2 --l2 1e-4 --data-dir ../shared/data \\
        --out bench/results/variants/validated_window.json
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def halves(n, seed):
    """Two halves of ``range(n)`` from a seeded permutation (sorted index arrays)."""
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2:])


def score_windows(sel, X, y, k):
    """``{scorer: {metric: {window: [score on half A, score on half B]}}}`` of the top ``k``
    features, the model trained on the network's training rows and scored on each half of its
    validation rows; scorers "svc" and "knn" (the selector's default chooser)."""
    from sklearn.base import clone
    from sklearn.svm import SVC

    from sparsefs._choose_k import default_k_estimator
    from sparsefs._config import IMPORTANCE_VARIANTS, METRICS
    from sparsefs._ranking import rank_features

    tr, va = sel.train_indices_, sel.validation_indices_
    a, b = halves(len(va), 12345)
    models = {"svc": SVC(), "knn": default_k_estimator("classification", False)}
    out = {name: {m: {} for m in METRICS} for name in models}
    for m in METRICS:
        for w in IMPORTANCE_VARIANTS:
            top = rank_features(sel.all_scores_[m][w])[:k]
            for name, model in models.items():
                fitted = clone(model).fit(X[tr][:, top], y[tr])
                out[name][m][w] = [float(fitted.score(X[va[h]][:, top], y[va[h]]))
                                   for h in (a, b)]
    return out


def run_one(dataset, method, seed, l2):
    from sparsefs import SparseFeatureSelector
    from sparsefs.data.scaling import fit_scale
    from sparsefs.experiments.grid import paper_density

    density = 1.0 if method == "dense" else paper_density(dataset.name, method)
    X_tr, _ = fit_scale(dataset.X_train, dataset.X_test, dataset.scaling)
    sel = SparseFeatureSelector(
        n_features_to_select=dataset.k, method=method, density=density, l2=l2,
        batch_size=dataset.batch_size, standardize=False, random_state=seed)
    sel.fit(X_tr, dataset.y_train)
    return {"dataset": dataset.name, "method": method, "density": density, "seed": seed,
            "l2": l2, "k": dataset.k, "windows": score_windows(sel, X_tr, dataset.y_train,
                                                               dataset.k)}


def summarize(runs):
    """Mean held-out-half accuracy [%] of the fixed rule and of the per-run choice, per metric,
    over (run, half) pairs; ties in the choice go to the fixed rule's window."""
    from sparsefs._config import FIXED_IMPORTANCE, METRICS
    from sparsefs._window_choice import best_window

    lines = []
    for scorer, m in ((s, m) for s in ("svc", "knn") for m in METRICS):
        fixed, chosen, wins, losses = [], [], 0, 0
        for r in runs:
            w = r["windows"][scorer][m]
            for pick, held in ((0, 1), (1, 0)):
                best = best_window({v: s[pick] for v, s in w.items()}, FIXED_IMPORTANCE[m])
                fixed.append(w[FIXED_IMPORTANCE[m]][held])
                chosen.append(w[best][held])
                wins += chosen[-1] > fixed[-1]
                losses += chosen[-1] < fixed[-1]
        lines.append(f"{scorer} {m}: fixed rule ({FIXED_IMPORTANCE[m]}) "
                     f"{100 * np.mean(fixed):.2f}, "
                     f"chosen per run on the other half {100 * np.mean(chosen):.2f} "
                     f"({len(fixed)} held-out halves; per-run choice better in {wins}, "
                     f"worse in {losses})")
    return lines


def main():
    from sparsefs.data import load_dataset
    from sparsefs.experiments.grid import parse_seeds

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default="madelon,prostate_ge,lymphoma,pcmac,arcene")
    p.add_argument("--methods", default="dense,set")
    p.add_argument("--seeds", default="0-2")
    p.add_argument("--l2", type=float, default=1e-4)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    runs = json.load(open(args.out)) if os.path.exists(args.out) else []
    done = {(r["dataset"], r["method"], r["seed"], r["l2"]) for r in runs}
    for name in args.datasets.split(","):
        dataset = load_dataset(name, data_dir=args.data_dir)
        for method in args.methods.split(","):
            for seed in parse_seeds(args.seeds):
                if (name, method, seed, args.l2) in done:
                    continue
                runs.append(run_one(dataset, method, seed, args.l2))
                tmp = args.out + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(runs, f)
                os.replace(tmp, args.out)
                print(name, method, seed, flush=True)
    print("\n".join(summarize(runs)))


if __name__ == "__main__":
    main()

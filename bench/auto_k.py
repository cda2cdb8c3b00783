"""Does ``n_features_to_select="auto"`` lose accuracy against the paper's fixed K?

For every network run of a study folder (method, metric as asked), the run's stored ranking is
cut at the K that ``sparsefs._choose_k.choose_k`` picks (the estimator's own rule: the smallest
K of the geometric grid whose scaled 5-NN validation score is within ``k_tol`` of the best),
on a seeded 80/20 stratified split of the training part, and the SVC test accuracy at that K
is set beside the run's accuracy at the paper's K. The test split is used for the final
numbers only, never for the choice.

    python bench/auto_k.py bench/results/study --method set --metric attr \\
        --data-dir ../shared/data --out bench/results/auto_k.md
"""

import argparse
import glob
import json
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _auto_k(X_tr, y_tr, X_te, y_te, ranking, seed, tol):
    """(chosen K, SVC test accuracy at it) for one stored ranking."""
    from sklearn.model_selection import train_test_split

    from sparsefs._choose_k import choose_k, default_k_estimator
    from sparsefs.experiments.evaluate import svc_accuracy

    idx = np.arange(X_tr.shape[0])
    counts = np.bincount(y_tr)
    strat = y_tr if counts.min() >= 2 and round(0.2 * len(idx)) >= len(counts) else None
    fit, val = train_test_split(idx, test_size=0.2, random_state=seed, stratify=strat)
    k, _ = choose_k(X_tr, y_tr, np.asarray(ranking), np.sort(fit), np.sort(val),
                    default_k_estimator("classification", False), tol)
    return k, svc_accuracy(X_tr, y_tr, X_te, y_te, np.asarray(ranking[:k]))


def main():
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("study")
    p.add_argument("--method", default="set")
    p.add_argument("--metric", default="attr")
    p.add_argument("--k-tol", type=float, default=0.01)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    runs = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(args.study, "runs", "*", f"{args.method}_*.json"))):
        rec = json.load(open(path))
        runs[rec["dataset"]].append(rec)
    lines = ["| data set | runs | paper K | SVC at paper K [%] | auto K (median, range) | "
             "SVC at auto K [%] | difference |", "|---|---|---|---|---|---|---|"]
    for name, recs in runs.items():
        ds = load_dataset(name, data_dir=args.data_dir)
        X_tr, X_te = fit_scale(ds.X_train, ds.X_test, ds.scaling)
        fixed, auto, ks = [], [], []
        for rec in recs:
            k, acc = _auto_k(X_tr, ds.y_train, X_te, ds.y_test, rec["rankings"][args.metric],
                             rec["seed"], args.k_tol)
            fixed.append(rec["accuracy"][args.metric])
            auto.append(acc)
            ks.append(k)
        lines.append(f"| {name} | {len(recs)} | {recs[0]['k']} | {100 * np.mean(fixed):.1f} | "
                     f"{int(np.median(ks))} ({min(ks)}-{max(ks)}) | {100 * np.mean(auto):.1f} | "
                     f"{100 * (np.mean(auto) - np.mean(fixed)):+.1f} |")
        print(lines[-1], file=sys.stderr)
    command = "python bench/auto_k.py " + " ".join(sys.argv[1:])
    text = f"```text\n{command}\n```\n\n" + "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()

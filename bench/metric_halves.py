"""Which metric to rank by, attribution, strength or both combined, judged on held-out halves of
each network's validation rows.

    python bench/metric_halves.py bench/results/study_recommended_combined \\
        --method guided-prune --data-dir ../shared/data

The product reads strength from the window that scores best on the fit's own validation rows
(``importance="auto"``), so strength's score on those rows is the best of five and flatters it
against attribution (one fixed window), and the combined order inherits part of that. Here
every run of the folder is trained again with its own settings (its stored rankings must come
back, which is checked), its validation rows are halved (seeded, as ``validated_window.py``):
strength's window is chosen on one half exactly as the product chooses it (the SVC, ties to
the fixed rule), and attribution (its fixed window), strength in the chosen window, and their
combined order are scored on the other half; then the halves swap. The test split is never
read. Results per run go to ``<folder>/metric_halves.json`` as they finish (a rerun skips
them); the summary is printed and written to ``<folder>/metric_halves.md``.
"""

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.validated_window import halves  # noqa: E402
from sparsefs._config import FIXED_IMPORTANCE, IMPORTANCE_VARIANTS  # noqa: E402
from sparsefs.data.writers import write_text_atomic  # noqa: E402
from sparsefs.experiments.report import load_runs  # noqa: E402
from sparsefs.experiments.tables import markdown_table  # noqa: E402

LISTS = ("attr", "strength", "combined", "strength fixed")


def retrain(rec, X_tr, y_tr):
    """The run's fitted selector, trained again with the record's settings; raises when its
    rankings differ from the stored ones."""
    from sparsefs import SparseFeatureSelector
    from sparsefs._ranking import metric_order
    from sparsefs.experiments.evaluate import evaluation_svc

    st = rec.task["settings"]
    sel = SparseFeatureSelector(
        n_features_to_select=rec.k, method=rec.method, density=rec.density, metric="attr",
        hidden_layer_sizes=tuple(rec.hidden), max_iter=st["epochs"], batch_size=rec.batch_size,
        l2=rec.l2, update_every=st["update_every"], importance="auto",
        learning_rate_init=rec.learning_rate, softmax_axis=rec.softmax_axis,
        standardize=False, k_estimator=evaluation_svc(), random_state=rec.seed).fit(X_tr, y_tr)
    for m in ("attr", "strength"):
        got = metric_order(sel.scores_, m)[:len(rec.rankings[m])].tolist()
        if got != rec.rankings[m]:
            raise RuntimeError(f"{rec.dataset} seed {rec.seed}: the retrained {m} ranking "
                               "differs from the stored one")
    return sel


def held_out_scores(sel, X, y, k, seed=12345):
    """{list: [accuracy on half B chosen on A, accuracy on half A chosen on B]} for LISTS; the
    model is the study's SVC (fitted on at most ``EVAL_TRAIN_ROWS`` training rows)."""
    from sparsefs._ranking import combined_order, rank_features
    from sparsefs._window_choice import best_window
    from sparsefs.experiments.evaluate import evaluation_svc

    tr, va = sel.train_indices_, sel.validation_indices_
    parts = halves(len(va), seed)
    fitted = {}

    def score(top, rows):
        key = tuple(top)
        if key not in fitted:
            fitted[key] = evaluation_svc().fit(X[tr][:, top], y[tr])
        return float(fitted[key].score(X[va[rows]][:, top], y[va[rows]]))

    attr = sel.all_scores_["attr"][FIXED_IMPORTANCE["attr"]]
    tops = {w: rank_features(sel.all_scores_["strength"][w])[:k] for w in IMPORTANCE_VARIANTS}
    out = {name: [] for name in LISTS}
    for pick, held in ((0, 1), (1, 0)):
        window = best_window({w: score(t, parts[pick]) for w, t in tops.items()},
                             FIXED_IMPORTANCE["strength"])
        strength = sel.all_scores_["strength"][window]
        out["attr"].append(score(rank_features(attr)[:k], parts[held]))
        out["strength"].append(score(tops[window], parts[held]))
        out["combined"].append(score(combined_order(attr, strength)[:k], parts[held]))
        out["strength fixed"].append(score(tops[FIXED_IMPORTANCE["strength"]], parts[held]))
    return out


def summary(done):
    """Markdown lines: mean held-out accuracy [%] per list (per data set the mean over runs and
    halves, then over data sets), and per data set."""
    per = {}
    for key, v in done.items():
        per.setdefault(key.split("/")[0], []).append(v)
    rows = [[d, len(v), *(f"{100 * np.mean([r[x] for r in v]):.2f}" for x in LISTS)]
            for d, v in sorted(per.items())]
    means = {x: np.mean([100 * np.mean([r[x] for r in v]) for v in per.values()])
             for x in LISTS}
    pairs = [("combined", "attr"), ("combined", "strength"), ("strength", "attr")]
    wins = {p: sum(np.mean(r[p[0]]) > np.mean(r[p[1]]) for v in per.values() for r in v)
            for p in pairs}
    losses = {p: sum(np.mean(r[p[0]]) < np.mean(r[p[1]]) for v in per.values() for r in v)
              for p in pairs}
    return [f"{len(per)} data sets, {len(done)} runs. Held-out half accuracy [%] at K, the "
            "model trained on each network's training rows; strength's window chosen on the "
            "other half (the product's rule); 'strength fixed' = its fixed window, "
            f"{FIXED_IMPORTANCE['strength']}.", "",
            markdown_table(["List", "mean held-out accuracy"],
                           [[x, f"{means[x]:.2f}"] for x in LISTS]), "",
            *(f"- {a} vs {b}: better in {wins[(a, b)]} runs, worse in {losses[(a, b)]}"
              for a, b in pairs), "",
            markdown_table(["Dataset", "runs", *LISTS], rows), ""]


def main(argv=None):
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--method", default="guided-prune")
    p.add_argument("--datasets", default=None, help="comma-separated; default all")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    path = os.path.join(args.folder, "metric_halves.json")
    done = json.load(open(path)) if os.path.exists(path) else {}
    runs = [r for r in load_runs(args.folder) if r.method == args.method and r.kind == "nn"
            and (args.datasets is None or r.dataset in args.datasets.split(","))]
    for dataset in sorted({r.dataset for r in runs}):
        todo = [r for r in runs if r.dataset == dataset
                and f"{dataset}/s{r.seed}" not in done]
        if not todo:
            continue
        ds = load_dataset(dataset, data_dir=args.data_dir)
        X_tr, _ = fit_scale(ds.X_train, ds.X_test, ds.scaling)
        for rec in sorted(todo, key=lambda r: r.seed):
            sel = retrain(rec, X_tr, ds.y_train)
            got = held_out_scores(sel, X_tr, ds.y_train, rec.k)
            # Re-read just before writing, so parallel invocations on other data sets keep
            # each other's results.
            done = json.load(open(path)) if os.path.exists(path) else {}
            done[f"{dataset}/s{rec.seed}"] = got
            write_text_atomic(path, json.dumps(done, indent=1, sort_keys=True))
            print(dataset, rec.seed, {x: np.round(v, 3).tolist()
                                      for x, v in done[f"{dataset}/s{rec.seed}"].items()},
                  flush=True)
    command = "python bench/metric_halves.py " + " ".join(argv or sys.argv[1:])
    text = "\n".join([f"# {args.method}: attribution, strength and combined on held-out "
                      "halves of the validation rows", "", f"Command: `{command}`", "",
                      *summary(done)])
    write_text_atomic(os.path.join(args.folder, "metric_halves.md"), text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

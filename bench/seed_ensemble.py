"""Rankings pooled over seeds and over the two metrics, from the study's own run files.

    python bench/seed_ensemble.py --study bench/results/study --data-dir ../shared/data

Issue 13 asks whether averaging rankings over seeds, or combining neuron strength with
attribution, beats a single network's ranking. Every study run keeps its top 200 features per
metric; a pooled ranking orders features by their mean rank over the lists it pools (a feature
absent from a list counts as rank 201). Each pooled ranking is scored exactly as the study
scores a run (``SVC()`` on the top K, test split, K in the sweep) and ranked among the study's
own columns (single runs averaged over seeds, the classical baselines) as the report's
"average rank" does. The choice between configurations is made on the training part only: a
5-fold cross-validated SVC accuracy at the data set's K on the training rows, for every column
alike (single runs: mean over seeds). Writes ``<out>/seed_ensemble.md`` and ``.json``.
"""

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from sparsefs._config import BASELINES, K_SWEEP  # noqa: E402
from sparsefs.experiments.report import load_runs  # noqa: E402
from sparsefs.experiments.tables import markdown_table  # noqa: E402

DENSITY = 0.2
METHODS = ("set", "guided-prune")
LABEL = {"set": "SET", "guided-prune": "G-P", "attr": "Attr", "strength": "QS"}


def pooled_ranking(lists, keep):
    """Feature indices ordered by mean rank over ``lists`` (each best first, the top
    ``keep``); a feature missing from a list gets rank ``keep + 1``. Ties: first seen."""
    feats = list(dict.fromkeys(f for lst in lists for f in lst))
    pos = {f: i for i, f in enumerate(feats)}
    total = np.full(len(feats), float(keep + 1) * len(lists))
    for lst in lists:
        for r, f in enumerate(lst):
            total[pos[f]] += (r + 1) - (keep + 1)
    order = np.argsort(total, kind="stable")
    return np.array(feats)[order]


def cv_accuracy(X, y, features, folds=5, seed=0):
    """Mean accuracy of ``SVC()`` on the columns ``features`` over stratified folds of the
    training rows (the test split is never touched)."""
    import warnings

    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    n_min = np.bincount(y).min()
    cv = StratifiedKFold(n_splits=max(2, min(folds, n_min)), shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a class with one training row cannot be in every fold
        warnings.filterwarnings("ignore", message="The least populated class")
        return float(cross_val_score(SVC(), X[:, np.asarray(features)], y, cv=cv).mean())


def columns_for(runs, dataset):
    """{column label: list of (seed, rankings dict)} of one data set's runs at DENSITY, and
    {baseline label: list of records}."""
    nn, base = {}, {}
    for r in runs:
        if r.dataset != dataset:
            continue
        if r.kind == "baseline" and r.method in BASELINES:
            base.setdefault(BASELINES[r.method], []).append(r)
        elif r.method in METHODS and float(r.density or 1.0) == DENSITY and r.l2 == 1e-4:
            nn.setdefault(r.method, {})[r.seed] = r
    return nn, base


def evaluate_dataset(runs, dataset, data_dir, log=print):
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale
    from sparsefs.experiments.evaluate import accuracy_sweep

    nn, base = columns_for(runs, dataset)
    if not all(m in nn and len(nn[m]) >= 2 for m in METHODS):
        return None
    ds = load_dataset(dataset, data_dir=data_dir)
    X_tr, X_te = fit_scale(ds.X_train, ds.X_test, ds.scaling)
    k = next(iter(nn[METHODS[0]].values())).k
    ks = [x for x in K_SWEEP if x <= ds.n_features]
    out = {"dataset": dataset, "k": k, "columns": {}}

    def add(label, sweeps, cvs, seeds):
        out["columns"][label] = {"sweep": {x: 100 * float(np.mean([s[str(x)] for s in sweeps]))
                                           for x in ks},
                                 "cv": 100 * float(np.mean(cvs)), "seeds": seeds}

    for m in METHODS:
        recs = [nn[m][s] for s in sorted(nn[m])]
        keep = len(recs[0].rankings["attr"])
        for metric in ("attr", "strength"):
            add(f"{LABEL[m]}-{LABEL[metric]}", [r.sweep[metric] for r in recs],
                [cv_accuracy(X_tr, ds.y_train, r.rankings[metric][:k]) for r in recs],
                len(recs))
            pooled = pooled_ranking([r.rankings[metric] for r in recs], keep)
            add(f"{LABEL[m]}-{LABEL[metric]} x{len(recs)} seeds",
                [accuracy_sweep(X_tr, ds.y_train, X_te, ds.y_test, pooled, ks)],
                [cv_accuracy(X_tr, ds.y_train, pooled[:k])], len(recs))
        both = [pooled_ranking([r.rankings["attr"], r.rankings["strength"]], keep)
                for r in recs]
        add(f"{LABEL[m]}-Attr+QS", [accuracy_sweep(X_tr, ds.y_train, X_te, ds.y_test, b, ks)
                                    for b in both],
            [cv_accuracy(X_tr, ds.y_train, b[:k]) for b in both], len(recs))
        pooled = pooled_ranking([r.rankings[x] for r in recs for x in ("attr", "strength")],
                                keep)
        add(f"{LABEL[m]}-Attr+QS x{len(recs)} seeds",
            [accuracy_sweep(X_tr, ds.y_train, X_te, ds.y_test, pooled, ks)],
            [cv_accuracy(X_tr, ds.y_train, pooled[:k])], len(recs))
    for label, recs in base.items():
        add(label, [r.sweep["score"] for r in recs],
            [cv_accuracy(X_tr, ds.y_train, r.rankings["score"][:k]) for r in recs], len(recs))
    log(f"  {dataset}: " + ", ".join(f"{c} {v['sweep'].get(k, v['sweep'][ks[-1]]):.1f}"
                                     for c, v in list(out["columns"].items())[:6]))
    return out


def mean_ranks(results, key):
    """Mean over data sets of each column's rank (1 = best) among the columns present on
    every data set, by ``key``: "sweep" (test accuracy, averaged over K) or "cv"."""
    from scipy.stats import rankdata

    labels = sorted(set.intersection(*(set(r["columns"]) for r in results)))
    per = []
    for r in results:
        cols = r["columns"]
        if key == "cv":
            per.append(rankdata([-cols[c]["cv"] for c in labels], method="average"))
        else:
            ks = sorted(set.intersection(*(set(cols[c]["sweep"]) for c in labels)))
            per.append(np.mean([rankdata([-cols[c]["sweep"][x] for c in labels],
                                         method="average") for x in ks], axis=0))
    return dict(zip(labels, np.mean(per, axis=0)))


def markdown(results, command):
    test, cv = mean_ranks(results, "sweep"), mean_ranks(results, "cv")
    order = sorted(test, key=lambda c: cv[c])
    lines = ["# Rankings pooled over seeds and metrics", "",
             f"Command: `{command}`", "",
             f"{len(results)} data sets: {', '.join(r['dataset'] for r in results)}. Density "
             f"{DENSITY:g}, L2 1e-4, seeds as in the study. 'x5 seeds' = one ranking pooled "
             "from the five runs' top-200 lists by mean rank (five networks' training FLOPs); "
             "'Attr+QS' = each run's two lists pooled. CV rank = rank of the 5-fold SVC "
             "accuracy at the data set's K on the training part (what a choice may be made "
             "on); test rank = rank of SVC test accuracy averaged over K in the sweep (the "
             "report's measure). Sorted by CV rank.", "",
             markdown_table(["Column", "mean CV rank", "mean test rank"],
                            [[c, f"{cv[c]:.2f}", f"{test[c]:.2f}"] for c in order]), ""]
    rows = []
    for r in results:
        cols = r["columns"]
        ks = sorted(next(iter(cols.values()))["sweep"])
        k = r["k"] if r["k"] in ks else min(ks, key=lambda x: abs(x - r["k"]))
        best = max(cols, key=lambda c: cols[c]["cv"])
        rows.append([r["dataset"], k, best] + [f"{cols[c]['sweep'][k]:.1f}"
                                               for c in ("G-P-Attr", "G-P-Attr x5 seeds",
                                                         "G-P-Attr+QS x5 seeds", "ExtraTrees")
                                               if c in cols])
    lines += ["Per data set: the column with the best CV accuracy, and test accuracy [%] at K "
              "(the sweep's nearest K where the data set's is not in it: madelon's 20 -> 25) "
              "of single G-P-Attr runs (mean over seeds), the pooled ones and ExtraTrees.", "",
              markdown_table(["Dataset", "K", "best by CV", "G-P-Attr", "G-P-Attr x5",
                              "G-P-Attr+QS x5", "ExtraTrees"], rows), ""]
    return "\n".join(lines)


def rerender(out):
    """Rewrite ``seed_ensemble.md`` from the stored JSON (no SVC is fitted again)."""
    with open(os.path.join(out, "seed_ensemble.json")) as f:
        stored = json.load(f)
    results = [dict(r, columns={c: dict(v, sweep={int(k): a for k, a in v["sweep"].items()})
                                for c, v in r["columns"].items()}) for r in stored["results"]]
    with open(os.path.join(out, "seed_ensemble.md"), "w") as f:
        f.write(markdown(results, stored["command"]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--study", default=os.path.join(ROOT, "bench", "results", "study"))
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = p.parse_args(argv)
    runs = load_runs(args.study)
    datasets = sorted({r.dataset for r in runs})
    results = [x for d in datasets
               if (x := evaluate_dataset(runs, d, args.data_dir)) is not None]
    if not results:
        print("no data set has set and guided-prune runs at density 0.2 with two seeds")
        return 1
    command = "python bench/seed_ensemble.py " + " ".join(argv or sys.argv[1:])
    with open(os.path.join(args.out, "seed_ensemble.json"), "w") as f:
        json.dump({"command": command.strip(), "results": results}, f, indent=1)
    with open(os.path.join(args.out, "seed_ensemble.md"), "w") as f:
        f.write(markdown(results, command.strip()))
    print(markdown(results, command.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

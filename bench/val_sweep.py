"""Validation accuracy over the whole K sweep for one method's runs in two study folders: a
choice between two settings that reads every K the study reports, not only the run's own K.

A study run stores its validation accuracy at its own K only (``variants``); the sweep's K are
scored on the test split. This script rebuilds each run's validation rows (the same selector,
seed and data, trained for one epoch: the split is drawn before training), checks them against
the stored validation accuracy at K, and scores each metric's stored ranking at every K of the
sweep with the protocol's SVC, trained on the run's training rows and scored on its validation
rows. Only (data set, seed) pairs both folders hold are compared. Test accuracies (the runs'
own ``sweep``) are printed beside them, to be read after the choice.

    python bench/val_sweep.py bench/results/study bench/results/study_prune_floor \\
        --method guided-prune --data-dir ../shared/data \\
        --out bench/results/study_prune_floor/val_sweep.md
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsefs import SparseFeatureSelector  # noqa: E402
from sparsefs._config import AUTO_IMPORTANCE  # noqa: E402
from sparsefs.data import load_dataset  # noqa: E402
from sparsefs.data.registry import DATASETS  # noqa: E402
from sparsefs.data.scaling import fit_scale  # noqa: E402
from sparsefs.data.writers import write_text_atomic  # noqa: E402
from sparsefs.experiments.evaluate import svc_accuracy  # noqa: E402
from sparsefs.experiments.report import load_runs  # noqa: E402
from sparsefs.experiments.tables import markdown_table  # noqa: E402
from sparsefs.experiments.variants import VALIDATED  # noqa: E402

METRICS = (("attr", "Attr"), ("strength", "QS"))


def validation_split(run, X_train, y_train):
    """(train rows, validation rows) of ``run``: its selector refitted for one epoch."""
    sel = SparseFeatureSelector(
        n_features_to_select=run.k, method=run.method, density=run.density,
        hidden_layer_sizes=tuple(run.hidden), max_iter=1, batch_size=run.batch_size, l2=run.l2,
        learning_rate_init=run.learning_rate, softmax_axis=run.softmax_axis or "class",
        importance="sum_to_best", standardize=False, prune_floor=run.prune_floor,
        random_state=run.seed)
    sel.fit(X_train, y_train)
    return sel.train_indices_, sel.validation_indices_


def stored_val(run, metric):
    """The run's own validation accuracy at its K for ``metric``'s reported window."""
    window = AUTO_IMPORTANCE[metric] if run.importance == "auto" else run.importance
    if window == VALIDATED:
        window = run.windows["chosen"][metric]
    return run.variants[window][metric]["val"]


def _data_arg(name, data_dir):
    """A named data set, or the file ``data_dir/name.*`` a study of user files read."""
    files = sorted(Path(data_dir).glob(f"{name}.*")) if data_dir else []
    return name if name in DATASETS or not files else str(files[0])


def score_runs(pairs, ks, data_dir):
    """{(folder, data set, seed, metric): {K: (val, test)}} and the largest mismatch between a
    rebuilt and a stored validation accuracy at the run's own K."""
    out, worst, cache = {}, 0.0, {}
    for (name, seed), runs in sorted(pairs.items()):
        if name not in cache:
            cache.clear()
            ds = load_dataset(_data_arg(name, data_dir), data_dir=data_dir)
            cache[name] = (ds, fit_scale(ds.X_train, ds.X_test, ds.scaling)[0])
        ds, X = cache[name]
        tr, va = validation_split(runs[0], X, ds.y_train)
        for folder, run in enumerate(runs):
            for metric, _ in METRICS:
                rank = np.asarray(run.rankings[metric])
                accs = {}
                for k in [k for k in ks if k <= X.shape[1]]:
                    val = svc_accuracy(X[tr], ds.y_train[tr], X[va], ds.y_train[va], rank[:k])
                    accs[k] = (100 * val, 100 * run.sweep[metric][str(k)])
                    if k == run.k:
                        worst = max(worst, abs(val - stored_val(run, metric)))
                out[(folder, name, seed, metric)] = accs
    return out, worst


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--method", default="guided-prune")
    p.add_argument("--density", type=float, default=0.2)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    pick = [{(r.dataset, r.seed): r for r in load_runs(f)
             if r.method == args.method and r.density == args.density} for f in (args.a, args.b)]
    pairs = {key: (pick[0][key], pick[1][key]) for key in pick[0].keys() & pick[1].keys()}
    ks = sorted({int(k) for r in pairs.values() for k in r[0].sweep["attr"]})
    scores, worst = score_runs(pairs, ks, args.data_dir)
    names = sorted({n for n, _ in pairs})
    a, b = (os.path.basename(os.path.normpath(f)) for f in (args.a, args.b))
    head = ["Dataset", "Column", "seeds", *[f"val K={k} {a} / {b}" for k in ks]]
    rows, pooled = [], {}
    for name in names:
        seeds = sorted(s for n, s in pairs if n == name)
        for metric, short in METRICS:
            cells = []
            for k in ks:
                v = [[scores[(f, name, s, metric)].get(k, (np.nan,))[0] for s in seeds]
                     for f in (0, 1)]
                t = [[scores[(f, name, s, metric)].get(k, (0, np.nan))[1] for s in seeds]
                     for f in (0, 1)]
                va_, vb_, ta_, tb_ = (float(np.mean(x)) for x in (*v, *t))
                cells.append(f"{va_:.1f} / {vb_:.1f}")
                if not np.isnan(va_):
                    pooled.setdefault((short, k), []).append((va_, vb_, ta_, tb_))
            rows.append([name, f"{args.method}-{short}", len(seeds), *cells])
    mean_rows = []
    for short in ("Attr", "QS"):
        for k in ks:
            m = np.mean(pooled[(short, k)], axis=0)
            wins = sum(vb >= va for va, vb, _, _ in pooled[(short, k)])
            mean_rows.append([short, k, len(pooled[(short, k)]), f"{m[0]:.2f}", f"{m[1]:.2f}",
                              f"{m[1] - m[0]:+.2f}", wins, f"{m[2]:.2f}", f"{m[3]:.2f}"])
        every = np.mean([np.mean(pooled[(short, k)], axis=0) for k in ks], axis=0)
        mean_rows.append([short, "all", "", f"{every[0]:.2f}", f"{every[1]:.2f}",
                          f"{every[1] - every[0]:+.2f}", "", f"{every[2]:.2f}",
                          f"{every[3]:.2f}"])
    text = "\n".join([
        f"# {args.method} at density {args.density:g}: {a} against {b}, validation over the K "
        "sweep", "",
        f"Command: `python bench/val_sweep.py {args.a} {args.b} --method {args.method} "
        f"--data-dir <data> --out {args.out}`", "",
        "SVC accuracy [%] of each run's reported ranking, trained on the run's training rows "
        "and scored on its validation rows (rebuilt; largest difference from a stored "
        f"validation accuracy at the run's K: {100 * worst:.3f} points). Means over seeds.", "",
        markdown_table(head, rows), "",
        "## Means over data sets (val: the choice; test: read afterwards)", "",
        markdown_table(["metric", "K", "data sets", f"val {a}", f"val {b}", "Δ val",
                        f"{b} >= {a}", f"test {a}", f"test {b}"], mean_rows), ""])
    if args.out:
        write_text_atomic(args.out, text)
        print(f"wrote {args.out}")
    print(text)


if __name__ == "__main__":
    main()

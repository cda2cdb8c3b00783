"""Both metrics of one network pooled into one ranking, judged on the network's own validation
rows like the metric choice it would replace.

    python bench/pooled_metrics.py bench/results/study_recommended --table bench/results/study \\
        --method guided-prune --data-dir ../shared/data

Issue 13 asks whether combining neuron strength with attribution beats either alone. Each run
of ``--method`` in the folder keeps its two top-200 lists; the pooled ranking orders features by
their mean rank over the two (absent from a list: rank 201, see ``seed_ensemble.pooled_ranking``),
so it costs no training. It is scored as the study scores a metric: the SVC on the top K (the
data set's K), trained on the network's training rows and scored on its validation rows (rebuilt
from the run's seed exactly as the fit drew them, and checked against the attribution score the
run stored), and on the test split for every K of the sweep. The choice is read from the
validation means; the test split only shows what the choice buys: average rank over K among the
``--table`` study's columns, with the folder's two metric columns and the pooled one beside
them. Per-run results go to ``<folder>/pooled_metrics.json`` as they finish (a rerun skips
them); the report is ``<folder>/pooled_metrics.md``. A folder made with ``sparsefs study
--metric combined`` brings the product's own combined order (every feature's two ranks),
which is scored instead, and the report adds accuracy at K and FLOPs against SET per data
set. ``--full-check DATASETS`` retrains seed ``--full-seed`` of those data sets and counts how
much of the product's top K the pooled top-200 lists share (``pooled_full_check.json``).
"""

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.seed_ensemble import pooled_ranking  # noqa: E402
from bench.swap_rule import side_by_side_ranks  # noqa: E402
from sparsefs._config import K_SWEEP  # noqa: E402
from sparsefs.data.writers import write_text_atomic  # noqa: E402
from sparsefs.experiments.grid import run_key as grid_run_key  # noqa: E402
from sparsefs.experiments.report import load_runs, make_cells, summarize  # noqa: E402
from sparsefs.experiments.tables import markdown_table  # noqa: E402

POOLED = "Attr+QS"


def validation_rows(rec, n_train, y_train):
    """(train rows, validation rows) of the run ``rec``'s network: the selector's own draw
    from the run's seed (network first, then the split), without training."""
    from sparsefs._selector import SparseFeatureSelector
    from sparsefs._targets import make_targets

    sel = SparseFeatureSelector(
        method=rec.method, density=rec.density, hidden_layer_sizes=tuple(rec.hidden),
        l2=rec.l2, batch_size=rec.batch_size, learning_rate_init=rec.learning_rate,
        softmax_axis=rec.softmax_axis, random_state=rec.seed)
    sel.task_ = "classification"
    _, split = sel._network_and_split(n_train, rec.n_features,
                                      make_targets("classification", y_train), rec.batch_size,
                                      np.random.default_rng(rec.seed))
    return split


def score_run(rec, X_tr, y_tr, X_te, y_te):
    """{"val": {metric: acc}, "sweep": {K: acc}} of one run, for the pooled list and, on the
    validation rows, for each metric's own list (the check that the rows are the run's). A
    run made with ``--metric combined`` brings its own combined ranking (every feature's two
    ranks); older runs' two top-200 lists are pooled here."""
    from sparsefs.experiments.evaluate import accuracy_sweep, svc_accuracy

    tr, va = validation_rows(rec, X_tr.shape[0], y_tr)
    k = rec.k
    pooled = rec.rankings.get("combined") or pooled_ranking(
        [rec.rankings["attr"], rec.rankings["strength"]], len(rec.rankings["attr"]))
    lists = {"attr": rec.rankings["attr"], "strength": rec.rankings["strength"],
             POOLED: pooled}
    val = {m: svc_accuracy(X_tr[tr], y_tr[tr], X_tr[va], y_tr[va], np.asarray(lst[:k]))
           for m, lst in lists.items()}
    for m in ("attr", "strength"):
        stored = rec.variants[rec.windows["chosen"][m]][m]["val"]
        if abs(val[m] - stored) > 1e-9:
            raise RuntimeError(f"{rec.dataset} seed {rec.seed}: rebuilt validation rows give "
                               f"{val[m]:.4f} for {m}, the run stored {stored:.4f}")
    sweep = accuracy_sweep(X_tr, y_tr, X_te, y_te, pooled, K_SWEEP)
    return {"val": val, "sweep": sweep, "k": k}


def run_key(rec):
    """The run's file name in its study without ".json" (the key of pooled_metrics.json)."""
    return grid_run_key(rec.dataset, rec.method, rec.density, rec.l2,
                        rec.seed).removesuffix(".json")


def evaluate(folder, method, data_dir, log=print):
    """Score every run of ``method`` in ``folder`` not yet in its pooled_metrics.json."""
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale

    path = os.path.join(folder, "pooled_metrics.json")
    done = json.load(open(path)) if os.path.exists(path) else {}
    runs = [r for r in load_runs(folder) if r.method == method and r.kind == "nn"]
    for dataset in sorted({r.dataset for r in runs}):
        todo = [r for r in runs if r.dataset == dataset and run_key(r) not in done]
        if not todo:
            continue
        ds = load_dataset(dataset, data_dir=data_dir)
        X_tr, X_te = fit_scale(ds.X_train, ds.X_test, ds.scaling)
        for rec in sorted(todo, key=lambda r: r.seed):
            done[run_key(rec)] = score_run(rec, X_tr, ds.y_train, X_te, ds.y_test)
            write_text_atomic(path, json.dumps(done, indent=1, sort_keys=True))
            v = done[run_key(rec)]["val"]
            log(f"  {run_key(rec)}: val attr {v['attr']:.3f} strength {v['strength']:.3f} "
                f"pooled {v[POOLED]:.3f}")
    return done


def full_rank_check(folder, method, datasets, seed, data_dir, log=print):
    """Retrain seed ``seed`` of ``method`` on ``datasets`` with ``metric="combined"`` (the
    study's settings, so the two rankings must come back bit for bit) and count how many of
    the product's top K, ranked on every feature's two ranks, the pooled list of the stored
    top-200 lists shares: {data set: {K: shared}}."""
    from sparsefs.data import load_dataset
    from sparsefs.experiments.protocol import run_job

    out = {}
    for rec in load_runs(folder):
        if rec.method != method or rec.dataset not in datasets or rec.seed != seed:
            continue
        st = rec.task["settings"]
        again = run_job(load_dataset(rec.dataset, data_dir=data_dir), method=method,
                        density=rec.density, metric="combined", k=rec.k, epochs=st["epochs"],
                        seed=seed, l2=rec.l2, batch_size=rec.batch_size, hidden=rec.hidden,
                        update_every=st["update_every"], importance=st["importance"],
                        learning_rate=rec.learning_rate, softmax_axis=rec.softmax_axis,
                        score_variants=False)
        for m in ("attr", "strength"):
            if again.rankings[m][:len(rec.rankings[m])] != rec.rankings[m]:
                raise RuntimeError(f"{rec.dataset} seed {seed}: the rerun's {m} ranking "
                                   "differs from the stored one")
        pooled = pooled_ranking([rec.rankings["attr"], rec.rankings["strength"]],
                                len(rec.rankings["attr"]))
        full = again.rankings["combined"]
        out[rec.dataset] = {k: len(set(full[:k]) & set(pooled[:k].tolist()))
                            for k in K_SWEEP if k <= rec.n_features}
        log(f"  {rec.dataset} s{seed}: top-K shared {out[rec.dataset]}")
    return out


def pooled_rows(done, runs, method, label):
    """summarize()-style rows (dataset, column, method, sweep {K: mean %}) of the pooled
    column, over the seeds scored."""
    rows = []
    for dataset in sorted({r.dataset for r in runs if r.method == method}):
        got = [done[run_key(r)] for r in runs
               if r.method == method and r.dataset == dataset and run_key(r) in done]
        if got:
            ks = sorted(set.intersection(*(set(map(int, g["sweep"])) for g in got)))
            rows.append({"dataset": dataset, "column": label, "method": method,
                         "sweep": {k: 100 * float(np.mean([g["sweep"][str(k)] for g in got]))
                                   for k in ks}})
    return rows


def validation_table(done, runs, method):
    """Mean over data sets (each the mean over its seeds) of validation accuracy [%] at K."""
    per = {}
    for dataset in sorted({r.dataset for r in runs if r.method == method}):
        got = [done[run_key(r)]["val"] for r in runs
               if r.method == method and r.dataset == dataset and run_key(r) in done]
        for m in ("attr", "strength", POOLED):
            per.setdefault(m, []).append(100 * np.mean([g[m] for g in got]))
    return per


def flops_lines(table, mine, method, metrics):
    """Markdown lines: per data set, ``method``'s test accuracy at K with each of ``metrics``
    (mean ± std over seeds) beside SET-Attr at density 0.2 from the ``table`` cells and the
    best classical baseline (picked on the test split: an oracle), and its training FLOPs
    against SET's; '=' where a metric is within one SET std of SET-Attr, or better (the
    report's rule). ``table`` and ``mine`` are ``make_cells`` lists."""
    from sparsefs._config import BASELINES

    set_cells = {c["dataset"]: c for c in table if c["method"] == "set" and c["density"] == 0.2}
    rows, ratios, half = [], [], dict.fromkeys(metrics, 0)
    for c in (c for c in mine if c["method"] == method and set(metrics) <= set(c["acc"])):
        d, s = c["dataset"], set_cells.get(c["dataset"])
        if s is None:
            continue
        best = max(((BASELINES[b["method"]], b["acc"]["score"][0]) for b in table
                    if b["dataset"] == d and b["kind"] == "baseline" and b["method"] != "random"),
                   key=lambda t: t[1], default=("–", float("nan")))
        ratio = c["flops_train"] / s["flops_train"]
        ratios.append(ratio)
        cells = []
        for m in metrics:
            same = c["acc"][m][0] >= s["acc"]["attr"][0] - s["acc"]["attr"][1]
            half[m] += same and ratio <= 0.5
            cells.append("%.2f±%.2f" % c["acc"][m] + ("" if same else " (lower)"))
        rows.append([d, c["n"], *cells, "%.2f±%.2f" % s["acc"]["attr"],
                     f"{best[0]} {best[1]:.2f}", f"{ratio:.3f}"])
    return [f"## Accuracy at K and training FLOPs: {method} against SET-Attr", "",
            f"SET at density 0.2 from the table's folder; FLOPs ratio = {method}'s training "
            "FLOPs over SET's (mean per run); best classical is picked on the test split; "
            "(lower) = more than one SET std below SET-Attr.", "",
            markdown_table(["Dataset", "seeds", *(f"{m} [%]" for m in metrics),
                            "SET-Attr [%]", "best classical", "FLOPs vs SET"], rows), "",
            f"Median FLOPs ratio {np.median(ratios):.3f}; at most half of SET's FLOPs at equal "
            f"accuracy on " + ", ".join(f"{half[m]} ({m})" for m in metrics)
            + f" of {len(rows)} data sets.", ""]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--table", default=os.path.join(ROOT, "bench", "results", "study"))
    p.add_argument("--method", default="guided-prune")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--full-check", default=None, metavar="DATASETS",
                   help="comma-separated data sets whose seed --full-seed is retrained to "
                        "compare the pooled top-200 lists with the full-rank combined order")
    p.add_argument("--full-seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.full_check:
        got = full_rank_check(args.folder, args.method, args.full_check.split(","),
                              args.full_seed, args.data_dir)
        path = os.path.join(args.folder, "pooled_full_check.json")
        write_text_atomic(path, json.dumps({"seed": args.full_seed, "shared": got}, indent=1))
        return 0
    done = evaluate(args.folder, args.method, args.data_dir)
    runs = load_runs(args.folder)
    name = os.path.basename(args.folder.rstrip("/"))
    table = summarize(args.table, "auto")["rows"]
    same = os.path.realpath(args.folder) == os.path.realpath(args.table)
    mine = [] if same else summarize(args.folder, "auto")["rows"]  # no column twice
    if not any("combined" in r.rankings for r in runs if r.method == args.method):
        mine += pooled_rows(done, runs, args.method, f"Guided-Prune-{POOLED} (top-200 lists)")
    datasets = sorted({r.dataset for r in runs if r.method == args.method}
                      & {r["dataset"] for r in table})
    val = validation_table(done, runs, args.method)
    command = "python bench/pooled_metrics.py " + " ".join(argv or sys.argv[1:])
    md = [f"# {args.method} in {name}: attribution, strength and both pooled", "",
          f"Command: `{command}`", "",
          f"{len(datasets)} data sets: {', '.join(datasets)}. Validation accuracy [%] at the "
          "data set's K on each network's own validation rows, mean over seeds, then over "
          "data sets (the choice is made on these):", "",
          markdown_table(["List", "mean val accuracy", "data sets"],
                         [[m, f"{np.mean(v):.2f}", len(v)] for m, v in val.items()]), "",
          *side_by_side_ranks(table, mine, datasets, args.method, f"[{name}]")]
    if any("combined" in r.rankings for r in runs if r.method == args.method):
        md += flops_lines(make_cells(load_runs(args.table)), make_cells(runs), args.method,
                          ("attr", "strength", "combined"))
    text = "\n".join(md)
    write_text_atomic(os.path.join(args.folder, "pooled_metrics.md"), text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Model selection and the study report, set beside the paper's published numbers.

As in the paper, (density, L2) is chosen per (data set, method) by the lowest validation loss
averaged over seeds; the chosen cell's SVC test accuracy at the run's K is reported as mean and
standard deviation over seeds for both importance metrics ("QS" = neuron strength, "Attr" =
neuron attribution). Published numbers: Atashgahi et al., ECAI 2024, arXiv:2408.04583.
"""

import csv
import io
import json
from pathlib import Path

import numpy as np

from .._config import BASELINES, METRICS, resolve_importance
from ..data.writers import write_text_atomic
from ._workers import MANIFEST, RUNS_DIR
from .ground_truth import recovery_section
from .guided_section import guided_section
from .paper import (
    CITATION,
    COLUMNS,
    FOOTNOTES,
    METHOD_LABEL,
    METRIC_LABEL,
    NOT_COMPARABLE,
    load_paper_results,
    within_paper_std,
)
from .plots import write_plots
from .records import RunRecord
from .tables import fmt as _f
from .tables import markdown_table as _md_table
from .variants import mean_variants, reread_accuracy, variants_section


def load_runs(out_dir):
    """Every readable RunRecord under ``out_dir/runs`` (partial or foreign files skipped)."""
    runs = []
    for path in sorted((Path(out_dir) / RUNS_DIR).rglob("*.json")):
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict) and {"dataset", "method", "accuracy"} <= rec.keys():
            rec.setdefault("kind", "baseline" if rec["method"] in BASELINES else "nn")
            try:
                runs.append(RunRecord.from_dict(rec))
            except (TypeError, ValueError):
                continue
    return runs


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def make_cells(runs):
    """Aggregate runs by (data set, method, density, L2): one dict per cell with seeds, n,
    mean_val_loss, acc {metric: (mean %, std %)}, sweep {metric: {K: mean %}} and the mean
    resources flops_train, flops_ratio, param_bytes, param_bytes_dense, peak_rss_bytes,
    seconds, epochs_run. A seed seen twice in a cell counts once (the last file)."""
    groups = {}
    for rec in runs:
        dens = None if rec.kind == "baseline" else float(rec.density or 1.0)
        l2 = None if rec.kind == "baseline" else float(rec.l2)
        groups.setdefault((rec.dataset, rec.method, dens, l2), {})[rec.seed] = rec
    cells = []
    for (dataset, method, dens, l2), by_seed in sorted(groups.items(), key=lambda g: str(g[0])):
        recs = [by_seed[s] for s in sorted(by_seed)]
        losses = [r.best_val_loss for r in recs]
        acc, sweep = {}, {}
        for metric in recs[0].accuracy:
            vals = 100.0 * np.array([r.accuracy[metric] for r in recs], dtype=float)
            acc[metric] = (float(vals.mean()), float(vals.std()))
            ks = sorted({int(k) for r in recs for k in r.get("sweep", metric) or {}})
            sweep[metric] = {k: 100.0 * _mean([r.get("sweep", metric, str(k)) for r in recs])
                             for k in ks}
        cells.append({
            "dataset": dataset, "method": method, "kind": recs[0].kind, "density": dens,
            "l2": l2, "seeds": sorted(by_seed), "n": len(recs), "k": recs[0].k,
            "mean_val_loss": None if None in losses else float(np.mean(losses)),
            "acc": acc, "sweep": sweep, "variants": mean_variants(recs),
            **{name: _mean([r.get(*path) for r in recs]) for name, path in (
                ("flops_train", ("flops", "train")), ("flops_ratio", ("flops", "ratio")),
                ("param_bytes", ("memory", "param_bytes")),
                ("param_bytes_dense", ("memory", "param_bytes_dense")),
                ("peak_rss_bytes", ("memory", "peak_rss_bytes")),
                ("seconds", ("seconds", "total")), ("epochs_run", ("epochs_run",)))}})
    return cells


def select_models(cells):
    """{(data set, method): chosen cell}: the lowest mean validation loss (NaN or missing
    counts as worst; ties go to the lower density, then the lower L2); baselines have one
    cell each."""
    def key(c):
        loss = c["mean_val_loss"]
        return (np.inf if loss is None or np.isnan(loss) else loss, c["density"] or 0,
                c["l2"] or 0)

    chosen = {}
    for cell in cells:
        best = chosen.get((cell["dataset"], cell["method"]))
        if best is None or key(cell) < key(best):
            chosen[(cell["dataset"], cell["method"])] = cell
    return chosen


def summarize(out_dir, importance=None):
    """Model selection and the report's numbers for a study folder.

    ``importance`` (None: as the runs reported) re-reads every network run's test accuracy
    under another importance window from its stored variant scores (see
    :func:`~sparsefs.experiments.variants.reread_accuracy`); the K sweep stays the runs' own.

    Returns
    -------
    dict with
      rows : list of dict, one per (data set, column): dataset, column, method, metric, k,
        density, sparsity, l2, n_seeds, mean, std (%), mean_val_loss, paper_mean, paper_std,
        paper_sparsity, diff (mean - paper_mean), resources (see :func:`make_cells`) and
        sweep {K: mean %};
      columns, datasets : the table's labels in order;
      ranks : {K: {column: average rank over data sets}} (1 = best, ties averaged);
      cells : every cell (see :func:`make_cells`), for plots;
      settings : the study manifest, or None;
      madelon_recovery : Markdown lines of the madelon ground-truth section (or []);
      importance : the ``importance`` argument.
    """
    out = Path(out_dir)
    runs = load_runs(out)
    if importance is not None:
        runs = [reread_accuracy(r, importance) for r in runs]
    cells = make_cells(runs)
    chosen = select_models(cells)
    paper = {(r["dataset"], r["column"]): r for t in ("4", "6") for r in load_paper_results(t)}
    order = {r["dataset"]: i for i, r in enumerate(load_paper_results("6"))}
    datasets = sorted({c["dataset"] for c in cells}, key=lambda d: (order.get(d, 1e9), d))
    present_baselines = [b for b in BASELINES if any(m == b for _, m in chosen)]
    # A column per metric some chosen cell of the rule holds ("combined" only from a study
    # run with --metric combined).
    guided = [(m, x, f"{METHOD_LABEL[m]}-{METRIC_LABEL[x]}") for m in ("guided", "guided-prune")
              for x in ("strength", "attr", "combined")
              if any(g == m and x in cell["acc"] for (_, g), cell in chosen.items())]
    columns = [*COLUMNS, *guided, *((b, "score", BASELINES[b]) for b in present_baselines)]
    rows = []
    for dataset in datasets:
        for method, metric, label in columns:
            cell = chosen.get((dataset, method))
            if cell is None or metric not in cell["acc"]:
                continue
            mean, std = cell["acc"][metric]
            ref = paper.get((dataset, label), {})
            rows.append({
                "dataset": dataset, "column": label, "method": method, "metric": metric,
                "k": cell["k"], "density": cell["density"],
                "sparsity": None if cell["density"] is None else round(1 - cell["density"], 6),
                "l2": cell["l2"], "n_seeds": cell["n"], "mean": mean, "std": std,
                "mean_val_loss": cell["mean_val_loss"], "paper_mean": ref.get("mean"),
                "paper_std": ref.get("std"), "paper_sparsity": ref.get("sparsity"),
                "diff": None if ref.get("mean") is None else mean - ref["mean"],
                **{key: cell[key] for key in ("flops_train", "flops_ratio", "param_bytes",
                                              "param_bytes_dense", "peak_rss_bytes",
                                              "seconds", "epochs_run")},
                "sweep": cell["sweep"].get(metric, {})})
    ranks = average_ranks(rows, datasets)
    manifest = out / MANIFEST
    settings = json.loads(manifest.read_text()) if manifest.exists() else None
    return {"rows": rows, "columns": [c[2] for c in columns], "datasets": datasets,
            "ranks": ranks, "cells": cells, "chosen": chosen, "settings": settings,
            "madelon_recovery": recovery_section(runs), "importance": importance}


def average_ranks(rows, datasets):
    """{K: {column: average rank over ``datasets``}} of rows with ``dataset``, ``column`` and
    ``sweep`` {K: accuracy}: at each K every column present is ranked per data set (1 = best,
    ties averaged), then the ranks are averaged over the data sets."""
    from scipy.stats import rankdata

    ranks = {}
    for kk in sorted({kk for r in rows for kk in r["sweep"]}):
        per_col = {}
        for dataset in datasets:
            got = [(r["column"], r["sweep"][kk]) for r in rows
                   if r["dataset"] == dataset and kk in r["sweep"]]
            for (label, _), rank in zip(got, rankdata([-v for _, v in got])):
                per_col.setdefault(label, []).append(float(rank))
        ranks[kk] = {label: float(np.mean(v)) for label, v in per_col.items()}
    return ranks


def format_table(summary):
    """The paper's layout as a Markdown table: rows data sets (ours, paper, Δ), columns
    Dense-QS ... RigL-Attr and the baselines; "ours" cells are mean±std (sparsity)."""
    cols = summary["columns"]
    by = {(r["dataset"], r["column"]): r for r in summary["rows"]}
    paper = {(r["dataset"], r["column"]): r for t in ("4", "6") for r in load_paper_results(t)}
    lines = []
    for dataset in summary["datasets"]:
        ours, ref, diff = [dataset, "ours"], ["", "paper"], ["", "Δ"]
        for col in cols:
            r, p = by.get((dataset, col)), paper.get((dataset, col))
            sp = "" if r is None or r["sparsity"] is None else f" ({r['sparsity']:.2f})"
            ours.append("–" if r is None else f"{r['mean']:.2f}±{r['std']:.2f}{sp}")
            psp = "" if p is None or p["sparsity"] is None else f" ({p['sparsity']:.2f})"
            ref.append("–" if p is None else f"{p['mean']:.2f}±{p['std']:.2f}{psp}")
            diff.append(_diff_cell(dataset, r, p))
        lines += [ours, ref, diff]
    return _md_table(["Dataset", "", *cols], lines)


def _diff_cell(dataset, ours, paper):
    """"+1.23 ✓" (within one paper std or better), "-4.56", "n/c" (not comparable) or "–"."""
    if ours is None or paper is None:
        return "–"
    if dataset in NOT_COMPARABLE:
        return "n/c"
    mark = " ✓" if within_paper_std(ours, paper) else ""
    return f"{ours['mean'] - paper['mean']:+.2f}{mark}"


def comparison_lines(summary):
    """Per column, how many comparable data sets are within one paper std of the paper's mean
    or better, and the data sets whose copies are not comparable, with the reason."""
    paper = {(r["dataset"], r["column"]): r for t in ("4", "6") for r in load_paper_results(t)}
    lines = []
    for col in summary["columns"]:
        pairs = [(r, paper[(r["dataset"], col)]) for r in summary["rows"]
                 if r["column"] == col and (r["dataset"], col) in paper
                 and r["dataset"] not in NOT_COMPARABLE]
        if pairs:
            ok = sum(within_paper_std(r, p) for r, p in pairs)
            lines.append(f"- {col}: within one paper std or better on {ok} of {len(pairs)} "
                         "data sets")
    present = [d for d in summary["datasets"] if d in NOT_COMPARABLE]
    lines += [f"- {d}: not compared (n/c), {NOT_COMPARABLE[d]}" for d in present]
    return lines


def _report_md(summary):
    s = summary["settings"] or {}
    parts = ["# sparsefs study report", "", f"Settings: {json.dumps(s.get('settings', {}))}  ",
             f"Grid: {json.dumps(s.get('grid', {}))}", "", *_reread_lines(summary),
             "## Test accuracy [%], paper layout (Table 6; Lasso from Table 4)", "",
             format_table(summary), "", "✓: within one paper standard deviation of the paper's "
             "mean, or better.", "", *comparison_lines(summary), "", "## Model selection", ""]
    parts.append(_md_table(
        ["Dataset", "Column", "K", "density", "L2", "seeds", "mean val loss"],
        [[r["dataset"], r["column"], r["k"], _f(r["density"]), r["l2"] if r["l2"] is not None
          else "–", r["n_seeds"], _f(r["mean_val_loss"], 4)] for r in summary["rows"]]))
    ks = sorted(summary["ranks"])
    parts += ["", "## K sweep: accuracy [%] of the chosen cells", ""]
    parts.append(_md_table(["Dataset", "Column", *(f"K={kk}" for kk in ks)], [
        [r["dataset"], r["column"], *(_f(r["sweep"].get(kk)) for kk in ks)]
        for r in summary["rows"]]))
    parts += ["", "## Average rank over data sets (1 = best)", ""]
    parts.append(_md_table(["K", *summary["columns"]], [
        [kk, *(_f(summary["ranks"][kk].get(c)) for c in summary["columns"])] for kk in ks]))
    guided = guided_section(summary["cells"], summary["datasets"])
    parts += ["", *guided] if guided else []
    parts += ["", *summary["madelon_recovery"]] if summary.get("madelon_recovery") else []
    chosen_nn = {(r["dataset"], r["method"]): r for r in summary["rows"]
                 if r["metric"] != "score"}
    parts += ["", *variants_section([summary["chosen"][key] for key in chosen_nn])]
    flops5 = {(r["dataset"], r["column"]): r["mean"] for r in load_paper_results("5")}
    parts += ["", "## Resources per run (means over the chosen cell's seeds)", ""]
    parts.append(_md_table(
        ["Dataset", "Method", "train FLOPs", "vs dense", "paper FLOPs (Attr)", "param MB",
         "dense param MB", "peak RSS MB", "seconds", "epochs"],
        [_resource_line(r, flops5) for r in summary["rows"] if r["metric"] in ("attr", "score")]))
    parts += ["", "## Notes", "", *(f"{i}. {t}" for i, t in enumerate(FOOTNOTES, 1)),
              f"{len(FOOTNOTES) + 1}. Paper: {CITATION}.", ""]
    return "\n".join(parts)


def _reread_lines(summary):
    """The report's statement of which window its accuracies are read under."""
    importance = summary.get("importance")
    if importance is None:
        return []
    windows = ", ".join(f"{m}: {resolve_importance(importance, m)}" for m in METRICS)
    return [f"Accuracies re-read under importance={importance} ({windows}; \"validated\" is "
            "each run's own choice by SVC accuracy on its validation rows) from the variant "
            "scores every run stored; training does not depend on the window, so these are "
            "the numbers the runs would have reported with it. The K sweep and the average "
            "ranks below are the runs' own window (Settings).", ""]


def _cells_csv(cells):
    """Every (data set, method, density, L2) cell: seeds, validation loss, accuracy per metric
    and mean resources, so choices other than the report's can be checked."""
    keys = ["flops_train", "flops_ratio", "param_bytes", "param_bytes_dense", "peak_rss_bytes",
            "seconds", "epochs_run"]
    metrics = ["attr", "strength", "score"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["dataset", "method", "density", "l2", "n_seeds", "mean_val_loss",
                     *(f"{m}_{x}" for m in metrics for x in ("mean", "std")), *keys])
    for c in cells:
        accs = [v for m in metrics for v in c["acc"].get(m, ("", ""))]
        writer.writerow([("" if v is None else v) for v in (
            c["dataset"], c["method"], c["density"], c["l2"], c["n"], c["mean_val_loss"],
            *accs, *(c[k] for k in keys))])
    return buf.getvalue()


def _resource_line(row, flops5):
    """One row of the resources table; the paper's Table 5 FLOPs are in units of 1e12."""
    paper = flops5.get((row["dataset"], f"{METHOD_LABEL[row['method']]}-Attr"))
    mb = [_f(None if row[k] is None else row[k] / 2**20)
          for k in ("param_bytes", "param_bytes_dense", "peak_rss_bytes")]
    return [row["dataset"], METHOD_LABEL[row["method"]],
            "–" if row["flops_train"] is None else f"{row['flops_train']:.3g}",
            _f(row["flops_ratio"], 3), "–" if paper is None else f"{paper * 1e12:.3g}",
            *mb, _f(row["seconds"], 1), _f(row["epochs_run"], 1)]


def _report_csv(summary):
    ks = sorted(summary["ranks"])
    fields = [k for k in summary["rows"][0] if k != "sweep"] if summary["rows"] else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*fields, *(f"acc@{kk}" for kk in ks)])
    for r in summary["rows"]:
        writer.writerow([("" if r[f] is None else r[f]) for f in fields]
                        + [r["sweep"].get(kk, "") for kk in ks])
    return buf.getvalue()


def write_report(out_dir, plots=True, importance=None):
    """Write report.md, report.csv (one row per data set and column), cells.csv (every grid
    cell) and, with matplotlib, accuracy_vs_density.png and accuracy_vs_flops.png;
    ``importance`` as in :func:`summarize`.

    Returns
    -------
    dict with text (the paper-layout table, for printing), files (paths written) and
    summary (see :func:`summarize`).
    """
    out = Path(out_dir)
    summary = summarize(out, importance)
    if not summary["rows"]:
        from ..errors import InputError
        raise InputError(f"{out} holds no finished runs under {RUNS_DIR}/; run a study first.")
    files = [out / "report.md", out / "report.csv", out / "cells.csv"]
    write_text_atomic(files[0], _report_md(summary))
    write_text_atomic(files[1], _report_csv(summary))
    write_text_atomic(files[2], _cells_csv(summary["cells"]))
    files = [str(f) for f in files] + (write_plots(summary, out) if plots else [])
    return {"text": format_table(summary), "files": files, "summary": summary}

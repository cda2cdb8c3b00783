"""Validation (and test) accuracy of the same methods in two study folders, data set by data set:
how a setting that differs between them (for example the coupled L2) moves each cell.

Cells are the report's (data set, method, density, L2) groups at one density; a cell's
validation accuracy is the SVC on each run's own validation rows for the fixed importance
window of each metric (what a choice may be made on), its test accuracy the run's reported one.
Only data sets and methods present in both folders are compared, on the seeds both hold.

    python bench/compare_studies.py bench/results/study bench/results/study_l2_1e-2 \\
        --methods set,guided-prune --density 0.2 --out bench/results/study_l2_1e-2/compare.md
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsefs.data.writers import write_text_atomic  # noqa: E402
from sparsefs.experiments.report import load_runs, make_cells  # noqa: E402
from sparsefs.experiments.tables import markdown_table  # noqa: E402
from sparsefs.experiments.variants import fixed_window_val  # noqa: E402

METRICS = (("attr", "Attr"), ("strength", "QS"))


def cells_by_key(runs, density):
    """{(data set, method): cell} of a study's runs' cells at ``density``."""
    return {(c["dataset"], c["method"]): c for c in make_cells(runs)
            if c["kind"] == "nn" and c["density"] == density}


def compare(a, b, methods, density):
    """(rows, means): per (data set, method, metric) the validation and test accuracy [%] in
    folder ``a`` and ``b``; means over the rows of each (method, metric)."""
    ra, rb = load_runs(a), load_runs(b)
    seeds = {r.seed for r in ra} & {r.seed for r in rb}  # matched seeds only
    ca = cells_by_key([r for r in ra if r.seed in seeds], density)
    cb = cells_by_key([r for r in rb if r.seed in seeds], density)
    rows, pooled = [], {}
    for (dataset, method) in sorted(set(ca) & set(cb)):
        if method not in methods:
            continue
        x, y = ca[(dataset, method)], cb[(dataset, method)]
        for metric, short in METRICS:
            va, vb = fixed_window_val(x, metric), fixed_window_val(y, metric)
            ta, tb = x["acc"][metric][0], y["acc"][metric][0]
            if va is None or vb is None:
                continue
            rows.append([dataset, f"{method}-{short}", x["n"], f"{va:.1f}",
                         f"{vb:.1f}", f"{vb - va:+.1f}", f"{ta:.1f}", f"{tb:.1f}"])
            pooled.setdefault(f"{method}-{short}", []).append((va, vb, ta, tb))
    means = {k: np.mean(v, axis=0) for k, v in pooled.items()}
    return rows, means, {k: sum(vb >= va for va, vb, _, _ in v) for k, v in pooled.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--methods", default="set,guided-prune")
    p.add_argument("--density", type=float, default=0.2)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    rows, means, up = compare(args.a, args.b, args.methods.split(","), args.density)
    command = "python bench/compare_studies.py " + " ".join(argv or sys.argv[1:])
    na, nb = os.path.basename(args.a.rstrip("/")), os.path.basename(args.b.rstrip("/"))
    md = [f"# {na} against {nb}, density {args.density:g}", "", f"Command: `{command}`", "",
          "SVC accuracy [%] at the data set's K, mean over seeds: validation rows (the fixed "
          "importance window of each metric) and test split, on the seeds both folders hold.", "",
          markdown_table(["Dataset", "Column", "seeds", f"val {na}", f"val {nb}", "Δ val",
                          f"test {na}", f"test {nb}"], rows), "",
          markdown_table(["Column", "data sets", f"val {na}", f"val {nb}", f"{nb} >= {na}",
                          f"test {na}", f"test {nb}"],
                         [[k, len([r for r in rows if r[1] == k]), f"{m[0]:.2f}", f"{m[1]:.2f}",
                           up[k], f"{m[2]:.2f}", f"{m[3]:.2f}"] for k, m in means.items()]), ""]
    text = "\n".join(md)
    if args.out:
        write_text_atomic(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A study with one method's runs swapped for another folder's: the report's guided section
(FLOPs against SET, equal accuracy, mean ranks among every column, validation means) for both,
then the average rank over K of every column of the whole table with both folders' runs of the
method side by side (the new folder's columns marked with its name).

A changed rule (for example input pruning's pace) is run into a folder of its own, under the
same method name; this puts its runs in place of the main study's runs of that method, on the
data sets and seeds both hold, and prints the report's "Attribution-guided topology" section for
the study as it is and with the swap, both read under ``--importance`` (the report's re-read).

    python bench/swap_rule.py bench/results/study bench/results/study_prune_rate \\
        --method guided-prune --out bench/results/study_prune_rate/compare.md
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsefs.data.writers import write_text_atomic  # noqa: E402
from sparsefs.experiments.guided_section import guided_section  # noqa: E402
from sparsefs.experiments.report import (  # noqa: E402
    average_ranks,
    load_runs,
    make_cells,
    summarize,
)
from sparsefs.experiments.tables import markdown_table  # noqa: E402
from sparsefs.experiments.variants import reread_accuracy  # noqa: E402


def _seeds(runs, method):
    """{data set: set of seeds} of the runs of ``method``."""
    out = {}
    for r in runs:
        if r.method == method:
            out.setdefault(r.dataset, set()).add(r.seed)
    return out


def swapped(main_runs, new_runs, method):
    """(kept main runs, swapped runs): on the data sets whose ``method`` runs the new folder
    holds for every seed the main study has, the main runs of ``method`` are replaced."""
    have, want = _seeds(new_runs, method), _seeds(main_runs, method)
    full = sorted(d for d in want if want[d] <= have.get(d, set()))
    kept = [r for r in main_runs if r.dataset in full]
    swap = [r for r in kept if r.method != method] + [
        r for r in new_runs
        if r.method == method and r.dataset in full and r.seed in want[r.dataset]]
    return kept, swap, full


def side_by_side_ranks(main_rows, new_rows, datasets, method, tag):
    """Markdown lines: average rank (1 = best) of every column of the whole table, the new
    folder's ``method`` columns (labels suffixed with ``tag``) added beside the main ones; per K
    over ``datasets``, then the mean over K. Rows are :func:`summarize`'s."""
    rows = [r for r in main_rows if r["dataset"] in datasets] + [
        {**r, "column": f"{r['column']} {tag}"} for r in new_rows
        if r["dataset"] in datasets and r["method"] == method]
    columns = list(dict.fromkeys(r["column"] for r in rows))
    table = average_ranks(rows, datasets)
    ks = sorted(table)
    overall = {c: sum(table[k][c] for k in ks) / len(ks) for c in columns
               if all(c in table[k] for k in ks)}
    order = sorted(overall, key=overall.get)
    return [f"## Every column of the table, both folders' {method} runs side by side", "",
            f"Average rank (1 = best) over the {len(datasets)} data sets at each K, then over "
            f"K in {{{', '.join(map(str, ks))}}}; columns with {tag} are the new folder's.", "",
            markdown_table(["Column", *map(str, ks), "over K"],
                           [[c, *(f"{table[k][c]:.2f}" for k in ks), f"{overall[c]:.2f}"]
                            for c in order]), ""]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("main")
    p.add_argument("new")
    p.add_argument("--method", default="guided-prune")
    p.add_argument("--importance", default="auto")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    read = (lambda runs: [reread_accuracy(r, args.importance) for r in runs]) \
        if args.importance else (lambda runs: runs)
    kept, swap, full = swapped(read(load_runs(args.main)), read(load_runs(args.new)),
                               args.method)
    if not full:
        print(f"no data set has {args.method} runs for every seed in both folders")
        return 1
    command = "python bench/swap_rule.py " + " ".join(argv or sys.argv[1:])
    na, nb = os.path.basename(args.main.rstrip("/")), os.path.basename(args.new.rstrip("/"))
    md = [f"# {args.method}: {na} as it is, and with {nb}'s runs", "", f"Command: `{command}`",
          "", f"{len(full)} data sets where {nb} holds every seed of {na}: {', '.join(full)}.",
          "", f"## {na} as it is", ""]
    md += guided_section(make_cells(kept), full)[2:]
    md += ["", f"## {args.method} runs from {nb}", ""]
    md += guided_section(make_cells(swap), full)[2:]
    md += ["", *side_by_side_ranks(summarize(args.main, args.importance)["rows"],
                                   summarize(args.new, args.importance)["rows"], full,
                                   args.method, f"[{nb}]")]
    text = "\n".join(md)
    if args.out:
        write_text_atomic(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

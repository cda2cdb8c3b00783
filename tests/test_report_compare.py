"""The report's comparison with the paper: the one-std mark, not-comparable data sets."""

from sparsefs.experiments.paper import NOT_COMPARABLE, load_paper_results, within_paper_std
from sparsefs.experiments.report import _diff_cell, comparison_lines


def _paper(dataset, column):
    return next(r for r in load_paper_results("6")
                if r["dataset"] == dataset and r["column"] == column)


def test_one_std_mark_follows_the_papers_numbers():
    p = _paper("madelon", "SET-Attr")  # 76.63 +- 2.36
    assert _diff_cell("madelon", {"mean": p["mean"] - p["std"] + 0.01}, p).endswith("✓")
    assert not _diff_cell("madelon", {"mean": p["mean"] - p["std"] - 0.01}, p).endswith("✓")
    assert _diff_cell("madelon", {"mean": 80.0}, p) == f"{80.0 - p['mean']:+.2f} ✓"
    assert within_paper_std({"mean": p["mean"]}, p)


def test_isolet_is_shown_but_not_compared():
    assert "isolet" in NOT_COMPARABLE
    p = _paper("isolet", "SET-Attr")
    assert _diff_cell("isolet", {"mean": 99.0}, p) == "n/c"
    rows = [{"dataset": "isolet", "column": "SET-Attr", "mean": 99.0},
            {"dataset": "madelon", "column": "SET-Attr", "mean": 10.0}]
    lines = comparison_lines({"columns": ["SET-Attr"], "rows": rows,
                              "datasets": ["isolet", "madelon"]})
    assert lines[0] == "- SET-Attr: within one paper std or better on 0 of 1 data sets"
    assert lines[1].startswith("- isolet: not compared (n/c)")

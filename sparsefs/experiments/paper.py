"""The paper's published numbers and the labels the report uses for methods and metrics.

Numbers: Atashgahi et al., ECAI 2024, arXiv:2408.04583, Tables 4-6, stored in
``sparsefs/data/files/paper_results.csv``.
"""

import csv
from pathlib import Path

from .._config import BASELINES

CITATION = ("Atashgahi, Liu, Pechenizkiy, Veldhuis, Mocanu, van der Schaar, \"Unveiling the "
            "Power of Sparse Neural Networks for Feature Selection\", ECAI 2024, arXiv:2408.04583")
PAPER_CSV = Path(__file__).parents[1] / "data" / "files" / "paper_results.csv"
METRIC_LABEL = {"strength": "QS", "attr": "Attr", "combined": "Attr+QS", "score": ""}
METHOD_LABEL = {"dense": "Dense", "set": "SET", "rigl": "RigL", "guided": "Guided",
                "guided-prune": "Guided-Prune", **BASELINES}
#: The paper's Table 6 columns in its order: (method, metric, label).
COLUMNS = [(m, x, f"{METHOD_LABEL[m]}-{METRIC_LABEL[x]}")
           for m in ("dense", "set", "rigl") for x in ("strength", "attr")]
FOOTNOTES = [
    "Accuracy: SVC() test accuracy [%] on the top K features (K = the run's k; the paper's tables "
    "use K = 100, and its code K = 20 for Madelon); mean ± std (numpy, ddof = 0) over seeds.",
    "(density, L2) chosen per (data set, method) by the lowest validation loss averaged over "
    "seeds; the same cell serves both metrics. Sparsity in parentheses is 1 - density.",
    "Lasso here is L1-logistic regression (C = 1) ranked by max |coef|; the paper's Lasso "
    "settings are unpublished. LassoNet and STG (paper Table 4) need PyTorch and are not run.",
    "FLOPs follow sparsefs.nn.accounting (counted from the real arrays and samples); the paper's "
    "Table 5 FLOPs are unexplained 'theoretical estimates', so compare ratios, not values.",
]


def load_paper_results(table=None):
    """The paper's published numbers (Tables 4, 5 and 6) from ``data/paper_results.csv``.

    Parameters
    ----------
    table : {"4", "5", "6"}, optional
        Only that table's rows.

    Returns
    -------
    list of dict with table, dataset (sparsefs name), paper_name, column, mean, std and
    sparsity (float or None), unit ("percent_accuracy" or "flops_1e12").
    """
    with open(PAPER_CSV, newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    for row in rows:
        for key in ("mean", "std", "sparsity"):
            row[key] = float(row[key]) if row[key] else None
    return [r for r in rows if table is None or r["table"] == str(table)]

#: Data sets whose copy here differs from the paper's, so their numbers are shown but not
#: compared: the reason is printed in the report.
NOT_COMPARABLE = {
    "isolet": "the 1,560-sample Isolet.mat here, while the paper's test accuracies need the "
              "7,797-sample UCI file (shared/PAPER.md)",
    "mnist_test10k": "the 10,000 MNIST test images only, not the paper's 70,000",
}


def within_paper_std(ours, paper):
    """Whether our mean is at least the paper's mean minus one paper standard deviation."""
    return ours["mean"] >= paper["mean"] - (paper["std"] or 0.0)

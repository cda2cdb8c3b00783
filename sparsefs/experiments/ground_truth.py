"""Known relevant features of madelon, found from the data, and how many of them a ranking finds.

Madelon (NIPS 2003 feature-selection challenge) was generated from 5 informative features and 15
linear combinations of them; the other 480 columns are independent probes. So the 20 relevant
columns are the only ones strongly correlated with another column: on the bundled training rows
each of them has a largest absolute correlation with some other column of 0.69 or more, every
probe 0.10 or less. That structure identifies them without labels, without a model and without
the test split, so it is an independent check of any ranking.
"""

import numpy as np

from .tables import markdown_table

#: Columns whose largest absolute correlation with another column exceeds this are relevant.
CORRELATION_THRESHOLD = 0.4
#: The challenge's documented count (5 informative + 15 linear combinations).
N_RELEVANT = 20
#: A ranking is scored by how many relevant columns its top ``TOP`` holds (madelon's K).
TOP = 20


def correlated_features(X, threshold=CORRELATION_THRESHOLD):
    """Columns of ``X`` (n_samples, n_features) whose largest absolute Pearson correlation with
    another column exceeds ``threshold``: sorted int64 (m,). Constant columns never count.

    Memory: one (n_features, n_features) float64 correlation matrix (2 MB for madelon)."""
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    Z = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    C = np.abs(Z.T @ Z) / X.shape[0]
    np.fill_diagonal(C, 0.0)
    C[:, std == 0] = 0.0
    C[std == 0, :] = 0.0
    return np.flatnonzero(C.max(axis=1) > threshold).astype(np.int64)


def madelon_relevant_features(X=None):
    """The 20 relevant columns of madelon, from ``X`` (default: the bundled training rows).

    Raises ValueError when the correlation structure does not single out exactly 20 columns
    (the data are not madelon's)."""
    if X is None:
        from ..data import load_dataset

        X = load_dataset("madelon").X_train
    found = correlated_features(X)
    if len(found) != N_RELEVANT:
        raise ValueError(f"the correlation structure singles out {len(found)} columns, not "
                         f"madelon's {N_RELEVANT}; pass madelon's own rows")
    return found


def hits(ranking, relevant, top=TOP):
    """How many of ``relevant`` are in the first ``top`` entries of ``ranking``."""
    return len(set(int(i) for i in list(ranking)[:top]) & set(int(i) for i in relevant))


def recovery_rows(runs, relevant, dataset="madelon"):
    """One dict per (method, density, L2) group of ``runs`` (RunRecord) on ``dataset``: method,
    density, l2, n_seeds and, per metric, the mean and std over seeds of :func:`hits`."""
    groups = {}
    for rec in runs:
        if rec.dataset != dataset or not rec.rankings:
            continue
        key = (rec.method, rec.density if rec.kind == "nn" else None,
               rec.l2 if rec.kind == "nn" else None)
        groups.setdefault(key, {})[rec.seed] = rec
    rows = []
    for (method, density, l2), by_seed in sorted(groups.items(), key=lambda g: str(g[0])):
        per_metric = {}
        for metric in sorted({m for r in by_seed.values() for m in r.rankings}):
            h = [hits(r.rankings[metric], relevant) for r in by_seed.values()
                 if metric in r.rankings]
            per_metric[metric] = (float(np.mean(h)), float(np.std(h)), len(h))
        rows.append({"method": method, "density": density, "l2": l2,
                     "n_seeds": len(by_seed), "hits": per_metric})
    return rows


def recovery_section(runs):
    """Markdown lines of the report's madelon ground-truth section, or [] without madelon runs."""
    if not any(r.dataset == "madelon" for r in runs):
        return []
    relevant = madelon_relevant_features()
    rows = recovery_rows(runs, relevant)
    if not rows:
        return []

    def cell(row, metric):
        if metric not in row["hits"]:
            return "–"
        mean, std, _ = row["hits"][metric]
        return f"{mean:.1f}±{std:.1f}"

    body = [[r["method"], "–" if r["density"] is None else f"{r['density']:g}",
             "–" if r["l2"] is None else f"{r['l2']:g}", r["n_seeds"], cell(r, "attr"),
             cell(r, "strength"), cell(r, "score")] for r in rows]
    return ["## Madelon: relevant features found", "",
            f"How many of madelon's {N_RELEVANT} relevant columns (its 5 informative features "
            "and their 15 linear combinations, found from the training rows' correlation "
            f"structure: columns {', '.join(map(str, relevant))}) each run puts in its top "
            f"{TOP}, mean ± std over seeds; random would find 0.8.", "",
            markdown_table(["Method", "density", "L2", "seeds", "Attr", "QS", "baseline"],
                           body), ""]

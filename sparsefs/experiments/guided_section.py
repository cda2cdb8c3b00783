"""The report's section on attribution-guided topology: SET, guided and guided-prune at the
same density, beside the classical baselines, with training FLOPs and average ranks.

The three rules are compared where all three ran at ``DENSITY`` (the report's main table
chooses each method's density by validation loss, so its cells need not share one). Which
configuration to recommend is read from validation accuracy (the SVC on the network's own
validation rows), never from the test split; test accuracy is what the table reports.
"""

import numpy as np

from .._config import BASELINES, K_SWEEP
from .paper import METHOD_LABEL
from .tables import fmt as _f
from .tables import markdown_table
from .variants import fixed_window_val

DENSITY = 0.2
RULES = ("set", "guided", "guided-prune")


def _cells_at(cells, method, density):
    return {c["dataset"]: c for c in cells
            if c["method"] == method and (density is None or c["density"] == density)}


def guided_section(cells, datasets):
    """Markdown lines of the section, or [] when the study has no SET runs beside guided or
    guided-prune ones at ``DENSITY``. The rules present are compared; the last of them (guided-
    prune when it ran) is the one whose FLOPs and accuracy are set against SET's."""
    nn = {m: _cells_at(cells, m, DENSITY) for m in RULES}
    rules = [m for m in RULES if nn[m]]
    base = {b: _cells_at(cells, b, None) for b in BASELINES}
    shared = [d for d in datasets if all(d in nn[m] for m in rules)]
    if "set" not in rules or len(rules) < 2 or not shared:
        return []
    last = METHOD_LABEL[rules[-1]]
    lines = ["## Attribution-guided topology at equal density", "",
             f"{', '.join(METHOD_LABEL[m] for m in rules)} at density {DENSITY:g}, SVC test "
             "accuracy [%] at K with attribution (mean ± std over seeds); best classical = the "
             "best baseline but random on the test split; FLOPs = training FLOPs per run (per "
             "epoch: divided by each rule's mean epochs run); "
             f"'=' = {last} within one SET std of SET-Attr, or better.", ""]
    rows, ratios, equal = [], [], []
    for d in shared:
        s, p = nn["set"][d], nn[rules[-1]][d]
        best = max(((b, c[d]["acc"]["score"][0]) for b, c in base.items()
                    if b != "random" and d in c), key=lambda t: t[1], default=(None, None))
        ratio = p["flops_train"] / s["flops_train"] if s["flops_train"] else None
        # Runs stop at different epochs (early stopping): per epoch compares the rules' work.
        per_epoch = (ratio * s["epochs_run"] / p["epochs_run"]
                     if ratio is not None and s["epochs_run"] and p["epochs_run"] else None)
        same = p["acc"]["attr"][0] >= s["acc"]["attr"][0] - s["acc"]["attr"][1]
        ratios.append(ratio)
        equal.append(same)
        rows.append([d, min(nn[m][d]["n"] for m in rules), *(_acc(nn[m][d]) for m in rules),
                     "–" if best[0] is None else f"{BASELINES[best[0]]} {best[1]:.2f}",
                     f"{s['flops_train']:.3g}", _f(ratio, 3), _f(per_epoch, 3),
                     "=" if same else "lower"])
    lines.append(markdown_table(
        ["Dataset", "seeds", *(f"{METHOD_LABEL[m]}-Attr" for m in rules), "best classical",
         "SET FLOPs", f"{last} / SET FLOPs", "per epoch", f"{last} vs SET"], rows))
    halved = sum(1 for r, e in zip(ratios, equal) if e and r is not None and r <= 0.5)
    lines += ["", f"{last} needs at most half of SET's training FLOPs at equal accuracy "
              f"on {halved} of {len(shared)} data sets; median FLOP ratio "
              f"{np.median([r for r in ratios if r is not None]):.3f}.", ""]
    lines += _rank_lines(nn, rules, base, shared)
    lines += _validation_lines(nn, rules, shared)
    return lines


def _acc(cell):
    mean, std = cell["acc"]["attr"]
    return f"{mean:.2f}±{std:.2f}"


def _rank_lines(nn, rules, base, shared):
    """Average rank (1 = best) over K in ``K_SWEEP``, then over the shared data sets, among
    the ``rules`` (both metrics) and every baseline present on all of them."""
    columns = [(f"{METHOD_LABEL[m]}-{'Attr' if x == 'attr' else 'QS'}", nn[m], x)
               for m in rules for x in ("attr", "strength")]
    columns += [(BASELINES[b], c, "score") for b, c in base.items()
                if all(d in c for d in shared)]
    per_dataset = []
    for d in shared:
        ranks = []
        for k in K_SWEEP:
            accs = [c[d]["sweep"].get(x, {}).get(k) for _, c, x in columns]
            if None in accs:
                continue
            ranks.append(_average_ties(np.array(accs)))
        if ranks:
            per_dataset.append(np.mean(ranks, axis=0))
    if not per_dataset:
        return []
    mean_rank = np.mean(per_dataset, axis=0)
    order = np.argsort(mean_rank, kind="stable")
    return [f"Average rank over K in {{{', '.join(map(str, K_SWEEP))}}} and the "
            f"{len(per_dataset)} data sets (1 = best):", "",
            markdown_table(["Column", "mean rank"],
                           [[columns[i][0], f"{mean_rank[i]:.2f}"] for i in order]), ""]


def _average_ties(accs):
    """Ranks of ``accs`` (1 = highest), ties given their average rank."""
    from scipy.stats import rankdata
    return rankdata(-accs, method="average")


def _validation_lines(nn, rules, shared):
    """Mean validation accuracy of each metric's fixed importance window. Strength as the
    product reads it (its window chosen per fit on these very rows) would be flattered here,
    so metrics are compared on held-out halves (bench/metric_halves.py)."""
    out = []
    for m in rules:
        for metric in ("attr", "strength"):
            vals = [fixed_window_val(nn[m][d], metric) for d in shared]
            vals = [v for v in vals if v is not None]
            if vals:
                label = f"{METHOD_LABEL[m]}-{'Attr' if metric == 'attr' else 'QS'}"
                out.append([label, f"{np.mean(vals):.2f}", len(vals)])
    if not out:
        return []
    return ["Validation accuracy [%] (SVC on each network's validation rows, mean over the "
            "shared data sets) in each metric's fixed window: what a rule is chosen on. "
            "Strength's per-fit window, what the product ranks by, is scored against "
            "attribution on held-out halves of these rows by bench/metric_halves.py.", "",
            markdown_table(["Column", "mean val accuracy", "data sets"], out), ""]

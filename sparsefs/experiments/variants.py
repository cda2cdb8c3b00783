"""Which importance variant to use, decided on validation data, once for all runs or per run.

Every network run scores the top K of every importance variant and metric with the SVC twice
(``RunRecord.variants``): on the network's validation rows (trained on its training rows) and
on the test split. The choice uses only the validation numbers; the test numbers are shown
beside them, never used to choose.
"""

import dataclasses

import numpy as np

from .._config import FIXED_IMPORTANCE, IMPORTANCE_VARIANTS, METRICS, resolve_importance
from .._window_choice import best_window
from .tables import fmt, markdown_table

#: The per-run choice: in each run, the variant of highest validation accuracy (ties to the
#: metric's fixed-rule variant), as ``importance="validated"`` makes it with the SVC.
VALIDATED = "validated"


def validated_choice(record, metric):
    """``{"val": ..., "test": ...}`` of the variant ``record``'s own validation accuracy picks
    for ``metric``, or None when the run did not score every variant on validation rows."""
    got = {v: record.get("variants", v, metric) for v in IMPORTANCE_VARIANTS}
    if any(g is None or g.get("val") is None for g in got.values()):
        return None
    return got[best_window({v: g["val"] for v, g in got.items()}, FIXED_IMPORTANCE[metric])]


def reread_accuracy(record, importance):
    """``record`` with each metric's test accuracy as its stored ``variants`` hold it under
    ``importance`` ("auto" in its current meaning, "validated" or a variant name) instead of
    the window the run reported; baselines are returned as they are.

    Training does not depend on the window, so this is the accuracy the same run would have
    reported with that importance; only the K sweep (scored for the run's own window) is not
    re-read. Raises ``InputError`` for a run that did not score the window.
    """
    if record.kind != "nn" or not record.accuracy:
        return record
    accuracy = {}
    for metric in record.accuracy:
        if metric not in METRICS:  # "combined" is read from both metrics' own windows
            accuracy[metric] = record.accuracy[metric]
            continue
        window = resolve_importance(importance, metric)
        got = (validated_choice(record, metric) if window == VALIDATED
               else record.get("variants", window, metric))
        if not got or got.get("test") is None:
            from ..errors import InputError
            raise InputError(
                f"The {record.dataset} run of {record.method} (seed {record.seed}) did not "
                f"score the {window} window of {metric}; report this study without "
                "--importance, or rerun it with scored variants.")
        accuracy[metric] = got["test"]
    return dataclasses.replace(record, accuracy=accuracy)


def mean_variants(records):
    """``{variant: {metric: {"val": mean %, "test": mean %}}}`` over runs that scored them,
    with :data:`VALIDATED` (the per-run choice) beside the fixed variants."""
    out = {}
    for variant in (*IMPORTANCE_VARIANTS, VALIDATED):
        for metric in METRICS:
            for split in ("val", "test"):
                if variant == VALIDATED:
                    vals = [(validated_choice(r, metric) or {}).get(split) for r in records]
                else:
                    vals = [r.get("variants", variant, metric, split) for r in records]
                vals = [v for v in vals if v is not None]
                if vals:
                    out.setdefault(variant, {}).setdefault(metric, {})[split] = \
                        100.0 * float(np.mean(vals))
    return out


def fixed_window_val(cell, metric):
    """A cell's mean validation accuracy [%] for ``metric`` in its fixed importance window
    (what a recommendation is chosen on), or None where the runs did not score it."""
    return cell["variants"].get(FIXED_IMPORTANCE[metric], {}).get(metric, {}).get("val")


def choose_variant(cells, metric):
    """The variant of highest validation accuracy for ``metric``, averaged over the given
    cells (one per data set and method) with equal weight; returns (variant, {variant:
    mean val %}) or (None, {}) when no cell scored variants."""
    per_variant = {}
    for cell in cells:
        for variant, metrics in (cell.get("variants") or {}).items():
            if variant == VALIDATED:  # chosen on these very numbers: not a competitor
                continue
            val = metrics.get(metric, {}).get("val")
            if val is not None:
                per_variant.setdefault(variant, []).append(val)
    # Only variants every cell scored compete, so a missing score cannot help one.
    n = max((len(v) for v in per_variant.values()), default=0)
    means = {v: float(np.mean(x)) for v, x in per_variant.items() if len(x) == n}
    if not means:
        return None, {}
    return max(means, key=lambda v: (means[v], -IMPORTANCE_VARIANTS.index(v))), means


def variants_section(chosen_cells):
    """Markdown: per data set and method, validation (and test) accuracy of every variant,
    then the variant each metric's validation mean picks."""
    cells = [c for c in chosen_cells if c.get("variants")]
    if not cells:
        return []
    shown = (*IMPORTANCE_VARIANTS, VALIDATED)
    header = ["Dataset", "Method", *(f"{v} {m} val (test)" for m in METRICS for v in shown)]
    lines = []
    for c in sorted(cells, key=lambda c: (c["dataset"], c["method"])):
        row = [c["dataset"], c["method"]]
        for m in METRICS:
            for v in shown:
                got = c["variants"].get(v, {}).get(m, {})
                row.append(f"{fmt(got.get('val'), 1)} ({fmt(got.get('test'), 1)})")
        lines.append(row)
    parts = ["## Importance variants: SVC accuracy [%] at K on validation rows (test)", "",
             markdown_table(header, lines), ""]
    for m in METRICS:
        best, means = choose_variant(cells, m)
        ranked = ", ".join(f"{v} {means[v]:.2f}" for v in sorted(means, key=means.get,
                                                                  reverse=True))
        parts.append(f"- {m}: highest mean validation accuracy: **{best}** ({ranked})")
    parts += [line for m in METRICS if (line := _validated_line(cells, m))]
    return parts + [""]


def _validated_line(cells, metric):
    """One sentence: the per-run choice against the fixed "auto" variant, on the test split,
    over the cells where both were scored."""
    auto = FIXED_IMPORTANCE[metric]
    pairs = [(c["variants"][VALIDATED][metric]["test"], c["variants"][auto][metric]["test"])
             for c in cells if metric in c["variants"].get(VALIDATED, {})
             and metric in c["variants"].get(auto, {})]
    if not pairs:
        return None
    chosen, fixed = np.array(pairs).T
    return (f"- {metric}, the variant chosen per run on its validation rows ({VALIDATED}): "
            f"test {chosen.mean():.2f} against {auto}'s {fixed.mean():.2f} over {len(pairs)} "
            f"cells (higher in {int((chosen > fixed + 1e-9).sum())}, lower in "
            f"{int((chosen < fixed - 1e-9).sum())})")

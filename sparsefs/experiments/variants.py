"""Which importance variant to use, decided on validation data.

Every network run scores the top K of every importance variant and metric with the SVC twice
(``RunRecord.variants``): on the network's validation rows (trained on its training rows) and
on the test split. The choice uses only the validation numbers; the test numbers are shown
beside them, never used to choose.
"""

import numpy as np

from .._config import IMPORTANCE_VARIANTS, METRICS
from .tables import fmt, markdown_table


def mean_variants(records):
    """``{variant: {metric: {"val": mean %, "test": mean %}}}`` over runs that scored them."""
    out = {}
    for variant in IMPORTANCE_VARIANTS:
        for metric in METRICS:
            for split in ("val", "test"):
                vals = [r.get("variants", variant, metric, split) for r in records]
                vals = [v for v in vals if v is not None]
                if vals:
                    out.setdefault(variant, {}).setdefault(metric, {})[split] = \
                        100.0 * float(np.mean(vals))
    return out


def choose_variant(cells, metric):
    """The variant of highest validation accuracy for ``metric``, averaged over the given
    cells (one per data set and method) with equal weight; returns (variant, {variant:
    mean val %}) or (None, {}) when no cell scored variants."""
    per_variant = {}
    for cell in cells:
        for variant, metrics in (cell.get("variants") or {}).items():
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
    header = ["Dataset", "Method", *(f"{v} {m} val (test)" for m in METRICS
                                     for v in IMPORTANCE_VARIANTS)]
    lines = []
    for c in sorted(cells, key=lambda c: (c["dataset"], c["method"])):
        row = [c["dataset"], c["method"]]
        for m in METRICS:
            for v in IMPORTANCE_VARIANTS:
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
    return parts + [""]

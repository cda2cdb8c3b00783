"""The study's two plots: accuracy against density and against training FLOPs."""

import io

import numpy as np

from ..data.writers import write_text_atomic
from .paper import COLUMNS


def write_plots(summary, out):
    """accuracy_vs_density.png and accuracy_vs_flops.png (one panel per data set; for each
    density the L2 with the lowest mean validation loss); [] when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    nn = [c for c in summary["cells"] if c["kind"] == "nn"]
    best = select_models_by_density(nn)
    datasets = [d for d in summary["datasets"] if any(c["dataset"] == d for c in best)]
    if not datasets:
        return []
    written = []
    for xname, xkey in (("density", "density"), ("flops", "flops_train")):
        ncol = min(3, len(datasets))
        nrow = -(-len(datasets) // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.5 * ncol, 3.4 * nrow), squeeze=False)
        for ax, dataset in zip(axes.flat, datasets):
            for method, metric, label in COLUMNS:
                pts = sorted((c[xkey], c["acc"][metric][0]) for c in best
                             if c["dataset"] == dataset and c["method"] == method
                             and c[xkey] is not None and metric in c["acc"])
                if pts:
                    ax.plot(*zip(*pts), marker="o" if metric == "attr" else "s",
                            linestyle="-" if metric == "attr" else "--", label=label)
            ax.set_title(dataset)
            ax.set_xscale("log")
            if xname == "density":  # a handful of grid values: label them plainly
                ticks = sorted({c["density"] for c in best if c["dataset"] == dataset})
                ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
                ax.minorticks_off()
            ax.set_xlabel("density" if xname == "density" else "training FLOPs")
            ax.set_ylabel("test accuracy [%]")
        for ax in axes.flat[len(datasets):]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=7)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        path = out / f"accuracy_vs_{xname}.png"
        write_text_atomic(path, buf.getvalue())
        written.append(str(path))
    return written


def select_models_by_density(cells):
    """For each (data set, method, density) the cell with the lowest mean validation loss
    over L2 (the curves in the plots)."""
    best = {}
    for cell in cells:
        k = (cell["dataset"], cell["method"], cell["density"])
        loss = cell["mean_val_loss"]
        loss = np.inf if loss is None or np.isnan(loss) else loss
        if k not in best or loss < best[k][0]:
            best[k] = (loss, cell)
    return [cell for _, cell in best.values()]

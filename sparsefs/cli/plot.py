"""``sparsefs plot``: a run's feature importance, its per-epoch history, or the K curve of
``select --k auto``, as a PNG."""

import json
from pathlib import Path

import click

from .._config import METRICS
from ..data.writers import check_writable, write_text_atomic
from ..errors import InputError
from ._options import fails_cleanly


@click.command()
@click.argument("result", type=click.Path(dir_okay=False))
@click.option("--metric", type=click.Choice(METRICS), default=None,
              help="Which importance to draw [default: the run's --metric].")
@click.option("--top", type=click.IntRange(min=1), default=30, show_default=True,
              help="Bars (or --history lines) to draw when the features are not an image.")
@click.option("--history", "what", flag_value="history",
              help="The top features' importance per epoch (a train --history record).")
@click.option("--k-scores", "what", flag_value="k_scores",
              help="The validation score of every K tried (a select --k auto JSON).")
@click.option("--output", "-o", type=click.Path(), default=None,
              help="PNG file [default: RESULT with .png].")
@fails_cleanly
def plot(result, metric, top, what, output):
    """Draw the feature importance of a ``train --output`` JSON as a PNG.

    A heat map when the features form an image (MNIST 28x28, COIL20 32x32, ...), else a bar
    chart of the top features; --history draws the top features' importance epoch by epoch,
    --k-scores the curve ``select --k auto`` chose K from. Needs matplotlib: pip install
    'sparsefs[plot]'.

    \b
    Examples:
      sparsefs train --data coil20 --data-dir ../shared/data -o coil20.json
      sparsefs plot coil20.json -o coil20_attr.png
      sparsefs train --data madelon --history -o madelon.json
      sparsefs plot madelon.json --history --top 10
      sparsefs select madelon --k auto -o madelon_auto.json
      sparsefs plot madelon_auto.json --k-scores
    """
    import numpy as np

    path = Path(result)
    if not path.is_file():
        raise InputError(f"The result file {path} does not exist; write one with "
                         "sparsefs train --output FILE.json.")
    try:
        rec = json.loads(path.read_text())
        name = metric or rec["metric"]
        scores = np.asarray(rec["scores"][name], dtype=float)
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path} is not a result of sparsefs train --output; plot reads those "
                         "JSON files.") from None
    if what == "history" and not (rec.get("importance_history") or {}).get(name):
        raise InputError(f"{path} holds no per-epoch importance; write it with sparsefs train "
                         "--history --output FILE.json.")
    if what == "k_scores" and not rec.get("k_scores"):
        raise InputError(f"{path} holds no K curve; write it with sparsefs select --k auto "
                         "--output FILE.json.")
    output = output or str(path.with_suffix(".png"))
    check_writable(output)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plot needs matplotlib, which is not installed; run "
                         "pip install 'sparsefs[plot]'.") from None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if what == "history":
        _draw_history(ax, rec, name, scores, top)
    elif what == "k_scores":
        _draw_k_scores(ax, rec)
    else:
        _draw_importance(fig, ax, rec, name, scores, top)
    ax.set_title(f"{rec['dataset']}: {rec['method'].upper()} density {rec['density']:g}, "
                 f"{name}")
    fig.tight_layout()
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    write_text_atomic(output, buf.getvalue())
    click.echo(f"wrote {output}")


def _names(rec, d):
    return rec.get("feature_names") or [str(j) for j in range(d)]


def _draw_importance(fig, ax, rec, name, scores, top):
    """A heat map of an image's pixels, else bars of the ``top`` features."""
    import numpy as np

    shape = rec.get("image_shape")
    if shape and int(np.prod(shape)) == scores.size:
        im = ax.imshow(scores.reshape(shape), cmap="viridis")
        fig.colorbar(im, ax=ax, label=f"{name} importance")
        ax.set_axis_off()
    else:
        order = np.argsort(-scores, kind="stable")[:top]
        names = _names(rec, scores.size)
        ax.bar(range(len(order)), scores[order])
        ax.set_xticks(range(len(order)), [names[j] for j in order], rotation=90, fontsize=7)
        ax.set_ylabel(f"{name} importance")


def _draw_history(ax, rec, name, scores, top):
    """One line per top feature (by the run's final ranking): its importance in each epoch."""
    import numpy as np

    per_epoch = np.asarray(rec["importance_history"][name], dtype=float)
    names = _names(rec, per_epoch.shape[1])
    epochs = np.arange(1, per_epoch.shape[0] + 1)
    for j in np.argsort(-scores, kind="stable")[:min(top, 10)]:
        ax.plot(epochs, per_epoch[:, j], label=names[j])
    if rec.get("best_epoch"):
        ax.axvline(rec["best_epoch"], color="grey", linestyle=":", label="best epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{name} importance summed over the epoch")
    ax.legend(fontsize=7)


def _draw_k_scores(ax, rec):
    """The validation score of each K tried, and the K chosen."""
    ks = sorted(int(k) for k in rec["k_scores"])
    ax.plot(ks, [rec["k_scores"][str(k)] for k in ks], marker="o")
    ax.axvline(rec["k"], color="grey", linestyle=":", label=f"chosen K = {rec['k']}")
    ax.set_xscale("log")
    ax.set_xlabel("K (features kept)")
    ax.set_ylabel("validation score")
    ax.legend(fontsize=8)

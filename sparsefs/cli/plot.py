"""``sparsefs plot``: the feature importance of a ``train --output`` JSON, as a PNG."""

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
@click.option("--top", type=int, default=30, show_default=True,
              help="Bars to draw when the features are not an image.")
@click.option("--output", "-o", type=click.Path(), default=None,
              help="PNG file [default: RESULT with .png].")
@fails_cleanly
def plot(result, metric, top, output):
    """Draw the feature importance of a ``train --output`` JSON as a PNG.

    A heat map when the features form an image (MNIST 28x28, COIL20 32x32, ...), else a bar
    chart of the top features. Needs matplotlib: pip install 'sparsefs[plot]'.

    \b
    Examples:
      sparsefs train --data coil20 --data-dir ../shared/data -o coil20.json
      sparsefs plot coil20.json -o coil20_attr.png
    """
    import numpy as np

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plot needs matplotlib, which is not installed; run "
                         "pip install 'sparsefs[plot]'.") from None
    path = Path(result)
    if not path.is_file():
        raise InputError(f"The result file {path} does not exist; write one with "
                         "sparsefs train --output FILE.json.")
    try:
        rec = json.loads(path.read_text())
        scores = np.asarray(rec["scores"][metric or rec["metric"]], dtype=float)
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path} is not a result of sparsefs train --output; plot reads those "
                         "JSON files.") from None
    output = output or str(path.with_suffix(".png"))
    check_writable(output)
    name = metric or rec["metric"]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    shape = rec.get("image_shape")
    if shape and int(np.prod(shape)) == scores.size:
        im = ax.imshow(scores.reshape(shape), cmap="viridis")
        fig.colorbar(im, ax=ax, label=f"{name} importance")
        ax.set_axis_off()
    else:
        order = np.argsort(-scores, kind="stable")[:top]
        names = rec.get("feature_names") or [str(j) for j in range(scores.size)]
        ax.bar(range(len(order)), scores[order])
        ax.set_xticks(range(len(order)), [names[j] for j in order], rotation=90, fontsize=7)
        ax.set_ylabel(f"{name} importance")
    ax.set_title(f"{rec['dataset']}: {rec['method'].upper()} density {rec['density']:g}, "
                 f"{name}")
    fig.tight_layout()
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    write_text_atomic(output, buf.getvalue())
    click.echo(f"wrote {output}")

"""The ``select`` and ``plot`` commands (``train`` and ``datasets`` live in ``cli``)."""

import json
from pathlib import Path

import click

from .cli_options import check_training_args, common, fails_cleanly, training_options
from .errors import InputError
from .output import check_writable, write_json_atomic, write_text_atomic


@click.command()
@click.argument("data")
@training_options
@common
@fails_cleanly
def select(data, method, density, metric, k, epochs, l2, batch_size, hidden, data_dir, target,
           seed, quiet, output):
    """Fit on DATA (a file or a named data set) and write the selected features.

    With ``--output FILE.csv`` the selected columns of all samples (and the label column) are
    written as CSV for other tools; with ``--output FILE.json`` the ranking, the scores and the
    selected indices and names. Without --output the selection is printed.

    \b
    Examples:
      sparsefs select genes.csv --target diagnosis --k 50 -o genes_top50.csv
      sparsefs select madelon --k 20 --method rigl -o madelon_top20.json
    """
    import numpy as np
    import scipy.sparse as sp

    from .datasets import load_dataset
    from .progress import EpochProgress, compile_notice
    from .scaling import fit_scale
    from .selector import SparseFeatureSelector

    hidden_sizes = check_training_args(density, k, epochs, hidden)
    if output:
        check_writable(output)
        if Path(output).suffix.lower() not in (".csv", ".json"):
            raise InputError(f"--output {output} must end in .csv or .json, the two formats "
                             "select writes.")
    ds = load_dataset(data, data_dir=data_dir, target=target)
    check_training_args(density, k, epochs, hidden, ds.n_features)
    k = k or ds.k
    stack = sp.vstack if ds.is_sparse else np.vstack
    X_raw = stack([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    X, _ = fit_scale(X_raw, X_raw[:1], ds.scaling)
    compile_notice(quiet)
    bar = EpochProgress(epochs, quiet=quiet)
    try:
        sel = SparseFeatureSelector(
            k, method=method.lower(), density=density, metric=metric.lower(),
            hidden_layer_sizes=hidden_sizes, max_iter=epochs,
            batch_size=batch_size or ds.batch_size, l2=l2, standardize=False,
            callback=bar, random_state=seed).fit(X, y)
    finally:
        bar.close()
    chosen = sel.feature_order_[:k]
    names = ds.feature_names or [f"x{j}" for j in range(ds.n_features)]
    record = {"data": data, "method": method, "density": density, "metric": metric, "k": k,
              "seed": seed, "selected": chosen.tolist(),
              "selected_names": [names[j] for j in chosen],
              "ranking": sel.feature_order_.tolist(),
              "scores": {m: s.tolist() for m, s in sel.scores_.items()},
              "best_epoch": sel.best_epoch_, "epochs_run": sel.n_iter_}
    if output and output.lower().endswith(".json"):
        write_json_atomic(output, record)
    elif output:
        write_text_atomic(output, _selected_csv(X_raw[:, chosen], ds.classes[y],
                                                [names[j] for j in chosen]))
    if not quiet or not output:
        click.echo(f"{'rank':>4}  {'feature':>8}  {'name':<24}{metric + ' score':>14}")
        for r, j in enumerate(chosen, 1):
            click.echo(f"{r:>4}  {j:>8}  {names[j]:<24}{sel.feature_importances_[j]:>14.5g}")
    if output and not quiet:
        click.echo(f"wrote {output}", err=True)


def _selected_csv(X, labels, names):
    """CSV text: a header of the selected names plus ``label``, then one row per sample."""
    import io

    import numpy as np
    import scipy.sparse as sp

    # Only the k selected columns of the user's data, written out as text: (n, k), not weights.
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    buf = io.StringIO()
    buf.write(",".join([*names, "label"]) + "\n")
    for row, lab in zip(X, labels):
        buf.write(",".join([*(f"{v:.7g}" for v in row), str(lab)]) + "\n")
    return buf.getvalue()


@click.command()
@click.argument("result", type=click.Path(dir_okay=False))
@click.option("--metric", type=click.Choice(["attr", "strength"]), default=None,
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

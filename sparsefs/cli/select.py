"""``sparsefs select``: fit on a data set or file and write the chosen features."""

from pathlib import Path

import click

from ..data.writers import check_writable, write_json_atomic, write_text_atomic
from ..errors import InputError
from ._options import check_training_args, common, fails_cleanly, training_options


@click.command()
@click.argument("data")
@training_options
@common
@fails_cleanly
def select(data, method, density, metric, k, epochs, l2, batch_size, hidden, importance, lr,
           softmax_axis, data_dir, target, seed, quiet, output):
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

    from .._selector import SparseFeatureSelector
    from ..data import load_dataset
    from ..data.scaling import fit_scale
    from .progress import EpochProgress, compile_notice

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
            batch_size=batch_size or ds.batch_size, l2=l2, importance=importance,
            learning_rate_init=lr, softmax_axis=softmax_axis, standardize=False,
            callback=bar, random_state=seed).fit(X, y)
    finally:
        bar.close()
    chosen = sel.feature_order_[:k]
    names = ds.feature_names or [f"x{j}" for j in range(ds.n_features)]
    if output and output.lower().endswith(".json"):
        write_json_atomic(output, _selection_record(sel, ds, chosen, names, seed).to_dict())
    elif output:
        write_text_atomic(output, _selected_csv(X_raw[:, chosen], ds.classes[y],
                                                [names[j] for j in chosen]))
    if not quiet or not output:
        click.echo(f"{'rank':>4}  {'feature':>8}  {'name':<24}{sel.metric + ' score':>14}")
        for r, j in enumerate(chosen, 1):
            click.echo(f"{r:>4}  {j:>8}  {names[j]:<24}{sel.feature_importances_[j]:>14.5g}")
    if output and not quiet:
        click.echo(f"wrote {output}", err=True)


def _selection_record(sel, ds, chosen, names, seed):
    """The RunRecord (kind "select") of a fitted selector: selection, ranking and scores."""
    from .. import __version__
    from .._selector import rank_features
    from ..experiments.records import RunRecord

    return RunRecord(
        kind="select", sparsefs_version=__version__, dataset=ds.name, method=sel.method,
        density=sel.density, metric=sel.metric, k=len(chosen), seed=seed,
        n_samples=int(ds.X_train.shape[0] + ds.X_test.shape[0]),
        n_features=ds.n_features, n_classes=ds.n_classes,
        selected=chosen.tolist(), selected_names=[names[j] for j in chosen],
        ranking=sel.feature_order_.tolist(),
        rankings={m: rank_features(s).tolist() for m, s in sel.scores_.items()},
        scores={m: s.tolist() for m, s in sel.scores_.items()},
        best_epoch=int(sel.best_epoch_), epochs_run=int(sel.n_iter_),
        stopped_by=sel.result_.stopped_by)


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

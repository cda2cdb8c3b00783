"""``sparsefs select``: fit on a data set or file and write the chosen features."""

from pathlib import Path

import click

from ..data.writers import check_writable, json_text, write_json_atomic
from ..errors import InputError
from ._format import format_selection
from ._options import (
    FRACTION_CLOSED,
    POSITIVE_INT,
    check_training_args,
    common,
    fails_cleanly,
    k_option,
    training_options,
)

#: Output formats by suffix.
CSV, JSON, SVMLIGHT = (".csv",), (".json",), (".svm", ".svmlight", ".libsvm")


@click.command()
@click.argument("data")
@training_options
@k_option(auto=True)
@click.option("--k-tol", type=FRACTION_CLOSED, default=0.01, show_default=True,
              help="With --k auto: how far below the best validation score a smaller K may be.")
@click.option("--repeats", type=POSITIVE_INT, default=1, show_default=True,
              help="Train this many seeds; prints each feature's selection frequency, its mean "
                   "rank and the stability of the selections.")
@click.option("--jobs", type=POSITIVE_INT, default=1, show_default=True,
              help="Repeats in parallel processes.")
@common
@fails_cleanly
def select(data, task, method, density, metric, k, k_tol, repeats, jobs, epochs, l2, batch_size,
           hidden, importance, lr, attribution_every, prune_floor, softmax_axis, data_dir, target,
           id_column, seed, quiet, as_json, output):
    """Fit on DATA (a file or a named data set) and write the selected features.

    With ``--output FILE.csv`` the selected columns of all samples (with their names from
    the header) and the label column are written as CSV for other tools; ``FILE.svm``
    writes them as svmlight, sparse (the right form for sparse input); ``FILE.json`` the
    ranking, the scores and the selected indices and names. Outputs are streamed row by row
    and written atomically. Without --output the selection is printed (--json: its record).

    DATA is read whole into memory as float32, except a .npy (see `sparsefs convert`), which
    is memory-mapped and read from disk by mini-batches.

    \b
    Examples:
      sparsefs select genes.csv --target diagnosis --k 50 -o genes_top50.csv
      sparsefs select genes.csv.gz --id-column sample --target diagnosis -o top.csv
      sparsefs select text.svm --k 200 -o text_top200.svm
      sparsefs select madelon --k 20 --method rigl -o madelon_top20.json
      sparsefs select madelon --k auto --repeats 5 --jobs 2
    """
    from .._selector import SparseFeatureSelector
    from ..data.load import load_table
    from ..data.scaling import fit_scale
    from .progress import EpochProgress, compile_notice, size_notice

    hidden_sizes = check_training_args(hidden)
    suffix = Path(output).suffix.lower() if output else None
    if output:
        check_writable(output)
        if suffix not in CSV + JSON + SVMLIGHT:
            raise InputError(f"--output {output} must end in .csv, .svm or .json, the formats "
                             "select writes.")
    tb = load_table(data, data_dir=data_dir, target=target, id_column=id_column)
    check_training_args(hidden, k, tb.n_features)
    k = k or tb.k
    from .._targets import label_task

    y = label_task(task, tb.classes, tb.y, tb.name)[1]
    # Standard scaling is folded into the selector's mini-batch gathers, so X (a memory map
    # too) is never copied; other rules (min-max images) are applied to a copy first.
    standardize = tb.scaling == "standard"
    X = tb.X if standardize else fit_scale(tb.X, tb.X[:1], tb.scaling)[0]
    compile_notice(quiet)
    size_notice(tb.n_features, hidden_sizes, density, method.lower(), quiet)
    bar = EpochProgress(epochs, quiet=quiet)
    try:
        sel = SparseFeatureSelector(
            k, method=method.lower(), density=density, metric=metric.lower(),
            hidden_layer_sizes=hidden_sizes, max_iter=epochs,
            batch_size=batch_size or tb.batch_size, l2=l2, importance=importance,
            learning_rate_init=lr, softmax_axis=softmax_axis, standardize=standardize,
            attribution_every=attribution_every, task=task, k_tol=k_tol, n_repeats=repeats,
            n_jobs=jobs if repeats > 1 else None, prune_floor=prune_floor,
            callback=bar, random_state=seed).fit(X, y)
    finally:
        bar.close()
    del X
    chosen = sel.feature_order_[:sel._n_select(tb.n_features)]
    names = tb.feature_names or [f"x{j}" for j in range(tb.n_features)]
    record = _selection_record(sel, tb, chosen, names, seed).to_dict()
    if output:
        _write_selection(output, suffix, record, tb, chosen, names)
    if as_json:
        click.echo(json_text(record))
    elif not quiet or not output:
        click.echo(format_selection(sel, chosen, names))
    if output and not quiet:
        click.echo(f"wrote {output}", err=True)


def _write_selection(output, suffix, record, tb, chosen, names):
    """Write the selection in the format of ``suffix``: the record as JSON, the chosen
    columns (and the labels) as CSV, or as svmlight."""
    if suffix in JSON:
        write_json_atomic(output, record)
    elif suffix in CSV:
        from ..data.writers import write_selected_csv

        write_selected_csv(output, tb.X, chosen, [names[j] for j in chosen],
                           tb.classes[tb.y], tb.target_name or "label", tb.sample_ids,
                           tb.id_name or "id")
    else:
        _write_svmlight(output, tb, chosen, names)


def _write_svmlight(output, tb, chosen, names):
    """The chosen columns as svmlight, numbered 1..K in rank order; the comment lines say
    which input column each one is, and the label codes when the labels are not numbers."""
    from ..data.writers import write_selected_svmlight

    numeric = tb.classes.dtype.kind in "iuf"
    comments = ["sparsefs select: feature k is input column c (0-based) named n, as k=c:n"]
    comments.append(" ".join(f"{i}={j}:{names[j]}" for i, j in enumerate(chosen, 1)))
    if not numeric:
        comments.append("labels: " + " ".join(f"{c}={v}" for c, v in enumerate(tb.classes)))
    labels = tb.classes[tb.y] if numeric else tb.y
    write_selected_svmlight(output, tb.X, chosen, labels, comments)


def _selection_record(sel, tb, chosen, names, seed):
    """The RunRecord (kind "select") of a fitted selector: selection, ranking and scores."""
    import dataclasses

    from .. import __version__
    from .._ranking import rank_features
    from ..experiments.records import RunRecord

    repeats = {}
    if hasattr(sel, "stability_"):
        repeats = {"stability": dataclasses.asdict(sel.stability_),
                   "selection_frequency": sel.selection_frequency_.tolist(),
                   "mean_rank": sel.mean_rank_.tolist()}
    return RunRecord(
        kind="select", sparsefs_version=__version__, dataset=tb.name, method=sel.method,
        density=sel.density, metric=sel.metric, k=len(chosen), seed=seed,
        learning_task=sel.task_, n_samples=int(tb.X.shape[0]), n_features=tb.n_features,
        n_classes=tb.n_classes if sel.task_ == "classification" else None,
        k_scores={str(k): v for k, v in sel.k_scores_.items()}
        if hasattr(sel, "k_scores_") else None, **repeats,
        selected=chosen.tolist(), selected_names=[names[j] for j in chosen],
        ranking=sel.feature_order_.tolist(),
        rankings={m: rank_features(s).tolist() for m, s in sel.scores_.items()},
        scores={m: s.tolist() for m, s in sel.scores_.items()},
        importance=sel.importance,
        windows={"chosen": sel.importance_, "scores": sel.window_scores_}
        if sel.window_scores_ else None,
        best_epoch=int(sel.best_epoch_), epochs_run=int(sel.n_iter_),
        stopped_by=sel.result_.stopped_by)

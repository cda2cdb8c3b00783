"""``sparsefs train``: one run of the paper's protocol on a data set, printed as a table."""

import click

from .. import _config as C
from ..data.writers import check_writable, json_text, write_json_atomic
from ..errors import InputError
from ._format import format_train_summary
from ._options import check_training_args, common, fails_cleanly, k_option, training_options


@click.command()
@click.option("--data", "data", default="madelon", show_default=True,
              help="A named data set (see `sparsefs datasets`) or a file path.")
@training_options
@k_option(auto=False)
@click.option("--history", is_flag=True,
              help="Keep each epoch's importance in the JSON record, for sparsefs plot "
                   "--history (features x epochs at most "
                   f"{C.IMPORTANCE_HISTORY_LIMIT:,}).")
@common
@fails_cleanly
def train(data, task, method, density, metric, epochs, l2, batch_size, hidden, importance,
          lr, attribution_every, prune_floor, softmax_axis, data_dir, target, id_column, k,
          history, seed, quiet, as_json, output):
    """Train a sparse MLP, rank the features, evaluate the top K with an SVM.

    Prints accuracy for both metrics (R^2 of an SVR for a regression target) and the FLOPs
    and bytes of this run next to the dense network of the same shape; --json prints the
    run's record instead.

    \b
    Examples:
      sparsefs train --data madelon --density 0.2
      sparsefs train --data madelon --method rigl --density 0.05 --seed 3 -o rigl.json
      sparsefs train --data yale --data-dir ../shared/data --method dense --quiet
      sparsefs train --data madelon --history -o madelon.json
      sparsefs train --data prices.csv --target price --task regression --json > run.json
    """
    from ..data import load_dataset
    from ..experiments.protocol import run_job
    from .progress import EpochProgress, compile_notice, size_notice

    hidden_sizes = check_training_args(hidden)
    if output:
        check_writable(output)
    dataset = load_dataset(data, data_dir=data_dir, target=target, id_column=id_column)
    check_training_args(hidden, k, dataset.n_features)
    if history and dataset.n_features * epochs > C.IMPORTANCE_HISTORY_LIMIT:
        raise InputError(f"--history would keep {dataset.n_features:,} features x {epochs} "
                         f"epochs, above the limit of {C.IMPORTANCE_HISTORY_LIMIT:,} values; "
                         "lower --epochs or drop --history.")
    compile_notice(quiet)
    size_notice(dataset.n_features, hidden_sizes, density, method.lower(), quiet)
    bar = EpochProgress(epochs, quiet=quiet)
    try:
        result = run_job(dataset, method=method.lower(), density=density, metric=metric.lower(),
                         k=k, epochs=epochs, seed=seed, l2=l2, batch_size=batch_size,
                         hidden=hidden_sizes, importance=importance, learning_rate=lr,
                         softmax_axis=softmax_axis, task=task, importance_history=history,
                         attribution_every=attribution_every, prune_floor=prune_floor,
                         progress=bar).to_dict()
    finally:
        bar.close()
    click.echo(json_text(result) if as_json else
               format_train_summary(result, _madelon_found(dataset, result)))
    if output:
        write_json_atomic(output, result)
        if not quiet:
            click.echo(f"wrote {output}", err=True)


def _madelon_found(dataset, result):
    """For madelon: how many of its 20 relevant features each metric's top K holds, else None."""
    from ..experiments.ground_truth import hits, madelon_relevant_features

    if dataset.name != "madelon" or dataset.n_features != 500:
        return None
    try:
        relevant = madelon_relevant_features(dataset.X_train)
    except ValueError:
        return None
    return {"of": len(relevant), **{m: hits(result["rankings"][m], relevant, result["k"])
                                    for m in result["rankings"]}}

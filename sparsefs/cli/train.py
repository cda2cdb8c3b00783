"""``sparsefs train``: one run of the paper's protocol on a data set, printed as a table."""

import click

from ..data.writers import check_writable, write_json_atomic
from ._format import format_train_summary
from ._options import check_training_args, common, fails_cleanly, training_options


@click.command()
@click.option("--data", "data", default="madelon", show_default=True,
              help="A named data set (see `sparsefs datasets`) or a file path.")
@training_options
@common
@fails_cleanly
def train(data, method, density, metric, k, epochs, l2, batch_size, hidden, importance, lr,
          softmax_axis, data_dir, target, seed, quiet, output):
    """Train a sparse MLP, rank the features, evaluate the top K with an SVM.

    Prints accuracy for both metrics and the FLOPs and bytes of this run next to the dense
    network of the same shape.

    \b
    Examples:
      sparsefs train --data madelon --density 0.2
      sparsefs train --data madelon --method rigl --density 0.05 --seed 3 -o rigl.json
      sparsefs train --data yale --data-dir ../shared/data --method dense --quiet
    """
    from ..data import load_dataset
    from ..experiments.protocol import run_job
    from .progress import EpochProgress, compile_notice

    hidden_sizes = check_training_args(density, k, epochs, hidden)
    if output:
        check_writable(output)
    dataset = load_dataset(data, data_dir=data_dir, target=target)
    check_training_args(density, k, epochs, hidden, dataset.n_features)
    compile_notice(quiet)
    bar = EpochProgress(epochs, quiet=quiet)
    try:
        result = run_job(dataset, method=method.lower(), density=density, metric=metric.lower(),
                         k=k, epochs=epochs, seed=seed, l2=l2, batch_size=batch_size,
                         hidden=hidden_sizes, importance=importance, learning_rate=lr,
                         softmax_axis=softmax_axis, progress=bar).to_dict()
    finally:
        bar.close()
    click.echo(format_train_summary(result))
    if output:
        write_json_atomic(output, result)
        if not quiet:
            click.echo(f"wrote {output}", err=True)

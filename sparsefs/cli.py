"""The ``sparsefs`` command line: train, select, datasets, plot, study, report.

Exit codes: 0 success, 1 bad input (one sentence on stderr), 2 usage errors (click's own).
Heavy modules are imported inside commands so ``sparsefs --help`` starts fast.
"""

import click

from . import __version__
from .cli_options import check_training_args, common, fails_cleanly, training_options
from .output import check_writable, format_bytes, write_json_atomic

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sparsefs")
def main():
    """Feature selection with truly sparse neural networks (SET / RigL on CSR arrays).

    \b
    Examples:
      sparsefs train --data madelon --density 0.2
      sparsefs train --data my.csv --target label --method rigl --k 50 -o run.json
      sparsefs datasets
    """


@main.command()
@click.option("--data", "data", default="madelon", show_default=True,
              help="A named data set (see `sparsefs datasets`) or a file path.")
@training_options
@common
@fails_cleanly
def train(data, method, density, metric, k, epochs, l2, batch_size, hidden, data_dir, target,
          seed, quiet, output):
    """Train a sparse MLP, rank the features, evaluate the top K with an SVM.

    Prints accuracy for both metrics and the FLOPs and bytes of this run next to the dense
    network of the same shape.

    \b
    Examples:
      sparsefs train --data madelon --density 0.2
      sparsefs train --data madelon --method rigl --density 0.05 --seed 3 -o rigl.json
      sparsefs train --data yale --data-dir ../shared/data --method dense --quiet
    """
    from .datasets import load_dataset
    from .job import run_job
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
                         hidden=hidden_sizes, progress=bar)
    finally:
        bar.close()
    click.echo(format_train_summary(result))
    if output:
        write_json_atomic(output, result)
        if not quiet:
            click.echo(f"wrote {output}", err=True)


def format_train_summary(r):
    """The readable table ``sparsefs train`` prints."""
    fl, mem = r["flops"], r["memory"]
    lines = [
        f"{r['dataset']}: {r['n_train']} train / {r['n_test']} test samples, "
        f"{r['n_features']} features, {r['n_classes']} classes",
        f"{r['method'].upper()} density {r['density']:g}, seed {r['seed']}: best epoch "
        f"{r['best_epoch']} of {r['epochs_run']} ({r['stopped_by'].replace('_', ' ')}), "
        f"training {r['seconds']['train']:.1f} s",
        "",
        f"{'metric':<10}{'K':>5}{'SVC accuracy':>15}   top features",
    ]
    for m in ("attr", "strength"):
        mark = " *" if m == r["metric"] else ""
        top = ", ".join(str(i) for i in r["rankings"][m][:8])
        lines.append(f"{m + mark:<10}{r['k']:>5}{r['accuracy'][m]:>15.4f}   {top}, ...")
    lines += [
        "",
        f"{'':<22}{'this run':>14}{'dense':>14}{'ratio':>9}",
        f"{'training FLOPs':<22}{fl['train']:>14.3e}{fl['train_dense']:>14.3e}"
        f"{fl['train'] / fl['train_dense']:>9.3f}",
        f"{'parameter bytes':<22}{format_bytes(mem['param_bytes']):>14}"
        f"{format_bytes(mem['param_bytes_dense']):>14}"
        f"{mem['param_bytes'] / mem['param_bytes_dense']:>9.3f}",
        f"{'peak memory (RSS)':<22}{format_bytes(mem['peak_rss_bytes']):>14}",
        "(* = the metric of --metric; FLOPs count a multiply-add as 2)",
    ]
    return "\n".join(lines)


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of named data sets [default: $SPARSEFS_DATA, else ~/.cache/sparsefs].")
@click.option("--output", "-o", type=click.Path(), help="Also write JSON here.")
@fails_cleanly
def datasets(data_dir, output):
    """List the named data sets, their shape and whether they are available here.

    \b
    Examples:
      sparsefs datasets
      SPARSEFS_DATA=../shared/data sparsefs datasets -o datasets.json
    """
    from .datasets import list_datasets

    if output:
        check_writable(output)
    rows = list_datasets(data_dir)
    click.echo(f"{'name':<15}{'samples':>8}{'features':>9}{'cls':>5}  {'domain':<13}"
               f"{'status':<9}where / how to get it")
    for r in rows:
        click.echo(f"{r['name']:<15}{r['n_samples']:>8}{r['n_features']:>9}{r['n_classes']:>5}"
                   f"  {r['domain']:<13}{r['status']:<9}{r['path_or_hint']}")
    if output:
        write_json_atomic(output, rows)


from .cli_more import plot, select  # noqa: E402  (commands in their own modules)
from .cli_study import report, study  # noqa: E402

for _command in (select, plot, study, report):
    main.add_command(_command)

if __name__ == "__main__":
    main()

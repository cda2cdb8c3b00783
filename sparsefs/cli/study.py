"""``sparsefs study``: the paper's grid of runs, restartable, locally or on Dask."""

import sys

import click

from .. import _config as C
from ._config_file import config_option
from ._options import (
    HIDDEN_DEFAULT,
    METRIC,
    POSITIVE,
    POSITIVE_INT,
    check_training_args,
    fails_cleanly,
)

_csv = ",".join


@click.command()
@click.option("--datasets", default="madelon", show_default=True,
              help="Comma-separated data set names or files.")
@click.option("--methods", default=_csv(("dense", *C.SPARSE_METHODS)), show_default=True,
              help=f"Comma-separated, from {_csv(C.METHODS)}.")
@click.option("--densities", default=_csv(f"{d:g}" for d in C.STUDY_DENSITIES),
              show_default=True,
              help="Comma-separated; 'paper' adds the paper's chosen density per data set and "
                   "method (its Table 6), e.g. paper,0.2.")
@click.option("--l2", "l2s", default=f"{C.PAPER_L2:g}", show_default=True,
              help="Comma-separated L2 values, e.g. 5e-5,1e-4,1e-3.")
@click.option("--seeds", default=C.STUDY_SEEDS, show_default=True, help="e.g. 0-9 or 0,3,5.")
@click.option("--baselines", default="", help=f"Also run any of {_csv(C.BASELINES)}.")
@click.option("--epochs", type=POSITIVE_INT, default=C.EPOCHS, show_default=True)
@click.option("--hidden", default=HIDDEN_DEFAULT, show_default=True)
@click.option("--importance", type=click.Choice(C.IMPORTANCE_CHOICES), default=C.IMPORTANCE,
              show_default=True, help="The variant whose ranking each run reports (every "
                                      "variant is scored on validation rows regardless).")
@click.option("--lr", type=POSITIVE, default=C.LEARNING_RATE, show_default=True)
@click.option("--softmax-axis", type=click.Choice(("class", "batch")), default="class",
              show_default=True, help="'batch' replicates the published code's softmax.")
@click.option("--prune-floor", default=None,
              help="Guided-prune's floor of active inputs: a number, or 'sweep' for twice the "
                   "largest K the study reads  [default: max(100, 2 K)]")
@click.option("--metric", type=METRIC, default=C.METRIC, show_default=True,
              help="The run's own ranking; 'combined' also records and scores the mean of "
                   "the two ranks (both metrics are always recorded).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Study folder; a rerun skips finished runs.")
@click.option("--jobs", type=POSITIVE_INT, default=1, show_default=True, help="Parallel runs.")
@click.option("--scheduler", default=None,
              help="Dask: 'local' starts a LocalCluster, or tcp://host:port "
                   "(pip install 'sparsefs[dask]').")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@click.option("--quiet", "-q", is_flag=True)
@config_option
@fails_cleanly
def study(datasets, methods, densities, l2s, seeds, baselines, epochs, hidden, importance, lr,
          softmax_axis, prune_floor, metric, out_dir, jobs, scheduler, data_dir, quiet):
    """Run the paper's grid: data sets x methods x densities x L2 x seeds.

    Each run is written atomically to its own file under OUT/runs; a killed study restarted
    with the same command skips finished runs.

    \b
    Examples:
      sparsefs study --datasets madelon --methods dense,set,rigl --densities 0.2,0.05 \\
          --seeds 0-2 --out results/madelon
      sparsefs study --datasets madelon,yale --data-dir ../shared/data --seeds 0-9 \\
          --scheduler local --jobs 2 --out results/study1
    """
    from ..experiments.grid import parse_densities, parse_floats, parse_seeds
    from ..experiments.study import StudySpec, run_study

    check_training_args(hidden)

    def show(ev):
        if quiet:
            return
        if ev["event"] == "start":
            click.echo(f"{ev['total']} runs: {ev['todo']} to do, {ev['skipped']} already done",
                       err=True)
        elif ev["event"] == "error":
            click.echo(f"[{ev['done']}/{ev['todo']}] {ev['key']} FAILED: {ev['error']}", err=True)
        elif ev["event"] == "done":
            acc = ev.get("accuracy") or {}
            accs = " ".join(f"{m}={a:.3f}" for m, a in acc.items())
            click.echo(f"[{ev['done']}/{ev['todo']}] {ev['key']} {ev['seconds']:.1f}s {accs}",
                       err=True)

    spec = StudySpec(datasets=datasets.split(","), methods=methods,
                     densities=parse_densities(densities), l2s=parse_floats(l2s),
                     seeds=parse_seeds(seeds), out_dir=out_dir, epochs=epochs, hidden=hidden,
                     importance=importance, learning_rate=lr, softmax_axis=softmax_axis,
                     prune_floor=prune_floor, metric=metric.lower(), jobs=jobs,
                     scheduler=scheduler, data_dir=data_dir,
                     baselines=tuple(b for b in baselines.split(",") if b))
    res = run_study(spec, progress=show)
    click.echo(f"{len(res['computed'])} computed, {len(res['skipped'])} skipped, "
               f"{len(res['failed'])} failed in {res['seconds']:.1f} s; "
               f"`sparsefs report {out_dir}` makes the table.")
    if res["failed"]:
        sys.exit(1)

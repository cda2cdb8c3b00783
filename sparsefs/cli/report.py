"""``sparsefs report``: a study's table in the paper's layout, next to the paper's numbers."""

import click

from .._config import IMPORTANCE_CHOICES
from ._options import fails_cleanly


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
@click.option("--importance", type=click.Choice(IMPORTANCE_CHOICES), default=None,
              help="Re-read every network run's accuracy under this importance window from "
                   "its stored variant scores ('auto' in its current meaning) [default: as "
                   "the runs reported].")
@fails_cleanly
def report(out_dir, no_plots, importance):
    """Table of a study in the paper's layout, next to the paper's Table 6.

    Picks density and L2 per (data set, method) by mean validation loss, reports SVC accuracy
    at K as mean +- std over seeds, and writes report.md, report.csv, cells.csv and plots.

    \b
    Example:
      sparsefs report results/madelon
      sparsefs report results/madelon --importance auto
    """
    from ..experiments.report import write_report

    res = write_report(out_dir, plots=not no_plots, importance=importance)
    click.echo(res["text"])
    for path in res["files"]:
        click.echo(f"wrote {path}", err=True)

"""``sparsefs report``: a study's table in the paper's layout, next to the paper's numbers."""

import click

from ._options import fails_cleanly


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
@fails_cleanly
def report(out_dir, no_plots):
    """Table of a study in the paper's layout, next to the paper's Table 6.

    Picks density and L2 per (data set, method) by mean validation loss, reports SVC accuracy
    at K as mean +- std over seeds, and writes report.md, report.csv, cells.csv and plots.

    \b
    Example:
      sparsefs report results/madelon
    """
    from ..experiments.report import write_report

    res = write_report(out_dir, plots=not no_plots)
    click.echo(res["text"])
    for path in res["files"]:
        click.echo(f"wrote {path}", err=True)

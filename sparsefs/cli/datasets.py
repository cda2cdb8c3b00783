"""``sparsefs datasets``: every named data set, its shape and whether it is here."""

import click

from ..data.writers import check_writable, write_json_atomic
from ._options import fails_cleanly


@click.command()
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
    from ..data import list_datasets

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

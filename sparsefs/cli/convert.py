"""``sparsefs convert``: write a table once as a memory-mappable float32 ``.npy``."""

import click

from ..data.writers import check_writable
from ._options import fails_cleanly


@click.command()
@click.argument("source", type=click.Path())
@click.argument("out", type=click.Path())
@click.option("--target", default=None,
              help="Label column of a CSV/TSV file [default: the last].")
@click.option("--id-column", default=None,
              help="Column that names the rows (sample IDs), written to OUT.ids.npy instead "
                   "of the table.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
@fails_cleanly
def convert(source, out, target, id_column, quiet):
    """Write the table in SOURCE as OUT (.npy, float32), its labels as OUT.labels.npy, its
    column names as OUT.columns.json and, with --id-column, the rows' names as OUT.ids.npy.

    CSV/TSV files (.gz too) are converted block by block, in the memory of one block,
    however large they are. Then give OUT to --data: it is memory-mapped and read from
    disk by mini-batches, so a table larger than memory can be selected from.

    \b
    Examples:
      sparsefs convert genes.csv genes.npy --target diagnosis
      sparsefs select genes.npy --k 100 -o genes_top100.csv
    """
    from ..data.convert import convert_to_npy
    from ..data.readers import ids_sidecar, sidecars

    check_writable(out)
    for path in (*sidecars(out), *((ids_sidecar(out),) if id_column else ())):
        check_writable(path)
    facts = convert_to_npy(source, out, target=target, id_column=id_column)
    if not quiet:
        labels, columns = sidecars(out)
        ids = f", {ids_sidecar(out).name}" if facts["id_column"] is not None else ""
        click.echo(f"wrote {out} ({facts['n_samples']:,} rows x {facts['n_features']:,} "
                   f"features, float32), {labels.name}{ids} and {columns.name}", err=True)

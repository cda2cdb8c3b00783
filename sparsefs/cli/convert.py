"""``sparsefs convert``: write a table once as a memory-mappable float32 ``.npy``."""

import click

from ..data.writers import check_writable
from ._options import fails_cleanly


@click.command()
@click.argument("source", type=click.Path())
@click.argument("out", type=click.Path())
@click.option("--target", default=None,
              help="Label column of a CSV/TSV file [default: the last].")
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
@fails_cleanly
def convert(source, out, target, quiet):
    """Write the table in SOURCE as OUT (.npy, float32), its labels as OUT.labels.npy and
    its column names as OUT.columns.json.

    CSV/TSV files (.gz too) are converted block by block, in the memory of one block,
    however large they are. Then give OUT to --data: it is memory-mapped and read from
    disk by mini-batches, so a table larger than memory can be selected from.

    \b
    Examples:
      sparsefs convert genes.csv genes.npy --target diagnosis
      sparsefs select genes.npy --k 100 -o genes_top100.csv
    """
    from ..data.convert import convert_to_npy
    from ..data.readers import sidecars

    check_writable(out)
    for path in sidecars(out):
        check_writable(path)
    facts = convert_to_npy(source, out, target=target)
    if not quiet:
        labels, columns = sidecars(out)
        click.echo(f"wrote {out} ({facts['n_samples']:,} rows x {facts['n_features']:,} "
                   f"features, float32), {labels.name} and {columns.name}", err=True)

"""The ``sparsefs`` command line: one module per command.

Exit codes: 0 success, 1 bad input of any kind, usage errors too (one sentence on stderr).
Heavy modules are imported inside the commands so ``sparsefs --help`` starts fast, and so the
thread-wait policy is set (``configure_threads``) before numpy loads BLAS.
"""

import click

from .. import __version__, configure_threads
from ._options import CleanGroup
from .convert import convert
from .datasets import datasets
from .plot import plot
from .report import report
from .select import select
from .study import study
from .train import train


@click.group(name="sparsefs", cls=CleanGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sparsefs")
def main():
    """Feature selection with truly sparse neural networks (SET / RigL on CSR arrays).

    \b
    Examples:
      sparsefs train --data madelon --density 0.2
      sparsefs train --data my.csv --target label --method rigl --k 50 -o run.json
      sparsefs select genes.csv --target diagnosis --k 100 -o top.csv
      sparsefs convert big.csv big.npy && sparsefs select big.npy -o top.csv
      sparsefs datasets
    """
    # Before any command imports numpy: OpenBLAS and OpenMP read their wait policy once.
    configure_threads()


for _command in (train, select, convert, datasets, plot, study, report):
    main.add_command(_command)

if __name__ == "__main__":
    main()

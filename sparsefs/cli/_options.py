"""Options and error handling shared by the ``sparsefs`` commands."""

import functools
import sys

import click

from .. import _config as C
from ..errors import InputError
from ._config_file import config_option

METHODS = click.Choice(C.METHODS, case_sensitive=False)
POSITIVE_INT = click.IntRange(min=1)
NON_NEGATIVE_INT = click.IntRange(min=0)
NON_NEGATIVE = click.FloatRange(min=0)
POSITIVE = click.FloatRange(min=0, min_open=True)
FRACTION = click.FloatRange(0, 1, min_open=True)
FRACTION_CLOSED = click.FloatRange(0, 1)
METRIC = click.Choice(C.RANKING_METRICS, case_sensitive=False)
HIDDEN_DEFAULT = ",".join(str(h) for h in C.HIDDEN)


class CleanGroup(click.Group):
    """A command group whose usage errors are one sentence on stderr and exit code 1, like
    every other bad input (click's own form is a usage block and exit code 2)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # plain `sparsefs`: the help
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.ClickException as exc:
            where = getattr(getattr(exc, "ctx", None), "command_path", None)
            hint = f"; see {where} --help" if where else ""
            message = " ".join(exc.format_message().split()).rstrip(".")
            click.echo(f"Error: {message}{hint}.", err=True)
            sys.exit(1)
        except click.Abort:
            click.echo("Error: aborted.", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def fails_cleanly(func):
    """Turn InputError (and unwritable outputs) into one line on stderr and exit code 1."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}; check the path "
                       "and its permissions.", err=True)
            sys.exit(1)
    return wrapper


def common(func):
    """Options every training command has: --seed, --quiet, --json, --output, --config."""
    func = click.option("--output", "-o", type=click.Path(dir_okay=False),
                        help="Write the result as JSON to this file (atomically).")(func)
    func = click.option("--json", "as_json", is_flag=True,
                        help="Write the JSON record to stdout instead of the table (progress "
                             "stays on stderr).")(func)
    func = click.option("--quiet", "-q", is_flag=True, help="No progress output.")(func)
    func = click.option("--seed", type=NON_NEGATIVE_INT, default=0, show_default=True,
                        help="Fixes the split, initialisation, batch order and topology.")(func)
    return config_option(func)


class KType(click.ParamType):
    """A number of features: a positive integer, or "auto" (chosen on validation rows)."""

    name = "K|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        if str(value).strip().lower() == "auto":
            return "auto"
        try:
            k = int(str(value))
        except ValueError:
            k = 0
        if k < 1:
            self.fail(f"{value!r} is neither a positive number of features nor 'auto'", param,
                      ctx)
        return k


def k_option(auto):
    """``--k``: the features to select or evaluate; ``auto`` lets ``select`` choose K."""
    extra = " 'auto' chooses K on validation rows (see --k-tol)." if auto else ""
    return click.option("--k", "k", type=KType() if auto else POSITIVE_INT, default=None,
                        help="Features to select/evaluate [default: the data set's K, "
                             f"{C.N_FEATURES_TO_SELECT}; 20 for madelon].{extra}")


def training_options(func):
    """Options of the commands that train: method, density, metric, epochs, L2, ..."""
    for opt in reversed([
        click.option("--method", type=METHODS, default=C.METHOD, show_default=True,
                     help="Dynamic sparse training rule, or the dense baseline."),
        click.option("--task", type=click.Choice(C.TASKS), default="auto", show_default=True,
                     help="'auto': regression when the labels are non-integer numbers."),
        click.option("--density", type=FRACTION, default=C.DENSITY, show_default=True,
                     help="Fraction of weights stored, in (0, 1]."),
        click.option("--metric", type=METRIC, default=C.METRIC, show_default=True,
                     help="Importance that ranks the features: attribution, strength, or "
                          "combined (the mean of the two ranks)."),
        click.option("--epochs", type=POSITIVE_INT, default=C.EPOCHS, show_default=True,
                     help=f"Maximum epochs (early stopping, patience {C.PATIENCE})."),
        click.option("--l2", type=NON_NEGATIVE, default=C.L2, show_default=True,
                     help="Coupled L2 weight decay."),
        click.option("--batch-size", type=POSITIVE_INT, default=None,
                     help="Mini-batch size [default: the paper's for the data set]."),
        click.option("--hidden", default=HIDDEN_DEFAULT, show_default=True,
                     help="Hidden layer widths, comma-separated."),
        click.option("--importance", type=click.Choice(C.IMPORTANCE_CHOICES),
                     default=C.IMPORTANCE, show_default=True,
                     help="Which epochs' importance ranks the features (see the README)."),
        click.option("--lr", type=POSITIVE, default=C.LEARNING_RATE, show_default=True,
                     help="Adam learning rate."),
        click.option("--attribution-every", type=POSITIVE_INT, default=1, show_default=True,
                     help="Attribution on every k-th mini-batch only (cheaper with many "
                          "classes; 1 is the paper's)."),
        click.option("--prune-floor", type=POSITIVE_INT, default=None,
                     help="--method guided-prune: the fewest inputs pruning leaves active; at "
                          "least twice the largest K you will read [default: max(100, 2 K)]."),
        click.option("--softmax-axis", type=click.Choice(("class", "batch")), default="class",
                     show_default=True,
                     help="'batch' reproduces the published code's batch-axis softmax (a bug; "
                          "for comparisons only)."),
        click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                     help="Folder of named data sets [default: $SPARSEFS_DATA, else "
                          "~/.cache/sparsefs]."),
        click.option("--target", default=None,
                     help="Label column of a CSV/TSV file [default: the last]."),
        click.option("--id-column", default=None,
                     help="Column of a CSV/TSV or Parquet file that names the rows (sample "
                          "IDs): read as text, not a feature; select -o FILE.csv writes it "
                          "first."),
    ]):
        func = opt(func)
    return func


def check_training_args(hidden, k=None, n_features=None):
    """Check what the option types cannot (the ranges are declared on the options); returns
    the hidden sizes as a tuple of int."""
    try:
        sizes = tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise InputError(f"--hidden {hidden!r} is not a list of positive widths; write e.g. "
                         "--hidden 1000,100.")
    if isinstance(k, int) and n_features is not None and k > n_features:
        raise InputError(f"--k {k} is larger than the number of features ({n_features}); give "
                         f"--k {n_features} or less.")
    return sizes

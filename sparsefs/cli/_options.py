"""Options and error handling shared by the ``sparsefs`` commands."""

import functools
import sys

import click

from .. import _config as C
from ..errors import InputError

METHODS = click.Choice(C.METHODS, case_sensitive=False)
METRIC = click.Choice(C.METRICS, case_sensitive=False)
HIDDEN_DEFAULT = ",".join(str(h) for h in C.HIDDEN)


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
    """Options every command has: --seed, --quiet, --output."""
    func = click.option("--output", "-o", type=click.Path(),
                        help="Write the result as JSON to this file (atomically).")(func)
    func = click.option("--quiet", "-q", is_flag=True, help="No progress output.")(func)
    func = click.option("--seed", type=int, default=0, show_default=True,
                        help="Fixes the split, initialisation, batch order and topology.")(func)
    return func


def training_options(func):
    """Options of the commands that train: method, density, metric, K, epochs, L2, ..."""
    for opt in reversed([
        click.option("--method", type=METHODS, default=C.METHOD, show_default=True,
                     help="Dynamic sparse training rule, or the dense baseline."),
        click.option("--density", type=float, default=C.DENSITY, show_default=True,
                     help="Fraction of weights stored, in (0, 1]."),
        click.option("--metric", type=METRIC, default=C.METRIC, show_default=True,
                     help="Importance that ranks the features: attribution or strength."),
        click.option("--k", "k", type=int, default=None,
                     help="Features to select/evaluate [default: the data set's K, "
                          f"{C.N_FEATURES_TO_SELECT}; 20 for madelon]."),
        click.option("--epochs", type=int, default=C.EPOCHS, show_default=True,
                     help=f"Maximum epochs (early stopping, patience {C.PATIENCE})."),
        click.option("--l2", type=float, default=C.L2, show_default=True,
                     help="Coupled L2 weight decay."),
        click.option("--batch-size", type=int, default=None,
                     help="Mini-batch size [default: the paper's for the data set]."),
        click.option("--hidden", default=HIDDEN_DEFAULT, show_default=True,
                     help="Hidden layer widths, comma-separated."),
        click.option("--importance", type=click.Choice(C.IMPORTANCE_CHOICES),
                     default=C.IMPORTANCE, show_default=True,
                     help="Which epochs' importance ranks the features (see the README)."),
        click.option("--lr", type=float, default=C.LEARNING_RATE, show_default=True,
                     help="Adam learning rate."),
        click.option("--softmax-axis", type=click.Choice(("class", "batch")), default="class",
                     show_default=True,
                     help="'batch' reproduces the published code's batch-axis softmax (a bug; "
                          "for comparisons only)."),
        click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                     help="Folder of named data sets [default: $SPARSEFS_DATA, else "
                          "~/.cache/sparsefs]."),
        click.option("--target", default=None,
                     help="Label column of a CSV/TSV file [default: the last]."),
    ]):
        func = opt(func)
    return func


def check_training_args(density, k, epochs, hidden, n_features=None):
    """Validate option values; returns the hidden sizes as a tuple of int."""
    if not 0 < density <= 1:
        raise InputError(f"--density {density} is outside (0, 1]; give the fraction of weights "
                         "to keep, e.g. --density 0.2.")
    if epochs < 1:
        raise InputError(f"--epochs {epochs} must be at least 1.")
    try:
        sizes = tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise InputError(f"--hidden {hidden!r} is not a list of positive widths; write e.g. "
                         "--hidden 1000,100.")
    if k is not None and k < 1:
        raise InputError(f"--k {k} must be at least 1.")
    if k is not None and n_features is not None and k > n_features:
        raise InputError(f"--k {k} is larger than the number of features ({n_features}); give "
                         f"--k {n_features} or less.")
    return sizes

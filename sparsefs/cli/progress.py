"""Progress display for training epochs, and the first-run notice while Numba compiles.

On a terminal: one bar line redrawn in place with loss, validation loss, nnz and zeta. Not on a
terminal (logs, CI): a plain line every ``every`` epochs. Nothing at all when quiet.
"""

import sys
from pathlib import Path


class EpochProgress:
    """A callable for ``train_mlp(progress=...)`` that draws the epoch progress on stderr.

    Parameters
    ----------
    total : int
        Planned epochs.
    quiet : bool
        Draw nothing.
    every : int
        Epochs between plain lines when stderr is not a terminal.
    stream : file, default sys.stderr
    """

    def __init__(self, total, quiet=False, every=10, stream=None):
        self.total, self.quiet, self.every = total, quiet, every
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._drawn = False

    def __call__(self, row):
        if self.quiet:
            return False
        e = row["epoch"]
        text = (f"loss {row['train_loss']:.4f}  val {row['val_loss']:.4f}  "
                f"nnz {row['nnz']:,}  zeta {row['zeta']:.3f}  {row['seconds']:.1f}s")
        if self.tty:
            width = 24
            done = int(width * e / self.total)
            bar = "#" * done + "-" * (width - done)
            self.stream.write(f"\repoch {e:>4}/{self.total} [{bar}] {text}")
            self._drawn = True
        elif e == 1 or e % self.every == 0:
            self.stream.write(f"epoch {e}/{self.total}: {text}\n")
        self.stream.flush()
        return False

    def close(self):
        """End the bar's line so later output starts on a fresh line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def kernels_cached():
    """True when Numba's on-disk cache of the kernels exists (the next run will not compile)."""
    from ..nn import kernels

    # Numba names index files <module>.<function>-<line>.pyXY.nbi; any of the products kernels
    # present means the install compiled once already.
    pattern = "products.*.nbi"
    here = Path(kernels.__file__).parent / "__pycache__"
    if any(here.glob(pattern)):
        return True
    try:
        from numba.core.config import CACHE_DIR
    except ImportError:
        return False
    return bool(CACHE_DIR) and any(Path(CACHE_DIR).rglob(pattern))


def compile_notice(quiet, stream=None):
    """Tell the user why the first run pauses: Numba compiles the kernels once, then caches."""
    if not quiet and not kernels_cached():
        stream = stream or sys.stderr
        stream.write("First run: compiling the Numba kernels (10-20 s, once; cached "
                     "for later runs)...\n")
        stream.flush()


#: First-layer weights above which ``size_notice`` speaks up (at ~25 bytes per stored weight
#: with Adam, 1e8 weights are about 2.5 GB).
LARGE_FIRST_LAYER = 100_000_000


def size_notice(n_features, hidden, density, method, quiet, stream=None):
    """Warn, before training, when the first layer will be very large: the default density
    (0.2) suits hundreds to thousands of inputs, not a million."""
    weights = n_features * hidden[0] * (1.0 if method == "dense" else density)
    if quiet or weights < LARGE_FIRST_LAYER:
        return
    stream = stream or sys.stderr
    stream.write(f"Note: the first layer will hold {weights:,.0f} weights (about "
                 f"{weights * 25 / 1e9:.0f} GB with Adam); for {n_features:,} inputs try "
                 f"--density {max(0.001, 2e7 / (n_features * hidden[0])):.3g}.\n")
    stream.flush()

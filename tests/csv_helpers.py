"""CSV builders and references shared by the reader tests (not a test module)."""

import numpy as np
import pytest
from helpers import write_text

pd = pytest.importorskip("pandas")


def _cells(path, sep=","):
    """The file's cells as text, by pandas (header row, blank lines skipped)."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


def _floats(frame):
    """float32 of Python's correctly rounded float() of each stripped cell."""
    return np.vectorize(lambda c: float(c.strip()), otypes=[np.float64])(
        frame.to_numpy(str)).astype(np.float32)


def _numeric_csv(folder, n=240, d=6, name="wide.csv"):
    """Label in column ``label`` (first), strings; class 'pos' iff column x2 > 0."""
    X = np.random.default_rng(1).standard_normal((n, d)).astype(np.float32)
    rows = ["label," + ",".join(f"x{j}" for j in range(d))]
    rows += [("pos" if r[2] > 0 else "neg") + "," + ",".join(str(v) for v in r) for r in X]
    return write_text(folder, name, "\n".join(rows) + "\n"), X

"""File-format readers: user files (npz, CSV/TSV, MATLAB, svmlight, Parquet) and the formats in
which the public sources publish the benchmark sets (NIPS 2003 text, UCI HAR text, MNIST CSV/idx).

The formats the public sources publish the benchmark sets in are read by :mod:`.sources`.
Every reader returns a :class:`Table` whose labels are already encoded to ``0..C-1`` and whose
values were checked (finite, at least two classes). Heavy modules (scipy, scikit-learn, pyarrow)
are imported inside the functions that need them, so importing this module stays cheap.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError

#: Suffixes that mark an argument as a user file rather than a data-set name.
USER_SUFFIXES = (".npz", ".csv", ".tsv", ".mat", ".svm", ".svmlight", ".libsvm", ".parquet")


class Table(NamedTuple):
    """Arrays read from one file, before the train/test split.

    X is (n_samples, n_features): a dense array (integer dtypes kept as stored, so that large
    image sets are cast to float32 only after splitting) or a float32 CSR matrix; y is
    (n_samples,) int64 in 0..C-1; classes is (C,), the original label values; split is
    (train_idx, test_idx) when the file carries an official split, else None.
    """

    X: object
    y: np.ndarray
    classes: np.ndarray
    feature_names: list | None
    split: tuple | None


def find_ci(root: Path, rel: str) -> Path | None:
    """Return ``root / rel`` matching each path part case-insensitively, or None if absent.

    Public sources differ in capitalisation (``SMK_CAN_187.mat``, ``MADELON/``); users should
    not have to rename files to match ours exactly.
    """
    cur = Path(root)
    for part in Path(rel).parts:
        cand = cur / part
        if not cand.exists():
            try:
                cand = next(p for p in cur.iterdir() if p.name.lower() == part.lower())
            except (OSError, StopIteration):
                return None
        cur = cand
    return cur


def encode_labels(labels, src) -> tuple[np.ndarray, np.ndarray]:
    """Map labels of any type, shape (n,), to int64 codes 0..C-1 and the sorted originals (C,)."""
    labels = np.asarray(labels).ravel()
    if labels.dtype.kind in "US":
        labels = np.char.strip(labels.astype(str))
        if (labels == "").any():
            raise InputError(f"{int((labels == '').sum())} label(s) in {src} are empty; "
                             "fill them in or drop the rows without a label.")
        for kind in (np.int64, np.float64):
            try:
                labels = labels.astype(kind)
                break
            except ValueError:
                continue
    elif labels.dtype.kind == "O":
        labels = labels.astype(str)
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all():
            raise InputError(f"The labels in {src} contain NaN or infinite values; "
                             "remove those rows or fill in their labels.")
        if np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        shown = classes[0] if len(classes) else "none"
        raise InputError(f"The labels in {src} have only one class ({shown}); feature selection "
                         "by classification needs at least two classes.")
    return y.astype(np.int64).ravel(), classes


def _is_sparse(X) -> bool:
    import scipy.sparse as sp

    return sp.issparse(X)


def make_table(X, labels, src, feature_names=None, split=None) -> Table:
    """Check X (n, d) against labels (n,), reject non-finite values and encode the labels."""
    if not isinstance(X, np.ndarray) and _is_sparse(X):
        import scipy.sparse as sp

        X = sp.csr_matrix(X, dtype=np.float32)
        values = X.data
    else:
        X = np.asarray(X)
        if X.dtype.kind not in "iub":
            if X.dtype.kind not in "f":
                raise InputError(f"X in {src} has dtype {X.dtype}, not numbers; "
                                 "store the features as a numeric array.")
            with np.errstate(over="ignore"):  # overflow shows up as inf, rejected below
                X = X.astype(np.float32, copy=False)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        values = X if X.dtype.kind == "f" else None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"X in {src} has shape {X.shape}; it must be a non-empty "
                         "2-D table of samples by features.")
    labels = np.asarray(labels).ravel()
    if len(labels) != X.shape[0]:
        raise InputError(f"{src} has {X.shape[0]} samples in X but {len(labels)} labels; "
                         "give exactly one label per row.")
    if values is not None and not np.isfinite(values).all():
        what = "NaN" if np.isnan(values).any() else "infinite (or too large for float32)"
        raise InputError(f"X in {src} contains {what} values; remove or impute them "
                         "before loading.")
    y, classes = encode_labels(labels, src)
    return Table(X, y, classes, feature_names, split)


def read_npz(path: Path, target: str | None = None) -> Table:
    """Read an ``.npz`` with arrays X (n, d) and y (n,), optional classes, train_idx/test_idx.

    When ``classes`` is present and y holds codes into it, the original labels are
    ``classes[y]``; ``target`` names a label array other than ``y``.
    """
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read {path} as an .npz file ({exc}); "
                         "save it with numpy.savez.") from None
    ykey = target or "y"
    with z:
        if "X" not in z.files or ykey not in z.files:
            raise InputError(f"{path} must hold arrays 'X' and '{ykey}' but has "
                             f"{sorted(z.files)}; re-save it with numpy.savez(path, X=X, y=y).")
        X, labels = z["X"], z[ykey].ravel()
        if "classes" in z.files and labels.dtype.kind in "iu":
            classes = z["classes"]
            if len(labels) and labels.min() >= 0 and labels.max() < len(classes):
                labels = classes[labels]
        split = None
        if "train_idx" in z.files and "test_idx" in z.files:
            split = (z["train_idx"].astype(np.int64), z["test_idx"].astype(np.int64))
        names = [str(s) for s in z["feature_names"]] if "feature_names" in z.files else None
    return make_table(X, labels, path, names, split)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_delimited(path: Path, delimiter: str, target: str | None = None) -> Table:
    """Read a CSV/TSV table: header row, one label column (``target``, default the last one).

    A first row made only of numbers is taken as data, not a header, when no target is named.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh, delimiter=delimiter) if any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"Cannot read {path} as a text table ({exc}); save it as "
                         "UTF-8 CSV with a header row.") from None
    if not rows:
        raise InputError(f"{path} is empty; it needs a header row and at least one data row.")
    header = [h.strip() for h in rows[0]]
    if target is None and all(_is_number(h) for h in header):
        names, start = None, 0
    else:
        names, start = header, 1
    data = rows[start:]
    width = len(header)
    for lineno, row in enumerate(data, start=start + 1):
        if len(row) != width:
            raise InputError(f"{path} is ragged: row {lineno} has {len(row)} fields but the "
                             f"first row has {width}; give every row the same number of columns.")
    if not data:
        raise InputError(f"{path} has a header but no data rows; add the samples below it.")
    if target is None:
        tcol = width - 1
    elif target in header:
        tcol = header.index(target)
    else:
        raise InputError(f"Target column '{target}' is not in {path}; its columns are "
                         f"{', '.join(header[:20])}{' ...' if width > 20 else ''}.")
    if width < 2:
        raise InputError(f"{path} has a single column; it needs feature columns and a label "
                         "column.")
    cells = np.array(data, dtype=str)
    feats = [j for j in range(width) if j != tcol]
    try:
        X = np.char.strip(cells[:, feats]).astype(np.float64)
    except ValueError:
        for j in feats:
            col = np.char.strip(cells[:, j])
            bad = next((i for i, v in enumerate(col) if not _is_number(v)), None)
            if bad is not None:
                label = names[j] if names else f"number {j + 1}"
                row = bad + start + 1
                if not col[bad]:
                    raise InputError(f"Column '{label}' of {path} has an empty cell in row "
                                     f"{row}; fill in or drop missing values before "
                                     "loading.") from None
                raise InputError(f"Column '{label}' of {path} is not numeric (row {row} has "
                                 f"'{col[bad]}'); encode or drop it, or name it with "
                                 "--target.") from None
        raise
    feature_names = [names[j] for j in feats] if names else None
    return make_table(X, cells[:, tcol], path, feature_names)


def read_mat(path: Path, target: str | None = None) -> Table:
    """Read a MATLAB v5/v7 ``.mat`` with X/Y (scikit-feature) or fea/gnd (Deng Cai) arrays.

    Sparse X stays sparse (CSR). v7.3 files are HDF5 and scipy cannot read them.
    """
    from scipy.io import loadmat
    from scipy.io.matlab import matfile_version

    hint = "re-save it in MATLAB with save(file, '-v7') or convert it to .npz"
    try:
        if matfile_version(str(path))[0] == 2:
            raise InputError(f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; "
                             f"{hint}.")
        m = loadmat(str(path))
    except InputError:
        raise
    except Exception as exc:  # scipy raises many types for damaged files
        raise InputError(f"Cannot read {path} as a MATLAB file ({exc}); {hint}.") from None
    xkey = next((k for k in ("X", "fea", "data") if k in m), None)
    ykey = target or next((k for k in ("Y", "y", "gnd", "label", "labels") if k in m), None)
    found = sorted(k for k in m if not k.startswith("__"))
    if xkey is None or ykey is None or ykey not in m:
        raise InputError(f"{path} must hold a feature matrix 'X' (or 'fea') and labels 'Y' "
                         f"(or 'gnd') but has {found}; rename the variables or pass --target.")
    return make_table(m[xkey], np.asarray(m[ykey]).ravel(), path)


def read_svmlight(path: Path) -> Table:
    """Read a svmlight/libsvm file; X stays a float32 CSR matrix (n, d)."""
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(str(path), dtype=np.float32)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read {path} as svmlight/libsvm ({exc}); each line must be "
                         "'label index:value ...' with increasing indices.") from None
    return make_table(X, y, path)


def read_parquet(path: Path, target: str | None = None) -> Table:
    """Read a Parquet table (needs pyarrow): numeric feature columns, one label column."""
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pat
    except ImportError:
        raise InputError(f"Reading {path} needs pyarrow, which is not installed; run "
                         "'pip install pyarrow' or save the table as CSV.") from None
    table = pq.read_table(str(path))
    names = list(table.column_names)
    tname = target if target is not None else names[-1]
    if tname not in names:
        raise InputError(f"Target column '{tname}' is not in {path}; its columns are "
                         f"{', '.join(names[:20])}.")
    feats = [c for c in names if c != tname]
    for c in feats:
        t = table.schema.field(c).type
        if not (pat.is_integer(t) or pat.is_floating(t) or pat.is_boolean(t)):
            raise InputError(f"Column '{c}' of {path} is not numeric ({t}); encode or drop it, "
                             "or name it with --target.")
    X = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float32)
                         for c in feats])
    return make_table(X, table.column(tname).to_numpy(zero_copy_only=False), path, feats)


def read_user_file(path: Path, target: str | None = None) -> Table:
    """Dispatch on the suffix of a user file; see :data:`USER_SUFFIXES`."""
    suffix = path.suffix.lower()
    if suffix in (".svm", ".svmlight", ".libsvm"):
        if target is not None:
            raise InputError(f"{path} is svmlight, whose label is always the first field; "
                             "drop the --target option.")
        return read_svmlight(path)
    readers = {".npz": read_npz, ".mat": read_mat, ".parquet": read_parquet,
               ".csv": lambda p, t: read_delimited(p, ",", t),
               ".tsv": lambda p, t: read_delimited(p, "\t", t)}
    if suffix not in readers:
        raise InputError(f"Unknown file type '{suffix}' for {path}; use one of "
                         f"{', '.join(USER_SUFFIXES)}.")
    return readers[suffix](path, target)

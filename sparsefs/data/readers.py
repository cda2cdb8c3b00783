"""File-format readers: user files (npz, CSV/TSV, MATLAB, svmlight, Parquet) and the formats in
which the public sources publish the benchmark sets (NIPS 2003 text, UCI HAR text, MNIST CSV/idx).

The formats the public sources publish the benchmark sets in are read by :mod:`.sources`.
Every reader returns a :class:`Table` whose labels are already encoded to ``0..C-1`` and whose
values were checked (finite, at least two classes). Heavy modules (scipy, scikit-learn, pyarrow)
are imported inside the functions that need them, so importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError

#: Suffixes that mark an argument as a user file rather than a data-set name.
USER_SUFFIXES = (".npz", ".npy", ".csv", ".tsv", ".csv.gz", ".tsv.gz", ".mat", ".svm",
                 ".svmlight", ".libsvm", ".svm.gz", ".svmlight.gz", ".libsvm.gz", ".parquet")
_SVMLIGHT = (".svm", ".svmlight", ".libsvm", ".svm.gz", ".svmlight.gz", ".libsvm.gz")


def file_suffix(path) -> str:
    """The suffix that names a file's format, lower case: ``.csv.gz`` for ``genes.CSV.gz``,
    one of :data:`USER_SUFFIXES` when it ends in one, else its last suffix."""
    name = Path(path).name.lower()
    for suffix in sorted(USER_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return Path(name).suffix


class Table(NamedTuple):
    """Arrays read from one file, before the train/test split.

    X is (n_samples, n_features): a dense array (integer dtypes kept as stored, so that large
    image sets are cast to float32 only after splitting; a ``.npy`` stays memory-mapped) or
    a float32 CSR matrix; y is (n_samples,) int64 in 0..C-1; classes is (C,), the original
    label values; split is (train_idx, test_idx) when the file carries an official split,
    else None; target_name is the label column's name when the file has one; sample_ids
    (n_samples,) str are the rows' names from the file's ID column, and id_name that
    column's name (both None without one).
    """

    X: object
    y: np.ndarray
    classes: np.ndarray
    feature_names: list | None
    split: tuple | None
    target_name: str | None = None
    sample_ids: np.ndarray | None = None
    id_name: str | None = None


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


def is_mapped(X) -> bool:
    """Whether the array X is (a view of) a memory-mapped file."""
    import mmap

    base = X
    while base is not None:
        if isinstance(base, (mmap.mmap, np.memmap)) and not (
                isinstance(base, np.memmap) and getattr(base, "_mmap", None) is None):
            return True
        base = getattr(base, "base", None)
    return False


def _is_sparse(X) -> bool:
    import scipy.sparse as sp

    return sp.issparse(X)


def all_finite(values) -> bool:
    """Whether every value of a float array is finite, checked in slices (no n x d mask)."""
    flat = values.reshape(-1) if values.flags.c_contiguous else None
    if flat is None:
        return bool(np.isfinite(values).all())
    step = 1 << 22
    return all(bool(np.isfinite(flat[i:i + step]).all()) for i in range(0, flat.size, step))


def make_table(X, labels, src, feature_names=None, split=None, target_name=None,
               sample_ids=None, id_name=None) -> Table:
    """Check X (n, d) against labels (n,), reject non-finite values and encode the labels.

    A dense float32 X (a memory map too) is kept as it is, never copied.
    """
    if not isinstance(X, np.ndarray) and _is_sparse(X):
        import scipy.sparse as sp

        X = sp.csr_matrix(X, dtype=np.float32)
        values = X.data
    else:
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
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
    if values is not None and not all_finite(values):
        what = "NaN" if np.isnan(values).any() else "infinite (or too large for float32)"
        raise InputError(f"X in {src} contains {what} values; remove or impute them "
                         "before loading.")
    y, classes = encode_labels(labels, src)
    return Table(X, y, classes, feature_names, split, target_name, sample_ids, id_name)


def read_npz(path: Path, target: str | None = None) -> Table:
    """Read an ``.npz`` with arrays X (n, d) and y (n,), optional classes, train_idx/test_idx.

    When ``classes`` is present and y holds codes into it, the original labels are
    ``classes[y]``; ``target`` names a label array other than ``y``.
    """
    import zipfile
    import zlib

    try:
        return _read_npz_arrays(path, target)
    except InputError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(f"Cannot read {path} as an .npz file ({exc}); it is damaged or not "
                         "an .npz, so re-save it with numpy.savez.") from None


def _read_npz_arrays(path: Path, target: str | None) -> Table:
    z = np.load(path, allow_pickle=False)
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


def read_delimited(path: Path, delimiter: str, target: str | None = None,
                   budget: int | None = None, id_column: str | None = None) -> Table:
    """Read a CSV/TSV table (plain or ``.gz``): header row, one label column (``target``,
    default the last one), optionally a column of the rows' names (``id_column``); see
    :mod:`.delimited` for how.

    A first row made only of numbers is taken as data, not a header, when no target is named.
    With ``budget`` (bytes), a table whose float32 size would exceed it is refused before its
    rows are read.
    """
    from .delimited import read_delimited as read

    X, labels, layout, ids = read(path, delimiter, target, budget, id_column)
    return make_table(X, labels, path, layout.feature_names, target_name=layout.target_name,
                      sample_ids=ids, id_name=layout.id_name)


def read_npy(path: Path, target: str | None = None) -> Table:
    """Memory-map a float ``.npy`` table (n, d), with its labels from ``<stem>.labels.npy``
    and, when present, its column names from ``<stem>.columns.json`` (as ``sparsefs
    convert`` writes them); the table is read from disk when it is used, never copied here."""
    if target is not None:
        raise InputError(f"{path} takes its labels from {sidecars(path)[0].name}, so --target "
                         "does not apply; drop the option.")
    labels_path, columns_path = sidecars(path)
    try:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read {path} as a .npy file ({exc}); write it with "
                         "'sparsefs convert' or numpy.save.") from None
    if not labels_path.is_file():
        raise InputError(f"{path} has no labels file {labels_path} next to it; write both "
                         "with 'sparsefs convert', or save the label of each row there with "
                         "numpy.save.")
    try:
        labels = np.load(labels_path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read {labels_path} as a .npy file of labels ({exc}); save "
                         "the label of each row there with numpy.save.") from None
    names, target_name, id_name = None, None, None
    if columns_path.is_file():
        import json

        try:
            meta = json.loads(columns_path.read_text())
            names, target_name = meta.get("feature_names"), meta.get("target")
            id_name = meta.get("id_column")
        except (OSError, ValueError, AttributeError):
            names = None
        if names is not None and (X.ndim != 2 or len(names) != X.shape[1]):
            names = None
    ids = None
    if ids_sidecar(path).is_file():
        try:
            ids = np.load(ids_sidecar(path), allow_pickle=False)
        except (OSError, ValueError):
            ids = None
        if ids is not None and (ids.ndim != 1 or len(ids) != len(labels)):
            ids = None
    return make_table(X, labels, path, names, target_name=target_name, sample_ids=ids,
                      id_name=id_name if ids is not None else None)


def sidecars(path: Path) -> tuple[Path, Path]:
    """The files next to a ``.npy`` table: its labels (``<stem>.labels.npy``) and its column
    names (``<stem>.columns.json``)."""
    path = Path(path)
    stem = path.name[:-4] if path.name.lower().endswith(".npy") else path.name
    return path.with_name(stem + ".labels.npy"), path.with_name(stem + ".columns.json")


def ids_sidecar(path: Path) -> Path:
    """The rows' names next to a ``.npy`` table (``<stem>.ids.npy``), when it has them."""
    path = Path(path)
    stem = path.name[:-4] if path.name.lower().endswith(".npy") else path.name
    return path.with_name(stem + ".ids.npy")


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
    """Read a svmlight/libsvm file (``.gz`` too); X stays a float32 CSR matrix (n, d).

    Parsed by :mod:`.svmlight`'s kernels; a file they leave to scikit-learn's reader is read
    by it, with the same result.
    """
    from .svmlight import read_svmlight_fast

    fast = read_svmlight_fast(path)
    if fast is not None:
        return make_table(*fast, path)
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(str(path), dtype=np.float32)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read {path} as svmlight/libsvm ({exc}); each line must be "
                         "'label index:value ...' with increasing indices.") from None
    return make_table(X, y, path)


def read_parquet(path: Path, target: str | None = None, id_column: str | None = None) -> Table:
    """Read a Parquet table (needs pyarrow): numeric feature columns, one label column and
    optionally a column of the rows' names (``id_column``)."""
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
    if id_column is not None and (id_column not in names or id_column == tname):
        raise InputError(f"ID column '{id_column}' is not a column of {path} besides the target "
                         f"'{tname}'; its columns are {', '.join(names[:20])}.")
    feats = [c for c in names if c not in (tname, id_column)]
    for c in feats:
        t = table.schema.field(c).type
        if not (pat.is_integer(t) or pat.is_floating(t) or pat.is_boolean(t)):
            raise InputError(f"Column '{c}' of {path} is not numeric ({t}); encode or drop it, "
                             "name it with --target, or with --id-column if it names the "
                             "rows.")
    X = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float32)
                         for c in feats])
    ids = None if id_column is None else np.array(
        [str(v) for v in table.column(id_column).to_pylist()], dtype=str)
    return make_table(X, table.column(tname).to_numpy(zero_copy_only=False), path, feats,
                      sample_ids=ids, id_name=id_column)


def read_user_file(path: Path, target: str | None = None, budget: int | None = None,
                   id_column: str | None = None) -> Table:
    """Dispatch on the suffix of a user file; see :data:`USER_SUFFIXES`.

    With ``budget`` (bytes), a dense table that would take more than that as float32 is
    refused before it is read (:func:`.budget.estimate_shape`); a ``.npy`` is memory-mapped, so it
    is never refused. ``id_column`` names the column of the rows' names (CSV/TSV and
    Parquet, which have named columns).
    """
    suffix = file_suffix(path)
    delimited = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
    if id_column is not None and suffix not in (*delimited, ".parquet"):
        raise InputError(f"--id-column applies to CSV/TSV and Parquet files, whose columns "
                         f"have names; {path} has none, so drop the option.")
    if suffix in _SVMLIGHT:
        if target is not None:
            raise InputError(f"{path} is svmlight, whose label is always the first field; "
                             "drop the --target option.")
        return read_svmlight(path)
    if suffix in delimited:
        return read_delimited(path, "\t" if suffix.startswith(".tsv") else ",", target, budget,
                              id_column)
    readers = {".npz": read_npz, ".npy": read_npy, ".mat": read_mat, ".parquet": read_parquet}
    if suffix not in readers:
        raise InputError(f"Unknown file type '{suffix}' for {path}; use one of "
                         f"{', '.join(USER_SUFFIXES)}.")
    if budget is not None and suffix != ".npy":
        from .budget import check_fits, estimate_shape

        shape = estimate_shape(path, suffix)
        if shape is not None:
            check_fits(path, shape[0], shape[1], budget)
    if suffix == ".parquet":
        return read_parquet(path, target, id_column)
    return readers[suffix](path, target)

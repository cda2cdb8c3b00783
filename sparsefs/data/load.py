"""Loading a named data set or a user file into a :class:`Dataset` with its train/test split.

Loaders return raw float32 features: scaling is fitted later, on the training part only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._config import default_batch_size
from ..errors import InputError
from .readers import USER_SUFFIXES, Table, find_ci, is_mapped
from .registry import (
    _NPZ_LAYOUT,
    _TABLE,
    BUNDLED,
    DATASETS,
    DatasetInfo,
    data_root,
    get_info,
    is_file_argument,
)
from .splits import check_split, paper_split, user_split


@dataclass
class Dataset:
    """A data set split into train and test parts, with the paper's settings for it.

    X_train is (n_train, n_features) and X_test (n_test, n_features), float32, unscaled, dense
    or CSR; y_train (n_train,) and y_test (n_test,) are int64 in 0..C-1; ``classes[y]`` gives
    the original label values.
    """

    name: str
    X_train: object
    y_train: np.ndarray
    X_test: object
    y_test: np.ndarray
    classes: np.ndarray
    feature_names: list | None
    batch_size: int
    k: int
    scaling: str
    image_shape: tuple | None
    source: str

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(len(self.classes))

    @property
    def is_sparse(self) -> bool:
        return not isinstance(self.X_train, np.ndarray)


def _locate(info: DatasetInfo, root: Path) -> tuple[str, Path] | None:
    """Find a data set's file in ``root``: ``<name>.npz`` first, then its source's files."""
    npz = find_ci(root, info.name + ".npz")
    if npz is not None and npz.is_file():
        return "npz", npz
    for rel in info.markers:
        for cand in (rel,) if info.fmt == "mat" else (rel, rel + ".gz"):
            hit = find_ci(root, cand)
            if hit is not None and hit.is_file():
                return info.fmt, hit
    return None


def _hint(info: DatasetInfo, root: Path) -> str:
    return (f"put {info.name}.npz {_NPZ_LAYOUT} or {info.files} in {root} "
            f"(public source: {info.source})")


def _verify_sha256(path: Path, expected: str) -> None:
    """Raise InputError when the file's sha256 differs from the published one."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise InputError(f"{path} is corrupted (its sha256 does not match the published "
                         "checksum); re-copy it from shared/data or the data set's source.")


def _build(name: str, table: Table, split, source: str, **settings) -> Dataset:
    """Cut X into train/test rows and cast to float32 after the cut (saves a full-size copy).

    A float32 table of its own (what the CSV reader returns) whose split covers every row is
    reordered in place, train rows first, and both parts are views of it: no copy at all.
    """
    def rows(idx):
        part = table.X[idx]
        if isinstance(part, np.ndarray):
            return np.ascontiguousarray(part, dtype=np.float32)
        part = part.astype(np.float32).tocsr()
        part.sort_indices()  # the engine's CSR kernels expect sorted column indices
        return part

    train, test = split
    X = table.X
    order = np.concatenate([train, test]).astype(np.int64)
    if (isinstance(X, np.ndarray) and not is_mapped(X) and X.dtype == np.float32
            and X.flags.c_contiguous and X.flags.writeable and X.flags.owndata
            and np.array_equal(np.sort(order), np.arange(X.shape[0]))):
        from ._text import permute_rows

        permute_rows(X, order)
        X_train, X_test = X[:len(train)], X[len(train):]
    else:
        X_train, X_test = rows(train), rows(test)
    return Dataset(name, X_train, table.y[train], X_test, table.y[test],
                   table.classes, table.feature_names, source=source, **settings)


def _read_named(info: DatasetInfo, data_dir) -> tuple[Table, Path, str]:
    """The table of a named data set from the data folder (or the bundled madelon), checked
    against the set's facts: (table, path, source)."""
    from . import readers, sources

    root = data_root(data_dir)
    found = _locate(info, root)
    source = None
    if found is None and info.name == "madelon":
        found, source = ("npz", BUNDLED / "madelon.npz"), "bundled"
    if found is None:
        raise InputError(f"Data set '{info.name}' is not in the data folder {root}: "
                         f"{_hint(info, root)}, or set --data-dir / SPARSEFS_DATA to where it is.")
    fmt, path = found
    if fmt == "npz":
        if info.sha256:
            _verify_sha256(path, info.sha256)
        table = readers.read_npz(path)
    elif fmt == "mat":
        table = readers.read_mat(path)
    elif fmt == "nips":
        table = sources.read_nips(path.parent, info.name)
    elif fmt == "har":
        table = sources.read_har(path.parent.parent)
    else:
        table = sources.read_mnist(path.parent)
    if table.X.shape[1] != info.n_features:
        raise InputError(f"{path} has {table.X.shape[1]} features but {info.name} has "
                         f"{info.n_features}; it is another data set or damaged, so re-copy it.")
    return table, path, source or str(path)


def _load_named(info: DatasetInfo, data_dir) -> Dataset:
    table, path, source = _read_named(info, data_dir)
    n = table.X.shape[0]
    if table.split is not None and info.official_split:
        split = check_split(table.split, n, path)
    else:
        split = paper_split(n)
    return _build(info.name, table, split, source, batch_size=info.batch_size,
                  k=info.k, scaling=info.scaling, image_shape=info.image_shape)


def _read_file(path: Path, target: str | None, id_column: str | None = None) -> Table:
    """A user file's table; a dense one larger than the memory budget is refused first."""
    from .budget import memory_budget
    from .readers import read_user_file

    if not path.exists():
        raise InputError(f"File {path} does not exist; check the path, or give a data-set name "
                         f"({', '.join(DATASETS)}).")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a data file ({', '.join(USER_SUFFIXES)}) "
                         "or a data-set name with --data-dir pointing at the folder.")
    return read_user_file(path, target, budget=memory_budget(), id_column=id_column)


def user_scaling(X) -> str:
    """How a user file's features are scaled: standardized when dense; divided by each
    column's largest magnitude when sparse ("minmax" for sparse input, which keeps zeros).

    Sparse files are text and counts, where a rare term has a tiny standard deviation:
    dividing by it blows the term's few non-zeros up to the largest inputs the network sees.
    On the files bench's 2,000 x 1,000,000 svmlight corpus (`sparsefs train --data text.svm
    --epochs 2`), standardized: 0 (attribution) and 2 (strength) of its 10 planted terms in
    the top 100, SVC 54% / 87%; divided by the largest magnitude: 10 and 10, SVC 99.5%.
    """
    return "minmax" if not isinstance(X, np.ndarray) else "standard"


def _file_name(path: Path) -> str:
    from .readers import file_suffix

    suffix = file_suffix(path)
    name = path.name
    return name[: -len(suffix)] if suffix and name.lower().endswith(suffix) else path.stem


def _load_file(path: Path, target: str | None, id_column: str | None = None) -> Dataset:
    table = _read_file(path, target, id_column)
    n, d = table.X.shape
    if is_mapped(table.X):
        from .budget import check_copy_fits, memory_budget

        # The split parts are copied out of the map and then scaled: twice the table.
        check_copy_fits(path, 2 * 4 * n * d, memory_budget(), "train")
    split = check_split(table.split, n, path) if table.split is not None else user_split(table.y)
    n_train = len(split[0])
    return _build(_file_name(path), table, split, str(path),
                  batch_size=default_batch_size(n_train), k=min(100, d),
                  scaling=user_scaling(table.X),
                  image_shape=None)


@dataclass
class WholeTable:
    """Every row of a data set or file, unsplit, with the settings for it (what ``sparsefs
    select`` fits on). X is (n, d) float32: as read (a memory map for a ``.npy``, never
    copied) or CSR; ``classes[y]`` are the original labels; ``target_name`` is the label
    column's name when the file has one; ``sample_ids`` (n,) str the rows' names from its ID
    column and ``id_name`` that column's name (None without one)."""

    name: str
    X: object
    y: np.ndarray
    classes: np.ndarray
    feature_names: list | None
    target_name: str | None
    batch_size: int
    k: int
    scaling: str
    source: str
    sample_ids: np.ndarray | None = None
    id_name: str | None = None

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return int(len(self.classes))

    @property
    def is_sparse(self) -> bool:
        return not isinstance(self.X, np.ndarray)


def _named_only(info, target, id_column):
    """The error for options that name columns of a user file, given with a named set."""
    for option, value in (("--target", target), ("--id-column", id_column)):
        if value is not None:
            raise InputError(f"{option} applies to user files only; '{info.name}' has fixed "
                             "columns and labels, so drop the option.")


def load_table(name_or_path, data_dir=None, target: str | None = None,
               id_column: str | None = None) -> WholeTable:
    """Load every row of a named data set or a user file, unsplit, as float32 (dense or CSR).

    The same arguments as :func:`load_dataset`. The batch size and K are the ones
    :func:`load_dataset` would give; a dense float32 table (a memory-mapped ``.npy`` too) is
    not copied.
    """
    arg = str(name_or_path)
    if is_file_argument(arg):
        path = Path(arg).expanduser()
        table = _read_file(path, target, id_column)
        n, d = table.X.shape
        name, source, k, scaling = _file_name(path), str(path), min(100, d), user_scaling(table.X)
        batch = default_batch_size(int(0.8 * n))
    else:
        info = get_info(arg)
        _named_only(info, target, id_column)
        table, _, source = _read_named(info, data_dir)
        name, k, scaling, batch = info.name, info.k, info.scaling, info.batch_size
    X = table.X
    if isinstance(X, np.ndarray):
        if X.dtype != np.float32 and not (is_mapped(X) and X.dtype == np.float64):
            if is_mapped(X):  # a map of integers: the float32 copy must fit in memory
                from .budget import check_copy_fits, memory_budget

                check_copy_fits(source, 4 * X.shape[0] * X.shape[1], memory_budget(),
                                "select")
            X = np.ascontiguousarray(X, dtype=np.float32)
    else:
        X = X.astype(np.float32).tocsr()
        X.sort_indices()
    return WholeTable(name, X, table.y, table.classes, table.feature_names, table.target_name,
                      batch_size=batch, k=k, scaling=scaling, source=source,
                      sample_ids=table.sample_ids, id_name=table.id_name)


def load_dataset(name_or_path, data_dir=None, target: str | None = None,
                 id_column: str | None = None) -> Dataset:
    """Load a named data set or a user file, split into train and test parts.

    Parameters
    ----------
    name_or_path : str or path
        A name from :data:`DATASETS` (or an alias, any case), or the path of a file. An
        argument that is an existing file, contains a path separator, or ends in one of
        ``.npz .npy .csv .tsv .csv.gz .tsv.gz .mat .svm .svmlight .libsvm .parquet`` (the
        svmlight ones also with ``.gz``) is read as a file. A dense file whose float32 table
        would exceed the memory budget (:mod:`sparsefs.data.budget`) is refused before it is
        read; a ``.npy`` is memory-mapped.
    data_dir : str or path, optional
        Folder with the named data sets; see :func:`resolve_data_dir`.
    target : str, optional
        Label column (CSV/TSV/Parquet; default the last column) or label array (npz/mat).
    id_column : str, optional
        Column of the rows' names (CSV/TSV/Parquet): read as text, not a feature.

    Returns
    -------
    Dataset
        Official split where the source has one (madelon 2000/600, fashion_mnist 60000/10000,
        gisette 6000/1000, har 7352/2947, mnist 60000/10000, or train_idx/test_idx in a user
        .npz); otherwise :func:`paper_split`, the paper's random 80/20 split (also for usps,
        whose 7291/2007 split the paper did not use).
    """
    arg = str(name_or_path)
    if is_file_argument(arg):
        return _load_file(Path(arg).expanduser(), target, id_column)
    info = get_info(arg)
    _named_only(info, target, id_column)
    return _load_named(info, data_dir)


def list_datasets(data_dir=None) -> list[dict]:
    """One row per named data set: its facts, ``status`` ("bundled", "found" or "missing") and
    ``path_or_hint`` (the file found, or which files to put where). Checksums are not read."""
    root = data_root(data_dir)
    rows = []
    for info in _TABLE:
        found = _locate(info, root)
        if found is not None:
            status, where = "found", str(found[1])
        elif info.name == "madelon":
            status, where = "bundled", str(BUNDLED / "madelon.npz")
        else:
            status, where = "missing", _hint(info, root)
        rows.append({"name": info.name, "n_samples": info.n_samples,
                     "n_features": info.n_features, "n_classes": info.n_classes,
                     "domain": info.domain, "source": info.source, "in_paper": info.in_paper,
                     "status": status, "path_or_hint": where})
    return rows

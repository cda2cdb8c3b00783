"""Readers for the formats the public sources publish the benchmark sets in: NIPS 2003 text,
UCI HAR text, MNIST CSV and idx files (plain or gzipped)."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError
from ._layout import is_number
from .readers import Table, find_ci, make_table


def _text_file(folder: Path, name: str) -> Path:
    """Find ``folder/name`` or its gzipped copy ``name.gz``; raise naming the missing file."""
    found = find_ci(folder, name) or find_ci(folder, name + ".gz")
    if found is None:
        raise InputError(f"{folder / name} is missing; put the complete set of files from "
                         "the public source into that folder.")
    return found


def _loadtxt(path: Path, **kwargs) -> np.ndarray:
    """np.loadtxt for plain or gzipped text, turning parse errors into InputError."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as fh, warnings.catch_warnings():
            warnings.simplefilter("error")
            return np.loadtxt(fh, ndmin=2, **kwargs)
    except (ValueError, UserWarning, OSError, EOFError) as exc:
        raise InputError(f"Cannot parse {path} ({exc}); re-copy the file, every row must "
                         "have the same number of numbers.") from None


def _stack_official(parts, src, feature_names=None) -> Table:
    """Stack (X_train, y_train), (X_test, y_test) and mark the official split."""
    (Xa, ya), (Xb, yb) = parts
    if Xa.shape[1] != Xb.shape[1]:
        raise InputError(f"The train and test files in {src} have {Xa.shape[1]} and "
                         f"{Xb.shape[1]} features; re-copy them from the same release.")
    n_tr, n = len(Xa), len(Xa) + len(Xb)
    split = (np.arange(n_tr), np.arange(n_tr, n))
    return make_table(np.vstack([Xa, Xb]), np.concatenate([ya, yb]), src, feature_names, split)


def read_nips(folder: Path, prefix: str) -> Table:
    """NIPS 2003 challenge text files ``{prefix}_{train,valid}.{data,labels}`` (optionally .gz).

    ``.data`` is one dense row of integers per sample; ``.labels`` one ±1 per line. The
    validation part is the test set (its labels were released after the challenge).
    """
    parts = []
    for part in ("train", "valid"):
        X = _loadtxt(_text_file(folder, f"{prefix}_{part}.data"), dtype=np.float32)
        y = _loadtxt(_text_file(folder, f"{prefix}_{part}.labels"), dtype=np.int64).ravel()
        parts.append((X, y))
    return _stack_official(parts, folder)


def read_har(folder: Path) -> Table:
    """UCI HAR ``{train,test}/X_*.txt`` (561 floats per line) and ``y_*.txt`` (1..6)."""
    parts = []
    for part in ("train", "test"):
        X = _loadtxt(_text_file(folder, f"{part}/X_{part}.txt"), dtype=np.float32)
        y = _loadtxt(_text_file(folder, f"{part}/y_{part}.txt"), dtype=np.int64).ravel()
        parts.append((X, y))
    names_file = find_ci(folder, "features.txt")
    names = None
    if names_file is not None:
        names = [ln.split(maxsplit=1)[-1].strip() for ln in names_file.read_text().splitlines()
                 if ln.strip()]
    if names is not None and len(names) != parts[0][0].shape[1]:
        names = None
    return _stack_official(parts, folder, names)


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (MNIST's ubyte format, optionally gzipped) into a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"Cannot read {path} ({exc}); re-copy the file.") from None
    ndim = raw[3] if len(raw) > 4 else 0
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4) if ndim else np.array([])
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or len(raw) != 4 + 4 * ndim + int(np.prod(dims)):
        raise InputError(f"{path} is not a complete unsigned-byte IDX file; re-copy it.")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims.astype(int))


def read_mnist(folder: Path) -> Table:
    """MNIST-style files: ``mnist_{train,test}.csv`` (label in column 0, optional header) or
    the idx files ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``. Images are (n, 784)."""
    parts = []
    if find_ci(folder, "mnist_train.csv") is not None:
        for part in ("train", "test"):
            path = _text_file(folder, f"mnist_{part}.csv")
            with (gzip.open if path.suffix == ".gz" else open)(path, "rt") as fh:
                first = fh.readline().split(",")[0]
            skip = 0 if is_number(first) else 1  # an optional header row
            arr = _loadtxt(path, delimiter=",", dtype=np.float32, skiprows=skip)
            parts.append((arr[:, 1:], arr[:, 0].astype(np.int64)))
    else:
        for part in ("train", "t10k"):
            images = _read_idx(_text_file(folder, f"{part}-images-idx3-ubyte"))
            labels = _read_idx(_text_file(folder, f"{part}-labels-idx1-ubyte"))
            parts.append((images.reshape(len(images), -1), labels.astype(np.int64)))
    return _stack_official(parts, folder)

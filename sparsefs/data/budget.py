"""How much memory the data may take: the budget a file is checked against before it is read.

The budget is half of the memory available now (``MemAvailable`` in ``/proc/meminfo``), or
``$SPARSEFS_MEMORY_BUDGET`` in bytes (``2e9``, ``512M`` and ``4G`` are understood too). A file
whose float32 table would not fit is refused before it is read, with the numbers and the way
that works: ``sparsefs convert FILE out.npy`` once, then ``--data out.npy``, which is memory-
mapped and read by mini-batch gathers.
"""

from __future__ import annotations

import os
import re

from ..errors import InputError

ENV = "SPARSEFS_MEMORY_BUDGET"
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def available_bytes() -> int | None:
    """``MemAvailable`` from /proc/meminfo in bytes, or None where there is no such file."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_budget() -> int | None:
    """Bytes the data may take: ``$SPARSEFS_MEMORY_BUDGET`` or half of the available memory;
    None when neither is known (then nothing is refused)."""
    text = os.environ.get(ENV, "").strip()
    if text:
        m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMgGtT]?)(?:i?[bB])?", text)
        if m is None:
            raise InputError(f"${ENV}={text!r} is not a number of bytes; write e.g. "
                             f"{ENV}=4G or {ENV}=4000000000.")
        return int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    avail = available_bytes()
    return None if avail is None else avail // 2


def human(nbytes: float) -> str:
    """``1.23 GB`` style (powers of 1000, as file managers show sizes)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(nbytes) >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{int(nbytes)} bytes"


def _budget_words(budget: int) -> str:
    if os.environ.get(ENV, "").strip():
        return f"the memory budget of {human(budget)} (${ENV})"
    return (f"the memory budget of {human(budget)} (half the memory available now; set "
            f"${ENV} in bytes to change it)")


def check_fits(path, n_rows: int, n_features: int, budget: int | None,
               approximate: bool = False) -> None:
    """Raise InputError, before anything is read, when a (n_rows, n_features) float32 table
    from ``path`` would take more than ``budget`` bytes; a None budget accepts everything."""
    need = 4 * int(n_rows) * int(n_features)
    if budget is None or need <= budget:
        return
    about = "about " if approximate else ""
    raise InputError(f"{path} holds {about}{n_rows:,} rows x {n_features:,} features, "
                     f"{human(need)} as float32, more than {_budget_words(budget)}; convert "
                     f"it once with 'sparsefs convert {path} {_npy_name(path)}' and pass "
                     f"--data {_npy_name(path)}, which is read from disk in mini-batches.")


def check_copy_fits(path, nbytes: int, budget: int | None, command: str) -> None:
    """Raise InputError when ``command`` would copy ``nbytes`` of a memory-mapped table into
    memory and that is more than the budget."""
    if budget is None or nbytes <= budget:
        return
    if command == "select":  # only a map of non-float values is copied by select
        raise InputError(f"{path} holds integers, whose float32 copy ({human(nbytes)}) is more "
                         f"than {_budget_words(budget)}; write it as float32 with "
                         f"'sparsefs convert' or numpy, then select from that file.")
    raise InputError(f"'{command}' scales a copy of {path} in memory ({human(nbytes)}), more "
                     f"than {_budget_words(budget)}; run 'sparsefs select {path}' instead, "
                     "which reads it from disk in mini-batches.")


def _npy_name(path) -> str:
    from pathlib import Path

    name = Path(path).name
    for suffix in (".csv.gz", ".tsv.gz", ".csv", ".tsv", ".npz", ".mat", ".parquet"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + ".npy"
    return name + ".npy"


def estimate_shape(path, suffix):
    """(rows, features) of the table in an npz/mat/parquet file, from its metadata alone;
    None when that cannot be told without reading it (or the table is sparse)."""
    import numpy as np

    try:
        if suffix == ".npz":
            import zipfile

            fmt = np.lib.format
            with zipfile.ZipFile(path) as zf, zf.open("X.npy") as fh:
                version = fmt.read_magic(fh)
                read = fmt.read_array_header_1_0 if version == (1, 0) else \
                    fmt.read_array_header_2_0
                shape, _, _ = read(fh)
            return (shape[0], int(np.prod(shape[1:]))) if len(shape) >= 1 else None
        if suffix == ".mat":
            from scipy.io import whosmat

            found = {name: shape for name, shape, kind in whosmat(str(path))
                     if kind != "sparse"}
            key = next((k for k in ("X", "fea", "data") if k in found), None)
            return tuple(found[key][:2]) if key and len(found[key]) == 2 else None
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            meta = pq.read_metadata(str(path))
            return meta.num_rows, max(meta.num_columns - 1, 1)
    except Exception:  # noqa: BLE001 - an estimate only; the reader reports real problems
        return None
    return None

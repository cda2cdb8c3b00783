"""``sparsefs convert``: a table written once as a float32 ``.npy`` that is then memory-mapped.

The output is three files, all readable by plain numpy:

- ``OUT.npy``: the features, float32 (n, d), C order (``np.load(OUT, mmap_mode="r")``);
- ``OUT.labels.npy``: the label of each row, (n,), as the source has it (text or numbers);
- ``OUT.columns.json``: ``feature_names`` (or null), ``target`` (the label column's name),
  ``id_column`` (or null), ``source``, ``n_samples``, ``n_features``;
- with an ID column, ``OUT.ids.npy``: each row's name, (n,) str.

CSV/TSV input (``.gz`` too) is parsed block by block and each block is written as it is
parsed, so a file larger than memory converts in the memory of one block; the row count is
only known at the end, when the ``.npy`` header (written first with room to spare) is
rewritten. Other dense formats are read whole and written in row blocks. Everything is
written to temporary files and renamed at the end, so a failed conversion leaves nothing.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..errors import InputError
from .readers import encode_labels, file_suffix, ids_sidecar, read_user_file, sidecars
from .writers import atomic_file, write_json_atomic

_HEADER_BYTES = 256  # room for any (n, d) in a version 1.0 header


def npy_header(n_rows: int, n_cols: int) -> bytes:
    """A .npy version 1.0 header for a float32 C-order (n_rows, n_cols) array, always
    :data:`_HEADER_BYTES` long, so it can be rewritten in place once n_rows is known."""
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n_rows, n_cols)
    size = _HEADER_BYTES - 10
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", size)
            + (text + " " * (size - len(text) - 1) + "\n").encode("latin1"))


class NpySink:
    """Rows written to an open binary file as float32 .npy data, block by block (the sink of
    :func:`sparsefs.data.delimited.scan`); every block is checked for non-finite values."""

    def __init__(self, fh, n_cols: int, src):
        self.fh, self.d, self.src = fh, n_cols, src
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(npy_header(0, n_cols))
        self.buf = None
        self.pending = 0
        self.n = 0

    def take(self, m: int):
        self.commit()
        if self.buf is None or self.buf.shape[0] < m:
            self.buf = np.empty((m, self.d), dtype=np.float32)
        self.pending = m
        self.n += m
        return self.buf[:m]

    def commit(self):
        if self.pending:
            block = self.buf[:self.pending]
            _check_finite(block, self.src)
            self.fh.write(memoryview(block).cast("B"))
            self.pending = 0

    def finish(self):
        self.commit()
        self.fh.seek(0)
        self.fh.write(npy_header(self.n, self.d))


def _check_finite(block, src):
    from .readers import all_finite

    if not all_finite(block):
        what = "NaN" if np.isnan(block).any() else "infinite (or too large for float32)"
        raise InputError(f"X in {src} contains {what} values; remove or impute them "
                         "before loading.")


def convert_to_npy(src, out, target: str | None = None, id_column: str | None = None) -> dict:
    """Write the table of the file ``src`` as ``out`` (.npy) plus its sidecars (see the
    module docstring); returns the facts written to ``OUT.columns.json``."""
    src, out = Path(src), Path(out)
    if not out.name.lower().endswith(".npy"):
        raise InputError(f"The output {out} must end in .npy, the format convert writes.")
    if not src.is_file():
        raise InputError(f"File {src} does not exist; check the path.")
    suffix = file_suffix(src)
    if suffix in (".svm", ".svmlight", ".libsvm", ".svm.gz", ".svmlight.gz", ".libsvm.gz"):
        raise InputError(f"{src} is svmlight, which is read sparse as it is; give it to --data "
                         "directly (a dense .npy of it would mostly hold zeros).")
    if suffix == ".npy":
        raise InputError(f"{src} is a .npy already; give it to --data directly (its labels go "
                         f"in {sidecars(src)[0].name}).")
    labels_path, columns_path = sidecars(out)
    with atomic_file(out, "wb") as fh:
        if suffix in (".csv", ".tsv", ".csv.gz", ".tsv.gz"):
            from .delimited import scan

            sinks = []

            def make_sink(layout):
                sinks[:] = [NpySink(fh, layout.n_features, src)]
                return sinks[0]

            layout, raw, ids = scan(src, "\t" if suffix.startswith(".tsv") else ",", target,
                                    make_sink, id_column)
            if sinks[0].n == 0:
                raise InputError(f"{src} has a header but no data rows; add the samples "
                                 "below it.")
            sinks[0].finish()
            n, d = sinks[0].n, layout.n_features
            y, classes = encode_labels(raw, src)
            names, target_name, id_name = layout.feature_names, layout.target_name, \
                layout.id_name
        else:
            table = read_user_file(src, target, id_column=id_column)
            X = table.X
            if not isinstance(X, np.ndarray):
                raise InputError(f"{src} holds a sparse matrix, which is read sparse as it "
                                 "is; give it to --data directly.")
            n, d = X.shape
            fh.write(npy_header(n, d))
            step = max(1, (16 << 20) // max(1, 4 * d))
            for i in range(0, n, step):
                block = np.ascontiguousarray(X[i:i + step], dtype=np.float32)
                fh.write(memoryview(block).cast("B"))
            y, classes, ids = table.y, table.classes, table.sample_ids
            names, target_name, id_name = table.feature_names, table.target_name, table.id_name
        facts = {"feature_names": names, "target": target_name, "id_column": id_name,
                 "source": str(src), "n_samples": int(n), "n_features": int(d)}
        with atomic_file(labels_path, "wb") as lf:
            np.save(lf, classes[y], allow_pickle=False)
        if ids is not None:
            with atomic_file(ids_sidecar(out), "wb") as idf:
                np.save(idf, ids, allow_pickle=False)
        write_json_atomic(columns_path, facts, indent=None)
    return facts


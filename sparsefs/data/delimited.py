"""CSV/TSV files (plain or gzip'd) to a float32 table, at the speed and size of the table.

Two passes, the second only when the first gives up:

1. **Fast** (:mod:`._fastpass`). The file is read in blocks of bytes (:data:`BLOCK_BYTES`);
   Numba kernels (:mod:`._text_csv`) split each block into rows and fields and parse the
   numbers straight into a preallocated float32 table, in parallel over rows, and note where
   each row's label is. Peak memory is the float32 table plus about two blocks of text;
   nothing is built per cell in Python. The few rows with numbers of unusual form (``nan``,
   ``inf``, a value on a float32 rounding boundary, a quoted field with an escaped quote) are
   parsed by numpy's own string conversion, exactly as before.
2. **Careful** (:mod:`._careful`). Anything else (an empty or non-numeric cell, a ragged row,
   a lone carriage return, a NUL byte, text that is not UTF-8) sends the file to the previous
   reader's algorithm, row by row through :mod:`csv` and still into a float32 table, which
   either names the problem in the same words as before or reads the file.

Both passes give the same table as the previous reader: every row with a non-blank cell, the
header (unless no target is named and the first row is all numbers; :mod:`._layout`), labels
as the target column's text, numbers parsed in float64 and stored as float32. This module
picks the pass and holds the table; :mod:`._stream` reads the bytes.
"""

from __future__ import annotations

import numpy as np

from ._careful import careful
from ._fastpass import Fallback as _Fallback
from ._fastpass import parse_block as _parse_block
from ._fastpass import read_head
from ._layout import Layout, no_rows
from ._stream import Blocks, is_gzip, open_bytes, stream_size
from .budget import check_fits

__all__ = ["BLOCK_BYTES", "HEAD_BYTES", "Layout", "RowArray", "is_gzip", "read_delimited",
           "scan", "stream_size"]

#: Bytes of text parsed per block, by this reader and the svmlight one; the buffer holds two.
BLOCK_BYTES = 8 << 20
#: Bytes read first, for the header row and the estimate of the row count.
HEAD_BYTES = 1 << 20


def _fast(path, delimiter, target, make_sink, id_column):
    """The fast pass: (layout, labels, row names or None), or :class:`_Fallback` for the
    careful pass."""
    with open_bytes(path) as fh:
        layout, rest = read_head(fh, path, delimiter, target, HEAD_BYTES, id_column)
        sink = make_sink(layout)
        parts = [_parse_block(buf, n, layout, delimiter, sink)
                 for buf, n in Blocks(fh, path, rest, BLOCK_BYTES)]
    if sink.n == 0:
        raise no_rows(path)
    labels = np.concatenate([lab for lab, _ in parts])
    ids = None if layout.icol < 0 else np.concatenate([i for _, i in parts])
    return layout, labels, ids


class RowArray:
    """A growing (n, d) float32 table: room for an estimate of the rows is reserved (untouched
    pages cost no memory), grown in place by ``realloc`` if the estimate was short, and cut to
    the rows read at the end, so the table is never copied."""

    def __init__(self, d, capacity):
        self.X = np.empty((max(int(capacity), 1), d), dtype=np.float32)
        self.n = 0

    def take(self, m):
        need = self.n + m
        if need > self.X.shape[0]:
            self.X.resize((max(need, self.X.shape[0] * 3 // 2 + 16), self.X.shape[1]),
                          refcheck=False)
        view = self.X[self.n:need]
        self.n = need
        return view

    def commit(self):
        pass

    def array(self):
        self.X.resize((self.n, self.X.shape[1]), refcheck=False)
        return self.X


def scan(path, delimiter, target, make_sink, id_column=None):
    """Read ``path`` into the sink ``make_sink(layout)`` returns (which has ``take(m)``, a
    writable (m, d) float32 view for the next m rows, ``commit()`` after each block and
    ``n``); returns (layout, labels (n,) str, row names (n,) str or None). The column named
    ``id_column`` holds the rows' names: read as text, stripped, not a feature.
    ``make_sink`` may be called twice, the second time for the careful pass, and must then
    start over."""
    try:
        layout, labels, ids = _fast(path, delimiter, target, make_sink, id_column)
    except _Fallback:
        # outside the handler, so the first pass's table is freed before the second
        layout, labels, ids = careful(path, delimiter, target, make_sink, id_column)
    return layout, labels, None if ids is None else np.char.strip(ids)


def read_delimited(path, delimiter, target=None, budget=None, id_column=None):
    """Read a CSV/TSV table (``.gz`` too): (X float32 (n, d), labels (n,) str, layout, row
    names (n,) str or None); ``id_column`` as in :func:`scan`.

    With ``budget`` (bytes), a table whose float32 size would exceed it is refused before
    its rows are read (:func:`sparsefs.data.budget.check_fits`).
    """
    sinks = []

    def make_sink(layout):
        if not sinks:
            check_fits(path, layout.est_rows, layout.n_features, budget, approximate=True)
        capacity = (layout.est_rows * 5) // 4 + 64 if not sinks else sinks[0].X.shape[0]
        sinks.clear()
        sinks.append(RowArray(layout.n_features, capacity))
        return sinks[0]

    layout, labels, ids = scan(path, delimiter, target, make_sink, id_column)
    return sinks[0].array(), labels, layout, ids

"""The fast pass of the CSV/TSV reader: the header row from the first bytes, then each block
of rows parsed by the Numba kernels (:mod:`._text_csv`) straight into the caller's float32
sink. The few rows with numbers of unusual form are parsed by numpy's own conversion; anything
the kernels cannot read exactly as the previous reader did raises :class:`Fallback`, and the
careful pass (:mod:`._careful`) reads the file or names the problem."""

from __future__ import annotations

import csv
import io

import numpy as np

from ._layout import Layout, empty, id_column_index, read_header, single_column, target_column
from ._stream import line_bounds, read_bytes, row_end, stream_size

_QUOTE = 34
_BOM = b"\xef\xbb\xbf"


class Fallback(Exception):
    """The fast pass met something that only the careful pass reads or names."""


def _csv_fields(line: bytes, delimiter):
    """The fields of one row's bytes as :mod:`csv` reads them ([] for none); Fallback for
    text that is not UTF-8, that csv refuses, or that holds more than one row."""
    try:
        rows = list(csv.reader(io.StringIO(line.decode("utf-8"), newline=""),
                               delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error):
        raise Fallback from None
    if len(rows) > 1:
        raise Fallback
    return rows[0] if rows else []


def _first_row(fh, path, delimiter, head_bytes):
    """Read up to the end of the first row with a non-blank cell: (the bytes read, the row's
    start and end in them, its fields). The file's byte-order mark is dropped."""
    buf = read_bytes(fh, head_bytes, path)
    if buf.startswith(_BOM):
        buf = buf[len(_BOM):]
    pos = 0
    while True:
        end = row_end(buf, pos)
        while end < 0:
            more = read_bytes(fh, max(head_bytes, len(buf)), path)
            if not more:
                end = len(buf)
                break
            buf += more
            end = row_end(buf, pos)
        if pos >= len(buf):
            raise empty(path)
        line = buf[pos:end]
        if b"\0" in line or line.rstrip(b"\r").count(b"\r"):
            raise Fallback  # csv reads these differently from the kernels
        fields = _csv_fields(line, delimiter)
        if any(c.strip() for c in fields):
            return buf, pos, end, fields
        pos = end + 1


def read_head(fh, path, delimiter, target, head_bytes, id_column=None):
    """Read the first ``head_bytes`` (more if row 1 is longer): (Layout, the bytes read past
    the header, the first data row first). The row estimate is the text's size over the
    average length of the rows read."""
    buf, pos, end, fields = _first_row(fh, path, delimiter, head_bytes)
    header, names = read_header(fields, target)
    start, data = (0, pos) if names is None else (1, end + 1)
    tcol = target_column(header, target, path)
    if len(header) < 2:
        raise single_column(path)
    icol = id_column_index(header, names, id_column, tcol, path)
    rest = buf[data:]
    sample = rest.count(b"\n")
    per_row = rest.rfind(b"\n") / sample if sample else end - pos  # else: as long as row 1
    est = int((stream_size(path) - data - len(_BOM)) / max(per_row, 1.0)) + 1
    return Layout(names, tcol, len(header), start, max(est, 1), icol), rest


def _labels(arr, lab_s, lab_e):
    """The labels ``arr[lab_s[r]:lab_e[r]]`` of a block's m rows as a str array (m,)."""
    from . import _text_csv

    width = max(1, int((lab_e - lab_s).max()) if len(lab_s) else 1)
    out = np.empty((len(lab_s), width), dtype=np.uint8)
    _text_csv.gather_labels(arr, lab_s, lab_e, out)
    try:
        return np.char.decode(out.view(f"S{width}").ravel(), "utf-8")
    except UnicodeDecodeError:
        raise Fallback from None


def _python_row(line: bytes, layout, delimiter):
    """One row the kernel left to Python: (float64 values, label, row name or None), by the
    previous reader's conversion; Fallback when the row is not one well-formed row of
    numbers."""
    fields = _csv_fields(line, delimiter)
    if len(fields) != layout.width:
        raise Fallback
    tcol, icol = layout.tcol, layout.icol
    try:
        cells = [f for j, f in enumerate(fields) if j != tcol and j != icol]
        values = np.char.strip(np.array(cells, dtype=str))
        return values.astype(np.float64), fields[tcol], (fields[icol] if icol >= 0 else None)
    except ValueError:
        raise Fallback from None


def _put(texts, r, text):
    """``texts[r] = text``, widening the str array first if ``text`` is longer."""
    if len(text) > texts.dtype.itemsize // 4:
        texts = texts.astype(f"U{len(text)}")
    texts[r] = text
    return texts


def _python_rows(buf, starts, stops, lines, status, X, labels, ids, layout, delimiter):
    """Parse the rows the kernel marked HARD with :func:`_python_row` into ``X`` (m, d),
    ``labels`` (m,) and ``ids`` (m,) or None; row r is line ``lines[r]`` of the block.
    Returns (labels, ids), widened where a text is longer than the kernel's."""
    from ._text import HARD

    for r in np.flatnonzero(status == HARD):
        i = lines[r]
        values, label, name = _python_row(bytes(buf[starts[i]:stops[i]]), layout, delimiter)
        with np.errstate(over="ignore"):  # too large for float32: inf, rejected later
            X[r] = values
        labels = _put(labels, r, label)
        if ids is not None:
            ids = _put(ids, r, name)
    return labels, ids


def parse_block(buf, n, layout, delimiter, sink):
    """Parse the whole rows of ``buf[:n]`` into ``sink``; returns their labels and row names
    (str arrays; names None without an ID column)."""
    from . import _text, _text_csv

    if buf.find(b"\0", 0, n) >= 0:
        raise Fallback
    carriage = buf.count(b"\r", 0, n)
    if carriage and carriage != buf.count(b"\r\n", 0, n):
        raise Fallback  # csv ends a row at a lone carriage return
    arr, starts, ends = line_bounds(buf, n, buf.find(b'"', 0, n) >= 0)
    stops = ends - ((ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13))
    delim = ord(delimiter)
    keep = ~_text_csv.blank_lines(arr, starts, stops, delim)
    m = int(keep.sum())
    if m == 0:
        return np.empty(0, dtype=str), (None if layout.icol < 0 else np.empty(0, dtype=str))
    rows = np.cumsum(keep) - 1
    rows[~keep] = -1
    X = sink.take(m)
    lab_s = np.zeros(m, dtype=np.int64)
    lab_e = np.zeros(m, dtype=np.int64)
    id_s = np.zeros(m if layout.icol >= 0 else 0, dtype=np.int64)
    id_e = np.zeros_like(id_s)
    status = np.zeros(m, dtype=np.uint8)
    _text_csv.parse_rows(arr, starts, stops, rows, X, layout.tcol, layout.icol, delim, _QUOTE,
                         lab_s, lab_e, id_s, id_e, status)
    worst = int(status.max())
    if worst >= _text.EMPTY:
        raise Fallback
    labels = _labels(arr, lab_s, lab_e)
    ids = _labels(arr, id_s, id_e) if layout.icol >= 0 else None
    if worst == _text.HARD:
        labels, ids = _python_rows(buf, starts, stops, np.flatnonzero(keep), status, X, labels,
                                   ids, layout, delimiter)
    sink.commit()
    return labels, ids

"""CSV/TSV files (plain or gzip'd) to a float32 table, at the speed and size of the table.

Two passes, the second only when the first gives up:

1. **Fast.** The file is read in blocks of bytes (:data:`BLOCK_BYTES`); Numba kernels
   (:mod:`._text`) split each block into rows and fields and parse the numbers straight into
   a preallocated float32 table, in parallel over rows, and note where each row's label is.
   Peak memory is the float32 table plus about two blocks of text; nothing is built per cell
   in Python. The few rows with numbers of unusual form (``nan``, ``inf``, a value on a
   float32 rounding boundary, a quoted field with an escaped quote) are parsed by numpy's
   own string conversion, exactly as before.
2. **Careful.** Anything else (an empty or non-numeric cell, a ragged row, a lone carriage
   return, a NUL byte, text that is not UTF-8) sends the file to the previous reader's
   algorithm, row by row through :mod:`csv` and still into a float32 table, which either
   names the problem in the same words as before or reads the file.

Both passes give the same table as the previous reader: every row with a non-blank cell, the
header (unless no target is named and the first row is all numbers), labels as the target
column's text, numbers parsed in float64 and stored as float32.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from itertools import chain
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from .budget import check_fits
from .readers import _is_number

#: Bytes of text parsed per block; the reader's buffer holds two.
BLOCK_BYTES = 8 << 20
#: Bytes read first, for the header row and the estimate of the row count.
HEAD_BYTES = 1 << 20
_QUOTE = 34
_BOM = b"\xef\xbb\xbf"


class _Fallback(Exception):
    """The fast pass met something that only the careful pass reads or names."""


class Layout(NamedTuple):
    """What the header row says: column names (stripped; None without a header row), the
    target column, the row width, whether row 1 is a header (``start``) and an estimate of
    the number of data rows (from the average length of the first rows)."""

    header: list | None
    tcol: int
    width: int
    start: int
    est_rows: int

    @property
    def n_features(self) -> int:
        return self.width - 1

    @property
    def feature_names(self) -> list | None:
        return None if self.header is None else [h for j, h in enumerate(self.header)
                                                 if j != self.tcol]

    @property
    def target_name(self) -> str | None:
        return None if self.header is None else self.header[self.tcol]


def is_gzip(path) -> bool:
    return str(path).lower().endswith(".gz")


def _gzip_error(path, exc):
    return InputError(f"Cannot read {path} as gzip-compressed text ({exc}); check that the "
                      "file is complete, or give the uncompressed file.")


def _read(fh, n, path):
    try:
        return fh.read(n)
    except (OSError, EOFError, zlib.error) as exc:
        if is_gzip(path):
            raise _gzip_error(path, exc) from None
        raise


def stream_size(path) -> int:
    """Bytes of text in ``path``: its size, or for gzip its uncompressed size (the trailer's
    size modulo 2**32, raised by 2**32 steps to about the compressed size at least)."""
    size = os.path.getsize(path)
    if not is_gzip(path) or size < 18:
        return size
    with open(path, "rb") as fh:
        fh.seek(-4, os.SEEK_END)
        est = int.from_bytes(fh.read(4), "little")
    while est + size // 100 + 1024 < size:  # text never compresses to more than it was
        est += 1 << 32
    return est


def _open_bytes(path):
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def _open_text(path):
    if is_gzip(path):
        return gzip.open(path, "rt", newline="", encoding="utf-8-sig")
    return open(path, newline="", encoding="utf-8-sig")


def _text_error(path, exc):
    return InputError(f"Cannot read {path} as a text table ({exc}); save it as UTF-8 CSV "
                      "with a header row.")


def _target_column(header, target, path) -> int:
    width = len(header)
    if target is None:
        return width - 1
    if target in header:
        return header.index(target)
    raise InputError(f"Target column '{target}' is not in {path}; its columns are "
                     f"{', '.join(header[:20])}{' ...' if width > 20 else ''}.")


def _single_column(path):
    return InputError(f"{path} has a single column; it needs feature columns and a label "
                      "column.")


def _no_rows(path):
    return InputError(f"{path} has a header but no data rows; add the samples below it.")


def _empty(path):
    return InputError(f"{path} is empty; it needs a header row and at least one data row.")


# ---- the fast pass ---------------------------------------------------------------------------

def _row_end(buf: bytes, pos: int) -> int:
    """Index of the newline that ends the row starting at ``pos`` (outside quotes), or -1."""
    nl = pos
    while True:
        nl = buf.find(b"\n", nl)
        if nl < 0 or buf.count(b'"', pos, nl) % 2 == 0:
            return nl
        nl += 1


def _last_row_end(buf, n: int) -> int:
    """Index of the last newline of ``buf[:n]`` (which starts at a row) outside quotes, or
    -1."""
    nl = buf.rfind(b"\n", 0, n)
    if buf.find(b'"', 0, n) >= 0:
        while nl >= 0 and buf.count(b'"', 0, nl) % 2:
            nl = buf.rfind(b"\n", 0, nl)
    return nl


def _read_head(fh, path, delimiter, target):
    """Read up to the first data row: (Layout, the bytes read past the header)."""
    buf = _read(fh, HEAD_BYTES, path)
    if buf.startswith(_BOM):
        buf = buf[len(_BOM):]
    pos = 0
    while True:
        end = _row_end(buf, pos)
        while end < 0:
            more = _read(fh, max(HEAD_BYTES, len(buf)), path)
            if not more:
                end = len(buf)
                break
            buf += more
            end = _row_end(buf, pos)
        if pos >= len(buf):
            raise _empty(path)
        line = buf[pos:end]
        if b"\0" in line or line.rstrip(b"\r").count(b"\r"):
            raise _Fallback
        try:
            rows = list(csv.reader(io.StringIO(line.decode("utf-8"), newline=""),
                                   delimiter=delimiter))
        except (UnicodeDecodeError, csv.Error):
            raise _Fallback from None
        if len(rows) > 1:
            raise _Fallback
        fields = rows[0] if rows else []
        if any(c.strip() for c in fields):
            break
        pos = end + 1
    header = [h.strip() for h in fields]
    if target is None and all(_is_number(h) for h in header):
        names, start, data = None, 0, pos
    else:
        names, start, data = header, 1, end + 1
    tcol = _target_column(header, target, path)
    if len(header) < 2:
        raise _single_column(path)
    rest = buf[data:]
    sample = rest.count(b"\n")
    per_row = rest.rfind(b"\n") / sample if sample else end - pos  # else: as long as row 1
    est = int((stream_size(path) - data - len(_BOM)) / max(per_row, 1.0)) + 1
    return Layout(names, tcol, len(header), start, max(est, 1)), rest


class _Blocks:
    """Blocks of whole rows, about :data:`BLOCK_BYTES` each, read into one reused buffer so
    that text costs one block of memory. Iterating yields ``(buf, n)``: the block is
    ``buf[:n]``, valid until the next one is asked for (hold no buffer views past that).
    With ``quotes`` a newline inside a quoted field does not end a row."""

    def __init__(self, fh, path, head: bytes, quotes: bool = True):
        self.fh, self.path, self.quotes = fh, path, quotes
        self.buf = bytearray(max(2 * BLOCK_BYTES, 2 * len(head)))
        self.buf[:len(head)] = head
        self.n = len(head)
        self.eof = False

    def _read(self):
        if self.n == len(self.buf):
            self.buf.extend(bytes(len(self.buf)))
        try:
            with memoryview(self.buf) as view:
                got = self.fh.readinto(view[self.n:])
        except (OSError, EOFError, zlib.error) as exc:
            if is_gzip(self.path):
                raise _gzip_error(self.path, exc) from None
            raise
        if got:
            self.n += got
        else:
            self.eof = True

    def __iter__(self):
        while True:
            while not self.eof and self.n < BLOCK_BYTES:
                self._read()
            if self.eof:
                if self.n:
                    yield self.buf, self.n
                return
            cut = (_last_row_end(self.buf, self.n) if self.quotes
                   else self.buf.rfind(b"\n", 0, self.n))
            if cut < 0:  # one row longer than the buffer: read on
                self._read()
                continue
            yield self.buf, cut + 1
            rest = self.n - cut - 1
            self.buf[:rest] = self.buf[cut + 1:self.n]
            self.n = rest


def _labels(arr, lab_s, lab_e):
    from . import _text

    width = max(1, int((lab_e - lab_s).max()) if len(lab_s) else 1)
    out = np.empty((len(lab_s), width), dtype=np.uint8)
    _text.gather_labels(arr, lab_s, lab_e, out)
    try:
        return np.char.decode(out.view(f"S{width}").ravel(), "utf-8")
    except UnicodeDecodeError:
        raise _Fallback from None


def _python_row(line: bytes, layout, delimiter):
    """One row the kernel left to Python: (float64 values, label), by the previous reader's
    conversion; _Fallback when the row is not one well-formed row of numbers."""
    try:
        rows = list(csv.reader([line.decode("utf-8")], delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error):
        raise _Fallback from None
    if len(rows) != 1 or len(rows[0]) != layout.width:
        raise _Fallback
    fields = rows[0]
    tcol = layout.tcol
    try:
        values = np.char.strip(np.array(fields[:tcol] + fields[tcol + 1:], dtype=str))
        return values.astype(np.float64), fields[tcol]
    except ValueError:
        raise _Fallback from None


def _parse_block(buf, n, layout, delimiter, sink):
    """Parse the whole rows of ``buf[:n]`` into ``sink``; returns their labels (str array)."""
    from . import _text

    if buf.find(b"\0", 0, n) >= 0:
        raise _Fallback
    carriage = buf.count(b"\r", 0, n)
    if carriage and carriage != buf.count(b"\r\n", 0, n):
        raise _Fallback  # csv ends a row at a lone carriage return
    arr = np.frombuffer(buf, dtype=np.uint8, count=n)
    if buf.find(b'"', 0, n) >= 0:
        ends = _text.line_ends_quoted(arr, _QUOTE)
    else:
        ends = np.flatnonzero(arr == 10)
    if arr[n - 1] != 10:
        ends = np.append(ends, n)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    stops = ends - ((ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13))
    delim = ord(delimiter)
    keep = ~_text.blank_lines(arr, starts, stops, delim)
    m = int(keep.sum())
    if m == 0:
        return np.empty(0, dtype=str)
    rows = np.cumsum(keep) - 1
    rows[~keep] = -1
    X = sink.take(m)
    lab_s = np.zeros(m, dtype=np.int64)
    lab_e = np.zeros(m, dtype=np.int64)
    status = np.zeros(m, dtype=np.uint8)
    _text.parse_rows(arr, starts, stops, rows, X, layout.tcol, delim, _QUOTE, lab_s, lab_e,
                     status)
    worst = int(status.max())
    if worst >= _text.EMPTY:
        raise _Fallback
    labels = _labels(arr, lab_s, lab_e)
    if worst == _text.HARD:
        lines = np.flatnonzero(keep)
        for r in np.flatnonzero(status == _text.HARD):
            i = lines[r]
            values, label = _python_row(bytes(buf[starts[i]:stops[i]]), layout, delimiter)
            with np.errstate(over="ignore"):  # too large for float32: inf, rejected later
                X[r] = values
            if len(label) > labels.dtype.itemsize // 4:
                labels = labels.astype(f"U{len(label)}")
            labels[r] = label
    sink.commit()
    return labels


def _fast(path, delimiter, target, make_sink):
    with _open_bytes(path) as fh:
        layout, rest = _read_head(fh, path, delimiter, target)
        sink = make_sink(layout)
        labels = [_parse_block(buf, n, layout, delimiter, sink)
                  for buf, n in _Blocks(fh, path, rest)]
    if sink.n == 0:
        raise _no_rows(path)
    return layout, np.concatenate(labels)


# ---- the careful pass ------------------------------------------------------------------------

def _careful(path, delimiter, target, make_sink):
    """The previous reader's algorithm, row by row: the same table, or the same error."""
    try:
        with _open_text(path) as fh:
            rows = (r for r in csv.reader(fh, delimiter=delimiter) if any(c.strip() for c in r))
            first = next(rows, None)
            if first is None:
                raise _empty(path)
            header = [h.strip() for h in first]
            if target is None and all(_is_number(h) for h in header):
                names, start, pending = None, 0, [first]
            else:
                names, start, pending = header, 1, []
            width = len(header)
            try:
                tcol = _target_column(header, target, path)
                problem = _single_column(path) if width < 2 else None
            except InputError as exc:  # raised after the ragged check, as before
                tcol, problem = width - 1, exc
            est = stream_size(path) // max(1, sum(len(c) + 1 for c in first))  # ~ rows
            layout = Layout(names, tcol, width, start, max(1, int(est)))
            sink = make_sink(layout) if problem is None else None
            feats = [j for j in range(width) if j != tcol]
            labels, bad = [], {}
            for lineno, row in enumerate(chain(pending, rows), start=start + 1):
                if len(row) != width:
                    raise InputError(f"{path} is ragged: row {lineno} has {len(row)} fields "
                                     f"but the first row has {width}; give every row the "
                                     "same number of columns.")
                if problem is not None:
                    labels.append(None)
                    continue
                cells = [row[j] for j in feats]
                values = _careful_values(cells, feats, lineno, bad)
                if values is not None and not bad:
                    with np.errstate(over="ignore"):
                        sink.take(1)[0] = values
                labels.append(row[tcol])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _text_error(path, exc) from None
    except (OSError, EOFError, zlib.error) as exc:
        if is_gzip(path):
            raise _gzip_error(path, exc) from None
        raise
    if not labels:
        raise _no_rows(path)
    if problem is not None:
        raise problem
    if bad:
        j = min(bad)
        row, cell = bad[j]
        label = names[j] if names else f"number {j + 1}"
        if not cell:
            raise InputError(f"Column '{label}' of {path} has an empty cell in row {row}; fill "
                             "in or drop missing values before loading.")
        raise InputError(f"Column '{label}' of {path} is not numeric (row {row} has "
                         f"'{cell}'); encode or drop it, or name it with --target.")
    sink.commit()
    return layout, np.array(labels, dtype=str)


def _careful_values(cells, feats, lineno, bad):
    """float64 values of one row's feature cells, or None after noting, per column, the first
    row whose cell is not a number in ``bad`` (column -> (row, stripped cell))."""
    try:
        return np.char.strip(np.array(cells, dtype=str)).astype(np.float64)
    except ValueError:
        pass
    found = False
    for k, j in enumerate(feats):
        cell = cells[k].strip()
        if not _is_number(cell):
            found = True
            bad.setdefault(j, (lineno, cell))
    if not found:  # numpy refused what Python's float() reads
        return np.array([float(c) for c in cells])
    return None


# ---- sinks: where the rows go ----------------------------------------------------------------

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


def scan(path, delimiter, target, make_sink):
    """Read ``path`` into the sink ``make_sink(layout)`` returns (which has ``take(m)``, a
    writable (m, d) float32 view for the next m rows, ``commit()`` after each block and
    ``n``); returns (layout, labels). ``make_sink`` may be called twice, the second time
    for the careful pass, and must then start over."""
    try:
        return _fast(path, delimiter, target, make_sink)
    except _Fallback:
        pass  # outside the handler, so the first pass's table is freed before the second
    return _careful(path, delimiter, target, make_sink)


def read_delimited(path, delimiter, target=None, budget=None):
    """Read a CSV/TSV table (``.gz`` too): (X float32 (n, d), labels (n,) str, layout).

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

    layout, labels = scan(path, delimiter, target, make_sink)
    return sinks[0].array(), labels, layout

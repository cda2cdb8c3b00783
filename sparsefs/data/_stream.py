"""The bytes of a text file, plain or gzip'd, as the CSV/TSV and svmlight readers take them:
opened, sized, read in blocks of whole rows into one reused buffer, and split into lines.
A gzip stream that breaks while being read is one :class:`~sparsefs.errors.InputError`."""

from __future__ import annotations

import gzip
import os
import zlib
from contextlib import contextmanager

import numpy as np

from ..errors import InputError


def is_gzip(path) -> bool:
    return str(path).lower().endswith(".gz")


def gzip_error(path, exc):
    return InputError(f"Cannot read {path} as gzip-compressed text ({exc}); check that the "
                      "file is complete, or give the uncompressed file.")


@contextmanager
def reading(path):
    """Around reads of ``path``: a gzip file's read error (a truncated or corrupt stream)
    becomes the message that says so; a plain file's is raised as it is."""
    try:
        yield
    except (OSError, EOFError, zlib.error) as exc:
        if is_gzip(path):
            raise gzip_error(path, exc) from None
        raise


def read_bytes(fh, n, path) -> bytes:
    """Up to ``n`` bytes from ``fh`` (b"" at the end)."""
    with reading(path):
        return fh.read(n)


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


def open_bytes(path):
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def open_text(path):
    """``path`` as UTF-8 text (a byte-order mark dropped), newlines untranslated for
    :mod:`csv`."""
    if is_gzip(path):
        return gzip.open(path, "rt", newline="", encoding="utf-8-sig")
    return open(path, newline="", encoding="utf-8-sig")


def row_end(buf: bytes, pos: int) -> int:
    """Index of the newline that ends the row starting at ``pos`` (outside quotes), or -1."""
    nl = pos
    while True:
        nl = buf.find(b"\n", nl)
        if nl < 0 or buf.count(b'"', pos, nl) % 2 == 0:
            return nl
        nl += 1


def last_row_end(buf, n: int) -> int:
    """Index of the last newline of ``buf[:n]`` (which starts at a row) outside quotes, or
    -1."""
    nl = buf.rfind(b"\n", 0, n)
    if buf.find(b'"', 0, n) >= 0:
        while nl >= 0 and buf.count(b'"', 0, nl) % 2:
            nl = buf.rfind(b"\n", 0, nl)
    return nl


class Blocks:
    """Blocks of whole rows, about ``block_bytes`` each, read into one reused buffer so that
    text costs one block of memory (the buffer holds two). Iterating yields ``(buf, n)``: the
    block is ``buf[:n]``, valid until the next one is asked for (hold no buffer views past
    that). ``head`` is text already read. With ``quotes`` a newline inside a quoted field
    does not end a row."""

    def __init__(self, fh, path, head: bytes, block_bytes: int, quotes: bool = True):
        self.fh, self.path, self.quotes = fh, path, quotes
        self.block_bytes = block_bytes
        self.buf = bytearray(max(2 * block_bytes, 2 * len(head)))
        self.buf[:len(head)] = head
        self.n = len(head)
        self.eof = False

    def _read(self):
        if self.n == len(self.buf):
            self.buf.extend(bytes(len(self.buf)))
        with reading(self.path), memoryview(self.buf) as view:
            got = self.fh.readinto(view[self.n:])
        if got:
            self.n += got
        else:
            self.eof = True

    def __iter__(self):
        while True:
            while not self.eof and self.n < self.block_bytes:
                self._read()
            if self.eof:
                if self.n:
                    yield self.buf, self.n
                return
            cut = (last_row_end(self.buf, self.n) if self.quotes
                   else self.buf.rfind(b"\n", 0, self.n))
            if cut < 0:  # one row longer than the buffer: read on
                self._read()
                continue
            yield self.buf, cut + 1
            rest = self.n - cut - 1
            self.buf[:rest] = self.buf[cut + 1:self.n]
            self.n = rest


def line_bounds(buf, n, quoted):
    """The lines of the block ``buf[:n]`` (whole rows; the last may lack its newline):
    (its bytes as a uint8 array (n,), starts (m,), ends (m,)), line i being
    ``arr[starts[i]:ends[i]]`` without its newline. With ``quoted`` a newline inside a quoted
    field does not end a line."""
    arr = np.frombuffer(buf, dtype=np.uint8, count=n)
    if quoted:
        from ._text_csv import line_ends_quoted

        ends = line_ends_quoted(arr, ord('"'))
    else:
        ends = np.flatnonzero(arr == 10)
    if arr[n - 1] != 10:
        ends = np.append(ends, n)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    return arr, starts, ends

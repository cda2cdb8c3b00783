"""Numba kernels of the CSV/TSV reader's fast pass: a block of rows' bytes straight into a
float32 table, in parallel over rows.

The reader (:mod:`.delimited`) finds the block's line ends (:func:`line_ends_quoted`) and
blank lines (:func:`blank_lines`), :func:`parse_rows` splits each row into fields and parses
the numbers with :mod:`._text`'s exact scanner into a preallocated table, noting where each
row's label is, and :func:`gather_labels` copies the labels out. Nothing is built per cell in
Python, so memory is the float32 table plus one block of text.
"""

import numpy as np
from numba import njit, prange

from ._text import EMPTY, HARD, OK, RAGGED, _scan_number, is_space, parse_number


@njit(cache=True)
def line_ends_quoted(buf, quote):
    """Positions (int64, ascending) of the newlines of the bytes ``buf`` (n,) that are
    outside quoted fields: a quote opens or closes a field, and a doubled quote inside one
    toggles twice."""
    newlines = 0
    for i in range(buf.shape[0]):
        if buf[i] == 10:
            newlines += 1
    out = np.empty(newlines, dtype=np.int64)  # room for all: one pass finds those outside
    k = 0
    inside = False
    for i in range(buf.shape[0]):
        c = buf[i]
        if c == quote:
            inside = not inside
        elif c == 10 and not inside:
            out[k] = i
            k += 1
    return out[:k]


@njit(cache=True)
def blank_lines(buf, starts, ends, delim):
    """True for each line ``buf[starts[i]:ends[i]]`` made only of whitespace and delimiters
    (the reader skips those). Sequential: it stops at each line's first other byte, so it
    costs a few bytes a line."""
    n = starts.shape[0]
    out = np.empty(n, dtype=np.bool_)
    for i in range(n):
        blank = True
        for p in range(starts[i], ends[i]):
            c = buf[p]
            if not (c == delim or is_space(c)):
                blank = False
                break
        out[i] = blank
    return out


@njit(inline="always", cache=True)
def _field_end(buf, p, e, delim, quote):
    """(inner start, inner end, next position, code) of the field starting at ``p``: a
    quoted field's inner text excludes its quotes; code HARD for an escaped quote inside it
    or text after its closing quote, which the Python path handles."""
    if p < e and buf[p] == quote:
        q = p + 1
        code = OK
        while True:
            while q < e and buf[q] != quote:
                q += 1
            if q + 1 < e and buf[q + 1] == quote:
                code = HARD
                q += 2
                continue
            break
        if q >= e:  # no closing quote on this line
            return p + 1, e, e, HARD
        nxt = q + 1
        if nxt < e and buf[nxt] != delim:
            code = HARD
            while nxt < e and buf[nxt] != delim:
                nxt += 1
        return p + 1, q, nxt, code
    q = p
    while q < e and buf[q] != delim:
        q += 1
    return p, q, q, OK


@njit(parallel=True, cache=True)
def parse_rows(buf, starts, ends, rows, X, tcol, icol, delim, quote, lab_s, lab_e, id_s, id_e,
               status):
    """Parse line ``i`` (``buf[starts[i]:ends[i]]``) into ``X[rows[i]]`` (skipped when
    ``rows[i] < 0``), every field but the ``tcol``-th and the ``icol``-th (-1: none); their
    inner byte ranges go to ``lab_s/lab_e[rows[i]]`` and ``id_s/id_e[rows[i]]``.
    ``status[rows[i]]`` is the worst code of the row: OK, HARD (parse the row in Python),
    EMPTY (an empty cell) or RAGGED (a wrong number of fields)."""
    d = X.shape[1]
    ncols = d + 1 if icol < 0 else d + 2
    for i in prange(starts.shape[0]):
        r = rows[i]
        if r < 0:
            continue
        p = starts[i]
        e = ends[i]
        col = 0
        j = 0
        st = OK
        while True:
            if col != tcol and col != icol and j < d and (p >= e or buf[p] != quote):
                v, code, nxt = _scan_number(buf, p, e, delim)
                X[r, j] = v
                if code > st:
                    st = code
                j += 1
            else:
                fs, fe, nxt, code = _field_end(buf, p, e, delim, quote)
                if code > st:
                    st = code
                if col == tcol:
                    lab_s[r] = fs
                    lab_e[r] = fe
                elif col == icol:
                    id_s[r] = fs
                    id_e[r] = fe
                else:
                    if j < d:
                        v, code = parse_number(buf, fs, fe)
                        X[r, j] = v
                        if code > st:
                            st = code
                    j += 1
            col += 1
            if nxt >= e:
                break
            p = nxt + 1
            if p == e:  # a delimiter ends the line: one more, empty, field
                if col == tcol:
                    lab_s[r] = e
                    lab_e[r] = e
                elif col == icol:
                    id_s[r] = e
                    id_e[r] = e
                elif st < EMPTY:
                    st = EMPTY
                col += 1
                break
        if col != ncols:
            st = RAGGED
        status[r] = st


@njit(cache=True)
def gather_labels(buf, lab_s, lab_e, out):
    """Copy each row's label bytes ``buf[lab_s[r]:lab_e[r]]`` into ``out[r]`` (uint8 (m, w),
    zero-padded to w bytes)."""
    for r in range(lab_s.shape[0]):
        s = lab_s[r]
        n = lab_e[r] - s
        for k in range(n):
            out[r, k] = buf[s + k]
        for k in range(n, out.shape[1]):
            out[r, k] = 0

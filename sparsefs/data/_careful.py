"""The careful pass of the CSV/TSV reader: the previous reader's algorithm, row by row
through :mod:`csv` and still into a float32 sink. It reads every file the fast pass gives up
on, or names the file's problem (a ragged row, an empty or non-numeric cell, text that is not
UTF-8, ...) in the same words as before."""

from __future__ import annotations

import csv
from itertools import chain

import numpy as np

from ..errors import InputError
from ._layout import (
    Layout,
    empty,
    id_column_index,
    is_number,
    no_rows,
    read_header,
    single_column,
    target_column,
    text_error,
)
from ._stream import open_text, reading, stream_size


def careful(path, delimiter, target, make_sink, id_column=None):
    """Read ``path`` into ``make_sink(layout)`` (see :func:`.delimited.scan`): (layout,
    labels (n,) str, row names (n,) str or None), or the InputError that names the first
    problem."""
    with reading(path):
        try:
            with open_text(path) as fh:
                rows = (r for r in csv.reader(fh, delimiter=delimiter)
                        if any(c.strip() for c in r))
                first = next(rows, None)
                if first is None:
                    raise empty(path)
                layout, problem = _careful_layout(first, target, path, id_column)
                sink = make_sink(layout) if problem is None else None
                pending = [first] if layout.start == 0 else []
                labels, ids, bad = _read_rows(chain(pending, rows), layout, sink, path)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise text_error(path, exc) from None
    if not labels:
        raise no_rows(path)
    if problem is not None:
        raise problem
    if bad:
        raise _bad_cell(path, layout.header, bad)
    sink.commit()
    return layout, np.array(labels, dtype=str), None if ids is None else np.array(ids, dtype=str)


def _careful_layout(first, target, path, id_column=None):
    """(Layout, the InputError to raise once every row has been checked, or None) of the
    first non-blank row ``first``; the row estimate is the text's size over row 1's."""
    header, names = read_header(first, target)
    width = len(header)
    icol = -1
    try:
        tcol = target_column(header, target, path)
        problem = single_column(path) if width < 2 else None
        if problem is None:
            icol = id_column_index(header, names, id_column, tcol, path)
    except InputError as exc:  # raised after the ragged check, as before
        tcol, problem = width - 1, exc
    est = stream_size(path) // max(1, sum(len(c) + 1 for c in first))
    start = 0 if names is None else 1
    return Layout(names, tcol, width, start, max(1, int(est)), icol), problem


def _read_rows(rows, layout, sink, path):
    """Check every row's width and, with a ``sink``, write its values there: (labels, row
    names or None, the first bad cell of each column as in :func:`_careful_values`). Without
    a sink the labels are None, only counted."""
    width, tcol, icol = layout.width, layout.tcol, layout.icol
    feats = [j for j in range(width) if j not in (tcol, icol)]
    labels, ids, bad = [], ([] if icol >= 0 else None), {}
    for lineno, row in enumerate(rows, start=layout.start + 1):
        if len(row) != width:
            raise InputError(f"{path} is ragged: row {lineno} has {len(row)} fields "
                             f"but the first row has {width}; give every row the "
                             "same number of columns.")
        if sink is None:
            labels.append(None)
            continue
        if bad:
            # The message names the leftmost column with a bad cell, so once one is known
            # only the columns left of it can change it: a non-numeric first column of a wide
            # file is named after reading the widths, not after converting every row.
            left = feats.index(min(bad))
            _careful_values([row[j] for j in feats[:left]], feats[:left], lineno, bad)
        else:
            cells = [row[j] for j in feats]
            values = _careful_values(cells, feats, lineno, bad)
            if values is not None and not bad:
                with np.errstate(over="ignore"):
                    sink.take(1)[0] = values
        labels.append(row[tcol])
        if ids is not None:
            ids.append(row[icol])
    return labels, ids, bad


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
        if not is_number(cell):
            found = True
            bad.setdefault(j, (lineno, cell))
    if not found:  # numpy refused what Python's float() reads
        return np.array([float(c) for c in cells])
    return None


def _bad_cell(path, names, bad):
    """The error for the leftmost column with a cell that is not a number."""
    j = min(bad)
    row, cell = bad[j]
    label = names[j] if names else f"number {j + 1}"
    if not cell:
        return InputError(f"Column '{label}' of {path} has an empty cell in row {row}; fill "
                          "in or drop missing values before loading.")
    if not names:
        return InputError(f"Column '{label}' of {path} is not numeric (row {row} has "
                          f"'{cell}'); encode or drop it, or name it with --target.")
    return InputError(f"Column '{label}' of {path} is not numeric (row {row} has "
                      f"'{cell}'); give --id-column {label} if it names the rows, name it "
                      "with --target if it is the label, or encode or drop it.")

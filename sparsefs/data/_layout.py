"""What a delimited file's header row says (the column names, the target column, whether
row 1 is a header at all), and the messages for a file that lacks the rows or columns a table
needs. Both passes of :mod:`.delimited` decide these the same way, with the same words."""

from __future__ import annotations

from typing import NamedTuple

from ..errors import InputError


def is_number(text: str) -> bool:
    """Whether ``text`` parses as a float (a header cell that is a number means no header)."""
    try:
        float(text)
        return True
    except ValueError:
        return False


class Layout(NamedTuple):
    """What the header row says: column names (stripped; None without a header row), the
    target column, the row width, whether row 1 is a header (``start``), an estimate of
    the number of data rows (from the average length of the first rows) and the column of
    the rows' names (``icol``, -1 for none), read as text like the target."""

    header: list | None
    tcol: int
    width: int
    start: int
    est_rows: int
    icol: int = -1

    @property
    def n_features(self) -> int:
        return self.width - 1 - (self.icol >= 0)

    @property
    def feature_names(self) -> list | None:
        return None if self.header is None else [h for j, h in enumerate(self.header)
                                                 if j not in (self.tcol, self.icol)]

    @property
    def target_name(self) -> str | None:
        return None if self.header is None else self.header[self.tcol]

    @property
    def id_name(self) -> str | None:
        return None if self.header is None or self.icol < 0 else self.header[self.icol]


def read_header(fields, target):
    """(stripped cells, column names) of the first non-blank row's ``fields``: the names are
    None when that row is data, which it is when no target is named and every cell is a
    number."""
    header = [h.strip() for h in fields]
    if target is None and all(is_number(h) for h in header):
        return header, None
    return header, header


def target_column(header, target, path) -> int:
    """Index of the target column: the one named ``target``, else the last."""
    width = len(header)
    if target is None:
        return width - 1
    if target in header:
        return header.index(target)
    raise InputError(f"Target column '{target}' is not in {path}; its columns are "
                     f"{', '.join(header[:20])}{' ...' if width > 20 else ''}.")


def id_column_index(header, names, id_column, tcol, path) -> int:
    """Index of the column of the rows' names, ``id_column``, or -1 without one."""
    if id_column is None:
        return -1
    if names is None:
        raise InputError(f"--id-column needs a header row, and the first row of {path} is all "
                         "numbers; add the column names, or drop the option.")
    if id_column not in header:
        raise InputError(f"ID column '{id_column}' is not in {path}; its columns are "
                         f"{', '.join(header[:20])}{' ...' if len(header) > 20 else ''}.")
    icol = header.index(id_column)
    if icol == tcol:
        raise InputError(f"Column '{id_column}' of {path} is the target; give --id-column "
                         "the column of the rows' names and --target the label column.")
    if len(header) < 3:
        raise InputError(f"{path} has no feature columns besides '{header[tcol]}' and "
                         f"'{id_column}'; it needs at least one column of numbers.")
    return icol


def text_error(path, exc):
    return InputError(f"Cannot read {path} as a text table ({exc}); save it as UTF-8 CSV "
                      "with a header row.")


def single_column(path):
    return InputError(f"{path} has a single column; it needs feature columns and a label "
                      "column.")


def no_rows(path):
    return InputError(f"{path} has a header but no data rows; add the samples below it.")


def empty(path):
    return InputError(f"{path} is empty; it needs a header row and at least one data row.")

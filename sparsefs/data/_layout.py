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

"""Numba kernels that read one number out of text: the ASCII bytes of a field to a float64
whose float32 cast is exact, with a code that says whether it is.

The row kernels (:mod:`._text_csv`, :mod:`._text_svm`) inline these into their parse loops,
so a CSV cell and an svmlight value are read by the same code.

Numbers are exact. Each value must equal what the previous reader produced, float64 parsing
(correctly rounded) and then a cast to float32. The kernel computes the decimal's value in
float64 from its first 18 significant digits (the rest change it by less than 1e-17
relative) with at most seven roundings of at most 2**-53 relative each (the integer, and
products with exact powers of ten or the nearest float64 of negative ones), which keeps it
within 2**-25 float32 ulp of the correctly rounded float64; whenever that is too close to
a float32 rounding boundary (the midpoint between two float32 values, a chance of about 2**-21
per number) or the number is outside float32's normal range or has an unusual form
(``nan``, ``inf``, more digits, ...), the field is reported as HARD and the reader parses that
row with numpy's own conversion. A row code above HARD sends the whole file to the careful
second pass, which finds and names the problem.

Numba keys each cached kernel on its own file only: after an edit here, the kernels of
:mod:`._text_csv` and :mod:`._text_svm` keep the old inlined code until their cache files
(``sparsefs/data/__pycache__/_text_*.nb?``) are deleted.
"""

import math

import numpy as np
from numba import njit

from ._rows import permute_rows  # noqa: F401  (sparsefs.data.load imports it from here)

#: Codes of a field or row, worst last: OK (exact), HARD (numpy parses the row), EMPTY (an
#: empty cell) and RAGGED (a wrong number of fields); the last two need the careful pass.
OK, HARD, EMPTY, RAGGED = 0, 1, 2, 3

_POW10 = np.array([10.0 ** k for k in range(23)])  # 1e0 .. 1e22, exact in float64
_INV10 = np.array([float(f"1e-{k}") for k in range(23)])  # nearest float64 of 10**-k
_F32_MIN_NORMAL = 1.1754943508222875e-38
_F32_NEAR_MAX = 3.4e38          # from here to the overflow bound the Python path decides
_F32_OVERFLOW = 3.41e38         # certainly above float32's rounding-to-infinity bound
_MARGIN = 2.0 ** -21            # distance to a float32 midpoint, in float32 ulp, that is safe
_MAX_DIGITS = 18                # significant digits that fit an int64 exactly
_MAX_EXPONENT = 100000          # an exponent is not read further: the number is 0 or inf


@njit(inline="always", cache=True)
def is_space(c):
    """Whether byte ``c`` is ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r)."""
    return c == 32 or (9 <= c <= 13)


@njit(inline="always", cache=True)
def _skip_space(buf, p, e, delim):
    """First position in ``buf[p:e]`` that is not whitespace (``delim`` never counts as
    whitespace, so a tab delimiter ends the run), or ``e``."""
    while p < e and buf[p] != delim and is_space(buf[p]):
        p += 1
    return p


@njit(inline="always", cache=True)
def _scan_digits(buf, p, e, mant, nd, exp10, frac):
    """Append the run of decimal digits at ``buf[p:e]`` to the mantissa ``mant`` (int64, its
    ``nd`` significant digits) that ``10**exp10`` scales to the number: (end of the run,
    mant, nd, exp10, whether there was a digit). Leading zeros are not significant; past
    :data:`_MAX_DIGITS` digits an integer digit only raises ``exp10`` and a fraction
    (``frac``) digit is dropped (at most 1e-17 relative, well inside the margin)."""
    digits = False
    while p < e:
        d = buf[p] - 48
        if d < 0 or d > 9:
            break
        digits = True
        if mant == 0 and d == 0:
            if frac:
                exp10 -= 1
        elif nd < _MAX_DIGITS:
            mant = mant * 10 + d
            nd += 1
            if frac:
                exp10 -= 1
        elif not frac:
            exp10 += 1
        p += 1
    return p, mant, nd, exp10, digits


@njit(inline="always", cache=True)
def scan_decimal(buf, p, e):
    """``[+-]digits[.digits]`` at ``buf[p:e]``: (end, negative, mant, nd, exp10, whether
    there was a digit), the value being ``(-1 if negative) * mant * 10**exp10`` with ``mant``
    an int64 of ``nd`` <= 18 significant digits."""
    neg = False
    if p < e and (buf[p] == 45 or buf[p] == 43):  # '-' or '+'
        neg = buf[p] == 45
        p += 1
    p, mant, nd, exp10, digits = _scan_digits(buf, p, e, 0, 0, 0, False)
    if p < e and buf[p] == 46:  # '.'
        p, mant, nd, exp10, more = _scan_digits(buf, p + 1, e, mant, nd, exp10, True)
        digits = digits or more
    return p, neg, mant, nd, exp10, digits


@njit(inline="always", cache=True)
def _scan_exponent(buf, p, e):
    """The exponent ``[+-]digits`` after an ``e``/``E`` at ``buf[p:e]``: (end, its value,
    whether it has a digit). Its value stops growing at :data:`_MAX_EXPONENT`."""
    neg = False
    if p < e and (buf[p] == 45 or buf[p] == 43):
        neg = buf[p] == 45
        p += 1
    digits = p < e and 48 <= buf[p] <= 57
    ev = 0
    while p < e and 48 <= buf[p] <= 57:
        if ev < _MAX_EXPONENT:
            ev = ev * 10 + (buf[p] - 48)
        p += 1
    return p, -ev if neg else ev, digits


@njit(inline="always", cache=True)
def _scan_number(buf, p, e, delim):
    """Parse the number of the unquoted field starting at ``p`` (ending at the next ``delim``
    or ``e``): (value, code, end of the field). Surrounding whitespace is allowed."""
    p = _skip_space(buf, p, e, delim)
    if p == e or buf[p] == delim:
        return 0.0, EMPTY, p
    p, neg, mant, nd, exp10, digits = scan_decimal(buf, p, e)
    code = OK if digits else HARD
    if digits and p < e and (buf[p] == 101 or buf[p] == 69):  # 'e' or 'E'
        p, ev, ok = _scan_exponent(buf, p + 1, e)
        exp10 += ev
        if not ok:
            code = HARD
    p = _skip_space(buf, p, e, delim)
    if p < e and buf[p] != delim:  # more text: numpy decides what the field is
        code = HARD
        while p < e and buf[p] != delim:
            p += 1
    if code != OK:
        return 0.0, code, p
    v, code = _value(mant, nd, exp10, neg)
    return v, code, p


@njit(inline="always", cache=True)
def _value(mant, nd, exp10, neg):
    """(float64 value, code) of ``(-1 if neg) * mant * 10**exp10`` (see the module docstring:
    OK means its float32 cast equals the correctly rounded float64's, else HARD)."""
    if mant == 0:
        return -0.0 if neg else 0.0, OK
    if exp10 == 0 and mant <= 16777216:  # an integer float32 holds exactly
        return -float(mant) if neg else float(mant), OK
    if exp10 + nd > 60:  # >= 1e59: far beyond float32, which rounds it to infinity
        return -np.inf if neg else np.inf, OK
    if exp10 + nd < -50:  # < 1e-50: float32 rounds it to zero
        return -0.0 if neg else 0.0, OK
    a = float(mant)
    if exp10 >= 0:
        while exp10 > 22:
            a *= 1e22
            exp10 -= 22
        a *= _POW10[exp10]
    else:
        k = -exp10
        while k > 22:
            a *= 1e-22
            k -= 22
        a *= _INV10[k]
    if a < _F32_MIN_NORMAL:
        return 0.0, HARD
    if a >= _F32_NEAR_MAX:
        if a >= _F32_OVERFLOW:
            return -np.inf if neg else np.inf, OK
        return 0.0, HARD
    m2, _ = math.frexp(a)
    scaled = m2 * 16777216.0  # a in units of its float32 ulp: [2**23, 2**24), exact
    frac = scaled - math.floor(scaled)
    if abs(frac - 0.5) < _MARGIN:
        return 0.0, HARD
    return -a if neg else a, OK


@njit(cache=True)
def parse_number(buf, s, e):
    """The number in ``buf[s:e]`` (ASCII bytes, surrounding whitespace allowed): (value, code)
    with code OK (value is exact, see the module docstring), HARD or EMPTY."""
    v, code, p = _scan_number(buf, s, e, -1)
    return v, code

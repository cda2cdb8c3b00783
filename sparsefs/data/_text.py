"""Numba kernels of the delimited-text reader: bytes of CSV/TSV rows straight to float32.

The reader (:func:`sparsefs.data.readers.read_delimited`) hands these kernels blocks of the
file's bytes; they split the rows into fields, parse the numbers into a preallocated float32
table and note where each row's label is, in parallel over rows. Nothing is built per cell in
Python, so memory is the float32 table plus one block of text.

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
"""

import math

import numpy as np
from numba import njit, prange

OK, HARD, EMPTY, RAGGED = 0, 1, 2, 3

_POW10 = np.array([10.0 ** k for k in range(23)])  # 1e0 .. 1e22, exact in float64
_INV10 = np.array([float(f"1e-{k}") for k in range(23)])  # nearest float64 of 10**-k
_F32_MIN_NORMAL = 1.1754943508222875e-38
_F32_NEAR_MAX = 3.4e38          # from here to the overflow bound the Python path decides
_F32_OVERFLOW = 3.41e38         # certainly above float32's rounding-to-infinity bound
_MARGIN = 2.0 ** -21            # distance to a float32 midpoint, in float32 ulp, that is safe
_MAX_DIGITS = 18                # significant digits that fit an int64 exactly


@njit(inline="always")
def _is_space(c):
    return c == 32 or (9 <= c <= 13)


@njit(inline="always")
def _scan_number(buf, p, e, delim):
    """Parse the number of the unquoted field starting at ``p`` (ending at the next ``delim``
    or ``e``): (value, code, end of the field). Surrounding whitespace is allowed."""
    while p < e and buf[p] != delim and _is_space(buf[p]):
        p += 1
    if p == e or buf[p] == delim:
        return 0.0, EMPTY, p
    neg = False
    if buf[p] == 45:  # '-'
        neg = True
        p += 1
    elif buf[p] == 43:  # '+'
        p += 1
    mant = 0
    nd = 0
    exp10 = 0
    digits = False
    while p < e:
        d = buf[p] - 48
        if d < 0 or d > 9:
            break
        digits = True
        if nd < _MAX_DIGITS:
            if mant != 0 or d != 0:
                mant = mant * 10 + d
                nd += 1
        else:  # dropped: at most 1e-17 relative, well inside the margin
            exp10 += 1
        p += 1
    if p < e and buf[p] == 46:  # '.'
        p += 1
        while p < e:
            d = buf[p] - 48
            if d < 0 or d > 9:
                break
            digits = True
            if mant == 0 and d == 0:
                exp10 -= 1
            elif nd < _MAX_DIGITS:
                mant = mant * 10 + d
                nd += 1
                exp10 -= 1
            p += 1
    code = OK
    if not digits:
        code = HARD
    elif p < e and (buf[p] == 101 or buf[p] == 69):  # 'e' or 'E'
        p += 1
        eneg = False
        if p < e and (buf[p] == 45 or buf[p] == 43):
            eneg = buf[p] == 45
            p += 1
        if p == e or not (48 <= buf[p] <= 57):
            code = HARD
        ev = 0
        while p < e and 48 <= buf[p] <= 57:
            if ev < 100000:
                ev = ev * 10 + (buf[p] - 48)
            p += 1
        exp10 += -ev if eneg else ev
    while p < e and buf[p] != delim and _is_space(buf[p]):
        p += 1
    if p < e and buf[p] != delim:
        code = HARD
        while p < e and buf[p] != delim:
            p += 1
    if code != OK:
        return 0.0, code, p
    v, code = _value(mant, nd, exp10, neg)
    return v, code, p


@njit(inline="always")
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


@njit(cache=True)
def line_ends_quoted(buf, quote):
    """Positions of the line-ending newlines of ``buf`` that are outside quoted fields
    (a quote opens or closes a field; a doubled quote inside one toggles twice)."""
    k = 0
    inside = False
    for i in range(buf.shape[0]):
        c = buf[i]
        if c == quote:
            inside = not inside
        elif c == 10 and not inside:
            k += 1
    out = np.empty(k, dtype=np.int64)
    k = 0
    inside = False
    for i in range(buf.shape[0]):
        c = buf[i]
        if c == quote:
            inside = not inside
        elif c == 10 and not inside:
            out[k] = i
            k += 1
    return out


@njit(cache=True)
def blank_lines(buf, starts, ends, delim):
    """True for each line made only of whitespace and delimiters (the reader skips those).
    Sequential: it stops at each line's first other byte, so it costs a few bytes a line."""
    n = starts.shape[0]
    out = np.empty(n, dtype=np.bool_)
    for i in range(n):
        blank = True
        for p in range(starts[i], ends[i]):
            c = buf[p]
            if not (c == delim or _is_space(c)):
                blank = False
                break
        out[i] = blank
    return out


@njit(inline="always")
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
def parse_rows(buf, starts, ends, rows, X, tcol, delim, quote, lab_s, lab_e, status):
    """Parse line ``i`` (``buf[starts[i]:ends[i]]``) into ``X[rows[i]]`` (skipped when
    ``rows[i] < 0``), every field but the ``tcol``-th; that one's inner byte range goes to
    ``lab_s/lab_e[rows[i]]``. ``status[rows[i]]`` is the worst code of the row: OK, HARD
    (parse the row in Python), EMPTY (an empty cell) or RAGGED (a wrong number of fields)."""
    d = X.shape[1]
    ncols = d + 1
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
            if col != tcol and j < d and (p >= e or buf[p] != quote):
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
                elif st < EMPTY:
                    st = EMPTY
                col += 1
                break
        if col != ncols:
            st = RAGGED
        status[r] = st


@njit(cache=True)
def gather_labels(buf, lab_s, lab_e, out):
    """Copy each row's label bytes ``buf[lab_s[r]:lab_e[r]]`` into ``out[r]`` (zero-padded)."""
    for r in range(lab_s.shape[0]):
        s = lab_s[r]
        n = lab_e[r] - s
        for k in range(n):
            out[r, k] = buf[s + k]
        for k in range(n, out.shape[1]):
            out[r, k] = 0


@njit(cache=True)
def permute_rows(X, order):
    """``X[:] = X[order]`` in place, for a permutation ``order`` of the rows, with one row of
    extra memory: each cycle of the permutation is followed with a row buffer."""
    n, d = X.shape
    done = np.zeros(n, dtype=np.bool_)
    tmp = np.empty(d, dtype=X.dtype)
    for start in range(n):
        if done[start]:
            continue
        done[start] = True
        if order[start] == start:
            continue
        tmp[:] = X[start]
        i = start
        while True:
            src = order[i]
            if src == start:
                X[i] = tmp
                break
            X[i] = X[src]
            done[src] = True
            i = src


# ---- svmlight / libsvm: "label index:value index:value ... # comment" -----------------------

FAIL = 4  # an svmlight line the fast reader does not read: scikit-learn's reader decides


@njit(inline="always")
def _svm_content_end(buf, s, e):
    """End of a line's content: its first '#' (a comment follows) or its end."""
    for p in range(s, e):
        if buf[p] == 35:
            return p
    return e


@njit(parallel=True, cache=True)
def svm_count(buf, starts, ends, counts):
    """Feature tokens of each line (-1 for a line without tokens, which is skipped); a
    leading ``qid:...`` token is not counted."""
    for i in prange(starts.shape[0]):
        e = _svm_content_end(buf, starts[i], ends[i])
        p = starts[i]
        tokens = 0
        first_feature = -1
        while True:
            while p < e and _is_space(buf[p]):
                p += 1
            if p >= e:
                break
            if tokens == 1:
                first_feature = p
            tokens += 1
            while p < e and not _is_space(buf[p]):
                p += 1
        if tokens == 0:
            counts[i] = -1
            continue
        n = tokens - 1
        if (n > 0 and first_feature + 2 < e and buf[first_feature] == 113
                and buf[first_feature + 1] == 105 and buf[first_feature + 2] == 100):  # qid
            n -= 1
        counts[i] = n


@njit(inline="always")
def _label_value(buf, p, e):
    """(float64 value, ok, end): a label whose correctly rounded float64 the kernel can give,
    an integer or a decimal of at most 15 digits and |exponent| <= 22 (exact operands, one
    rounding); anything else is left to scikit-learn (ok False)."""
    neg = False
    if p < e and (buf[p] == 45 or buf[p] == 43):
        neg = buf[p] == 45
        p += 1
    mant = 0
    nd = 0
    exp10 = 0
    digits = False
    while p < e and 48 <= buf[p] <= 57:
        digits = True
        mant = mant * 10 + (buf[p] - 48)
        nd += 1
        p += 1
    if p < e and buf[p] == 46:
        p += 1
        while p < e and 48 <= buf[p] <= 57:
            digits = True
            mant = mant * 10 + (buf[p] - 48)
            nd += 1
            exp10 -= 1
            p += 1
    ok = digits and nd <= 15 and (p == e or _is_space(buf[p]))
    if not ok:
        return 0.0, False, p
    a = float(mant)
    if exp10 < 0:
        a /= _POW10[-exp10]
    return -a if neg else a, True, p


@njit(parallel=True, cache=True)
def svm_fill(buf, starts, ends, rows, offsets, labels, indices, data, status):
    """Parse line ``i`` into row ``rows[i]`` (skipped when < 0): its label, and its
    ``index:value`` pairs into ``indices``/``data`` from ``offsets[rows[i]]``. Status FAIL for
    anything the fast path does not read exactly as scikit-learn does (an unusual label or
    value, an index that is not a non-negative integer below 2**31 or not increasing)."""
    for i in prange(starts.shape[0]):
        r = rows[i]
        if r < 0:
            continue
        e = _svm_content_end(buf, starts[i], ends[i])
        p = starts[i]
        while p < e and _is_space(buf[p]):
            p += 1
        lab, ok, p = _label_value(buf, p, e)
        st = OK if ok else FAIL
        labels[r] = lab
        k = offsets[r]
        stop = offsets[r + 1]
        prev = -1
        first = True
        while st == OK:
            while p < e and _is_space(buf[p]):
                p += 1
            if p >= e:
                break
            if first and p + 2 < e and buf[p] == 113 and buf[p + 1] == 105 and buf[p + 2] == 100:
                while p < e and not _is_space(buf[p]):  # qid:...: skipped, as scikit-learn does
                    p += 1
                first = False
                continue
            first = False
            idx = 0
            nd = 0
            while p < e and 48 <= buf[p] <= 57:
                if nd < 10:
                    idx = idx * 10 + (buf[p] - 48)
                nd += 1
                p += 1
            if nd == 0 or nd > 10 or idx >= 2147483648 or idx <= prev or p >= e \
                    or buf[p] != 58 or k >= stop:
                st = FAIL
                break
            p += 1
            q = p
            while q < e and not _is_space(buf[q]):
                q += 1
            v, code = parse_number(buf, p, q)
            if code != OK or p == q:
                st = FAIL
                break
            indices[k] = idx
            data[k] = v
            k += 1
            prev = idx
            p = q
        if st == OK and k != stop:
            st = FAIL
        status[r] = st

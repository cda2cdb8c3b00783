"""Numba kernels of the svmlight/libsvm reader: lines ``label index:value index:value ...
# comment`` straight into CSR arrays, in parallel over lines.

:func:`svm_count` counts each line's ``index:value`` pairs (the reader sizes the arrays from
them), :func:`svm_fill` parses labels, indices and values, the values with :mod:`._text`'s
exact scanner. A line they do not read exactly as scikit-learn's reader does is marked FAIL.
"""

from numba import njit, prange

from ._text import _POW10, OK, _scan_number, is_space, scan_decimal

FAIL = 4  # an svmlight line the fast reader does not read: scikit-learn's reader decides
_MAX_INDEX = 2147483648  # scikit-learn's indices are below 2**31
_LABEL_DIGITS = 15  # a label of at most 15 digits over an exact power of ten rounds once


@njit(inline="always", cache=True)
def _content_end(buf, s, e):
    """End of a line's content: its first '#' (a comment follows) or its end."""
    for p in range(s, e):
        if buf[p] == 35:
            return p
    return e


@njit(inline="always", cache=True)
def _is_qid(buf, p, e):
    """Whether the token at ``p`` is ``qid:...``, which scikit-learn skips."""
    return p + 2 < e and buf[p] == 113 and buf[p + 1] == 105 and buf[p + 2] == 100


@njit(parallel=True, cache=True)
def svm_count(buf, starts, ends, counts):
    """Feature tokens of each line ``buf[starts[i]:ends[i]]`` into ``counts[i]`` (-1 for a
    line without tokens, which is skipped); a leading ``qid:...`` token is not counted."""
    for i in prange(starts.shape[0]):
        e = _content_end(buf, starts[i], ends[i])
        p = starts[i]
        tokens = 0
        first_feature = -1
        while True:
            while p < e and is_space(buf[p]):
                p += 1
            if p >= e:
                break
            if tokens == 1:
                first_feature = p
            tokens += 1
            while p < e and not is_space(buf[p]):
                p += 1
        if tokens == 0:
            counts[i] = -1
            continue
        n = tokens - 1
        if n > 0 and _is_qid(buf, first_feature, e):
            n -= 1
        counts[i] = n


@njit(inline="always", cache=True)
def _label_value(buf, p, e):
    """(float64 value, ok, end): a label whose correctly rounded float64 the kernel can give,
    an integer or a decimal of at most 15 significant digits and at most 22 decimals (exact
    operands, one rounding); anything else is left to scikit-learn (ok False)."""
    p, neg, mant, nd, exp10, digits = scan_decimal(buf, p, e)
    ok = (digits and nd <= _LABEL_DIGITS and exp10 >= -22
          and (p == e or is_space(buf[p])))
    if not ok:
        return 0.0, False, p
    a = float(mant)
    if exp10 < 0:
        a /= _POW10[-exp10]
    return -a if neg else a, True, p


@njit(inline="always", cache=True)
def _index(buf, p, e):
    """The feature index ``digits:`` at ``p``: (index, end past the ':', ok); ok only for a
    non-negative integer below 2**31 followed by ':'."""
    idx = 0
    nd = 0
    while p < e and 48 <= buf[p] <= 57:
        if nd < 10:
            idx = idx * 10 + (buf[p] - 48)
        nd += 1
        p += 1
    ok = 0 < nd <= 10 and idx < _MAX_INDEX and p < e and buf[p] == 58
    return idx, p + 1, ok


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
        e = _content_end(buf, starts[i], ends[i])
        p = starts[i]
        while p < e and is_space(buf[p]):
            p += 1
        lab, ok, p = _label_value(buf, p, e)
        st = OK if ok else FAIL
        labels[r] = lab
        k = offsets[r]
        stop = offsets[r + 1]
        prev = -1
        first = True
        while st == OK:
            while p < e and is_space(buf[p]):
                p += 1
            if p >= e:
                break
            if first and _is_qid(buf, p, e):
                while p < e and not is_space(buf[p]):  # qid:...: skipped, as scikit-learn does
                    p += 1
                first = False
                continue
            first = False
            idx, p, ok = _index(buf, p, e)
            if not ok or idx <= prev or k >= stop:
                st = FAIL
                break
            q = p
            while q < e and not is_space(buf[q]):
                q += 1
            # Inlined, no delimiter (-1): calling parse_number, compiled in another module,
            # costs this loop about 15%.
            v, code, _ = _scan_number(buf, p, q, -1)
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

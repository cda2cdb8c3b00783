"""Writing results safely: atomic files (temp file + rename) and early checks of output paths.

A failed run never leaves a half-written file and never replaces a good one with a broken one.
"""

import csv
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError


def check_writable(path):
    """Fail before any work if ``path`` cannot be written (missing folder, no permission)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"The output {path} is a folder; give a file name such as "
                         f"{path / 'result.json'}.")
    if not folder.is_dir():
        raise InputError(f"The output folder {folder} does not exist; create it or choose "
                         "another --output path.")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"The output {path} cannot be written (permission denied); choose "
                         "another --output path.")


@contextmanager
def atomic_file(path, mode="w"):
    """Open a temp file next to ``path`` for writing (``mode`` "w" or "wb"); when the block
    ends without an exception it is flushed, synced and renamed over ``path``, so readers see
    the old file or the whole new one, never a part; otherwise it is deleted."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the mode of
        # the file it replaces), so outputs stay readable by whoever could read them before.
        os.chmod(tmp, _target_mode(path))
        with os.fdopen(fd, mode, **({} if "b" in mode else {"newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path, text):
    """Write ``text`` (str or bytes) to ``path`` via a temp file in the same folder and rename,
    so readers see the old file or the whole new one, never a part."""
    with atomic_file(path, "wb" if isinstance(text, bytes) else "w") as fh:
        fh.write(text)


def _target_mode(path):
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _plain(obj):
    import numpy as np  # only for values json cannot write; the CLI starts without numpy

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def json_text(obj, indent=1):
    """``obj`` as JSON text (numpy scalars and arrays as plain numbers and lists)."""
    return json.dumps(obj, indent=indent, default=_plain)


def write_json_atomic(path, obj, indent=1):
    """Serialise ``obj`` (NumPy values allowed) as JSON, atomically; indent=None is compact."""
    write_text_atomic(path, json_text(obj, indent) + "\n")



# ---- the selected columns of a table, streamed row block by row block ------------------------

def _row_blocks(X, columns, rows_per_block):
    """(start, the (m, K) block of ``X[start:start + m, columns]``: dense float32 or CSR)."""
    import numpy as np
    import scipy.sparse as sp

    for start in range(0, X.shape[0], rows_per_block):
        part = X[start:start + rows_per_block]
        if sp.issparse(part):
            yield start, part.tocsr()[:, columns]
        else:
            yield start, np.asarray(part)[:, columns].astype(np.float32, copy=False)


def _block_rows(n_columns):
    return max(1, (1 << 20) // max(1, n_columns))


def write_selected_csv(path, X, columns, names, labels, label_name="label", ids=None,
                       id_name="id"):
    """Write ``X[:, columns]`` (dense, memory-mapped or sparse; n rows) as CSV, atomically: a
    header of ``names`` and ``label_name``, then each row's values (float32, shortest text
    that reads back exactly) and its label ``labels[i]``; with ``ids`` (n,), each row's name
    first, under ``id_name``. Rows are streamed in blocks, so the output never exists in
    memory as a whole."""
    import scipy.sparse as sp

    with atomic_file(path, "w") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow([*([id_name] if ids is not None else []), *names, label_name])
        for start, block in _row_blocks(X, columns, _block_rows(len(columns))):
            dense = block.toarray() if sp.issparse(block) else block
            text = dense.astype(str).tolist()
            for r, (row, label) in enumerate(zip(text, labels[start:start + len(text)])):
                row.append(str(label))
                if ids is not None:
                    row.insert(0, str(ids[start + r]))
            out.writerows(text)


def write_selected_svmlight(path, X, columns, labels, comment_lines=()):
    """Write ``X[:, columns]`` as svmlight/libsvm, atomically and streamed: comment lines
    (``# ...``) first, then per row ``label k:value ...`` with the selected columns numbered
    1..K in the order given and only non-zero values stored. ``labels`` must be numbers."""
    import numpy as np
    import scipy.sparse as sp

    with atomic_file(path, "w") as fh:
        for line in comment_lines:
            fh.write(f"# {line}\n")
        for start, block in _row_blocks(X, columns, _block_rows(len(columns))):
            block = sp.csr_matrix(block, dtype=np.float32)
            block.eliminate_zeros()
            block.sort_indices()
            index = (block.indices + 1).astype(str)
            value = block.data.astype(str)
            ptr = block.indptr
            lines = []
            for r in range(block.shape[0]):
                a, b = ptr[r], ptr[r + 1]
                pairs = " ".join(f"{i}:{v}" for i, v in zip(index[a:b], value[a:b]))
                lines.append(f"{labels[start + r]} {pairs}".rstrip() + "\n")
            fh.writelines(lines)

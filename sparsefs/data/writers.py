"""Writing results safely: atomic files (temp file + rename) and early checks of output paths.

A failed run never leaves a half-written file and never replaces a good one with a broken one.
"""

import json
import os
import tempfile
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


def write_text_atomic(path, text):
    """Write ``text`` (str or bytes) to ``path`` via a temp file in the same folder and rename,
    so readers see the old file or the whole new one, never a part."""
    path = Path(path)
    mode = "wb" if isinstance(text, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the mode of
        # the file it replaces), so outputs stay readable by whoever could read them before.
        os.chmod(tmp, _target_mode(path))
        with os.fdopen(fd, mode) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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


def write_json_atomic(path, obj, indent=1):
    """Serialise ``obj`` (NumPy values allowed) as JSON, atomically; indent=None is compact."""
    write_text_atomic(path, json.dumps(obj, indent=indent, default=_plain) + "\n")


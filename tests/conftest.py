"""Fixtures every test module shares: the shared data folder and a clean data environment.

The paper's other data sets live in ``../shared/data`` next to the checkout (or wherever
``$SPARSEFS_TEST_DATA`` points); tests that read them ask the ``shared_data`` fixture for the
files they need and are skipped, with a reason naming the folder, when those are absent.
Small builders (layers, files) are plain functions in ``tests/helpers.py``.
"""

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Test modules import the builders of tests/helpers.py (and tests/golden.py) by name, and the
# benchmark scripts they check as ``bench.<script>`` from the checkout (not installed).
sys.path.insert(0, str(TESTS))
sys.path.insert(1, str(TESTS.parent))

SHARED = Path(os.environ.get("SPARSEFS_TEST_DATA", TESTS.parent.parent / "shared" / "data"))


class SharedData:
    """The shared data folder; :meth:`need` skips the calling test when a file is absent."""

    def __init__(self, root):
        self.root = Path(root)

    def has(self, *names):
        """Whether every one of ``names`` (paths relative to the folder) is there."""
        return all((self.root / name).exists() for name in names)

    def need(self, *names):
        """The folder, or a skip naming it when it lacks one of ``names``
        (default: the folder itself)."""
        for name in names or ("",):
            if not (self.root / name).exists():
                what = f"{name} is not in it" if self.root.is_dir() else "it does not exist"
                pytest.skip(f"needs the shared data folder {self.root} ({what}; point "
                            "SPARSEFS_TEST_DATA at a copy)")
        return self.root


@pytest.fixture(scope="session")
def shared_data():
    """The shared data folder (``../shared/data`` or ``$SPARSEFS_TEST_DATA``)."""
    return SharedData(SHARED)


@pytest.fixture(autouse=True)
def no_user_data_dir(monkeypatch, tmp_path):
    """Keep the developer's own SPARSEFS_DATA and cache folder out of every test."""
    monkeypatch.delenv("SPARSEFS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Reader blocks of a few bytes: every row boundary and buffer refill is exercised."""
    from sparsefs.data import delimited

    monkeypatch.setattr(delimited, "BLOCK_BYTES", 40)
    monkeypatch.setattr(delimited, "HEAD_BYTES", 7)

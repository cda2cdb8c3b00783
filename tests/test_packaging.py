"""The installed package is the whole package: every source folder is a regular package that
setuptools' ``find:`` ships, and the bundled data files are declared."""

import configparser
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_folder_is_found_by_setuptools():
    found = set(find_packages(str(ROOT), include=["sparsefs*"]))
    folders = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "sparsefs").rglob("*.py")
               for p in [p.parent]}
    assert folders <= found, f"not shipped: {sorted(folders - found)}"


def test_bundled_files_are_declared_as_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = cfg["options.package_data"]["sparsefs"].replace(",", " ").split()
    bundled = [p.relative_to(ROOT / "sparsefs") for p in (ROOT / "sparsefs/data/files").iterdir()
               if p.suffix != ".py" and p.is_file()]
    assert bundled and all(any(b.match(pat) for pat in patterns) for b in bundled), bundled

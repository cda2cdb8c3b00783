"""The benchmark's files suite (bench/files_bench.py): its generated inputs, its target rows
and its report section. Structure and data only, never wall-clock."""

import csv
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(ROOT)  # bench/ is not part of the installed package
    import bench.files_bench
    import bench.report
    import bench.targets
    import bench.wide_files
    return bench


def test_generated_genes_csv_has_the_planted_signal(bench, tmp_path):
    spec = dict(bench.wide_files.GENES, n=60, d=300, planted=(3, 100, 250))
    path = bench.wide_files.make_genes_csv(str(tmp_path / "g.csv"), spec)
    with open(path) as f:
        header = next(csv.reader(f))
    assert header[0] == "diagnosis" and header[1:4] == ["g0", "g1", "g2"] and len(header) == 301
    X = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, 301))
    y = np.loadtxt(path, delimiter=",", skiprows=1, usecols=[0], dtype=str)
    assert set(y) <= set(spec["classes"]) and X.min() > 0
    for c, g in enumerate(spec["planted"]):  # raised by 2 in its class
        inside = X[y == spec["classes"][c], g].mean()
        assert inside - X[y != spec["classes"][c], g].mean() > 1.0
    mtime = os.path.getmtime(path)
    assert bench.wide_files.make_genes_csv(path, spec) == path  # reused, not rewritten
    assert os.path.getmtime(path) == mtime


def test_generated_text_svm_is_sparse_and_planted(bench, tmp_path):
    from sklearn.datasets import load_svmlight_file

    spec = dict(bench.wide_files.TEXT, n=40, d=50_000, tokens=500)
    path = bench.wide_files.make_text_svm(str(tmp_path / "t.svm"), spec)
    X, y = load_svmlight_file(path, n_features=spec["d"])
    planted = bench.wide_files.text_planted(spec)[0]
    assert X.shape == (40, 50_000) and set(y) == {0.0, 1.0}
    assert 0 < X.nnz / (40 * 50_000) < 0.02
    pos, neg = X[y == 1][:, planted].getnnz(), X[y == 0][:, planted].getnnz()
    assert pos > 2 * neg


def _results(read_ratio=0.5, growth=1.4, sel=1.3, rss=500, found=10):
    g = {"n": 1000, "d": 20000, "bytes": 120e6, "float32_bytes": 80_000_000}
    return {"files": {
        "genes": g,
        "read": {"sparsefs": {"seconds": read_ratio, "growth": growth * g["float32_bytes"],
                              "runs": [{}] * 3},
                 "pandas": {"seconds": 1.0, "growth": 7 * g["float32_bytes"], "runs": [{}] * 3}},
        "select": {"command": "sparsefs select genes.csv --target diagnosis --k 100 -o top.csv",
                   "seconds": sel * 10, "fit_seconds": 10.0, "peak_rss": rss * MIB,
                   "fit_hwm": rss * MIB, "planted": [1, 2], "planted_in_top": 2,
                   "output_check": {"header_ok": True, "values_ok": True, "labels_ok": True},
                   "runs": [], "fits": []},
        "npy": {},
        "text": {"planted": list(range(10)), "dense_float32_bytes": 8e9,
                 "runs": [{"density": 0.01, "planted_in_top": {"attr": found, "strength": 1},
                           "k": 100, "seconds": 30.0, "peak_rss": 2e9, "param_bytes": 2e8,
                           "command": "sparsefs train --data text.svm", "returncode": 0}]}}}


def _files_rows(bench, results):
    return [r for r in bench.targets.evaluate(results) if r["target"].startswith("Files:")]


def test_files_targets_pass_and_miss(bench):
    rows = _files_rows(bench, _results())
    assert [r["status"] for r in rows] == ["PASS"] * 5
    # 3 x 76.3 MiB + 300 MiB = 528.9 MiB is the select limit
    rows = _files_rows(bench, _results(read_ratio=1.6, growth=2.1, sel=2.5, rss=530, found=9))
    assert [r["status"] for r in rows] == ["MISS"] * 5
    assert rows[0]["measured"] == pytest.approx(1.6) and rows[3]["unit"] == "MiB"


def test_files_targets_not_run_and_report_section(bench):
    assert [r["status"] for r in _files_rows(bench, {})] == ["N/A"] * 4
    results = _results()
    results["files"]["genes"]["path"] = "/x/genes.csv"
    text = bench.files_bench.section(results["files"])
    assert "The reader alone" in text and "Commands as a user runs them" in text


def test_command_peak_is_the_commands_own_not_its_parents(bench, tmp_path):
    """A command started from a large process must not report that process's resident size
    (``ru_maxrss`` carries the parent's pages over fork and exec)."""
    import sys

    import bench.command_peak

    ballast = np.ones(400 * MIB // 8)  # the parent holds 400 MiB while the command runs
    code = "import numpy as np; a = np.ones(60 * 2**20 // 8); a += 1"
    out = bench.command_peak.run_command([sys.executable, "-c", code], str(tmp_path),
                                         dict(os.environ))
    assert ballast[-1] == 1.0 and out["returncode"] == 0
    assert 60 * MIB <= out["peak_rss"] < 250 * MIB
    assert out["launcher_hwm"] < 60 * MIB

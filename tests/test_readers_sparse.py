"""Sparse input from svmlight files stays sparse, and what ``select`` writes."""

import gzip
import json
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from csv_helpers import _cells, _floats, _numeric_csv
from helpers import write_text

from sparsefs.cli import main
from sparsefs.data import delimited
from sparsefs.data.load import load_table
from sparsefs.data.readers import read_user_file
from sparsefs.errors import InputError


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---- sparse input stays sparse ---------------------------------------------------------------

def _svm_file(folder, n=2000, d=100_000, per_row=20, seed=0, name="small.svm"):
    """svmlight rows of ``per_row`` random terms; label 1 rows also hold term 7 (column 6)."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        cols = set(rng.choice(np.arange(8, d), per_row, replace=False).tolist())
        if i % 2:
            cols.add(6)
        lines.append(f"{i % 2} " + " ".join(f"{c + 1}:{rng.integers(1, 5)}"
                                            for c in sorted(cols)))
    return write_text(folder, name, "\n".join(lines) + "\n")


SVM_LINES = ["# a corpus", "1 qid:4 3:1 10:2.5 11:0.30000000000000004", "", "-1 1:7\t2:1e-3 # tail",
             "+1 5:3e38", "0", "2 12:-0.5 13:1e-30  ", "1.5 4:1e-40 7:nan"]


@pytest.mark.parametrize("mode", ["plain", "gzip", "tiny blocks", "crlf"])
def test_svmlight_reads_as_scikit_learn_does(mode, tmp_path, monkeypatch):
    from sklearn.datasets import load_svmlight_file

    from sparsefs.data.svmlight import read_svmlight_fast

    if mode == "tiny blocks":
        monkeypatch.setattr(delimited, "BLOCK_BYTES", 6)
    rows = SVM_LINES[:-1]  # nan and a subnormal are for the fallback below
    text = ("\r\n" if mode == "crlf" else "\n").join(rows) + "\n"
    path = tmp_path / ("t.svm.gz" if mode == "gzip" else "t.svm")
    path.write_bytes(gzip.compress(text.encode()) if mode == "gzip" else text.encode())
    fast = read_svmlight_fast(path)
    assert fast is not None, "the fast path gave up on an ordinary file"
    ref_X, ref_y = load_svmlight_file(str(path), dtype=np.float32)
    assert fast[0].shape == ref_X.shape and fast[0].indices.dtype == ref_X.indices.dtype
    np.testing.assert_array_equal(fast[0].toarray(), ref_X.toarray())
    np.testing.assert_array_equal(fast[1], ref_y)
    t = read_user_file(path)
    assert sp.isspmatrix_csr(t.X) and t.X.dtype == np.float32
    np.testing.assert_array_equal(t.X.toarray(), ref_X.toarray())


def test_svmlight_unusual_lines_go_to_scikit_learn(tmp_path):
    from sparsefs.data.svmlight import read_svmlight_fast

    odd = write_text(tmp_path, "odd.svm", "\n".join(SVM_LINES) + "\n")
    assert read_svmlight_fast(odd) is None
    with pytest.raises(InputError, match="NaN"):
        read_user_file(odd)
    unsorted = write_text(tmp_path, "u.svm", "1 5:1 3:1\n0 1:1\n")
    with pytest.raises(InputError) as err:
        read_user_file(unsorted)
    assert str(err.value) == (f"Cannot read {unsorted} as svmlight/libsvm (Feature indices in "
                              "SVMlight/LibSVM data file should be sorted and unique.); each "
                              "line must be 'label index:value ...' with increasing indices.")


# A CSR X reaches the sparse first layer as its stored values (sparsefs.nn.sparse_batch), so no
# (d, batch) block exists; a dense copy of X would be n x d, 800 MB. The bound, 200 MB, would
# also catch a dense gather of the validation rows (EVAL_BATCH_BYTES per block).

@pytest.mark.slow
def test_svmlight_train_allocates_no_dense_table(tmp_path):
    path = _svm_file(tmp_path)
    n, d = 2000, 100_000
    args = ["train", "--data", str(path), "--epochs", "2", "--hidden", "32,8", "--density",
            "0.05", "--quiet"]
    CliRunner().invoke(main, args)  # warm: JIT cache, imports
    tracemalloc.start()
    try:
        res = CliRunner().invoke(main, args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.exit_code == 0, res.output
    assert peak < n * d * 4 / 4, f"peak {peak / 2**20:.0f} MiB: a dense n x d array was made"


def test_svmlight_select_allocates_no_dense_table(tmp_path):
    from sklearn.datasets import load_svmlight_file

    from sparsefs import SparseFeatureSelector

    path = _svm_file(tmp_path)
    tb = load_table(path)
    assert sp.issparse(tb.X) and tb.X.shape == load_svmlight_file(str(path))[0].shape
    sel = SparseFeatureSelector(5, hidden_layer_sizes=(16,), max_iter=1, density=0.01,
                                random_state=0)
    sel.fit(tb.X[:40], tb.y[:40])
    tracemalloc.start()
    try:
        sel.fit(tb.X, tb.y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    n, d = tb.X.shape
    assert peak < n * d * 4 / 4, f"peak {peak / 2**20:.0f} MiB: a dense n x d array was made"


# ---- what select writes ----------------------------------------------------------------------

def test_select_csv_holds_the_chosen_columns_of_the_input(tmp_path):
    path, X = _numeric_csv(tmp_path, n=200, d=8)
    common = ["--target", "label", "--k", "3", "--hidden", "16", "--epochs", "4", "--quiet",
              "--seed", "2"]
    assert run("select", path, *common, "-o", tmp_path / "r.json").exit_code == 0
    res = run("select", path, *common, "-o", tmp_path / "top.csv")
    assert res.exit_code == 0, res.output
    chosen = json.loads((tmp_path / "r.json").read_text())["selected"]
    out, src = _cells(tmp_path / "top.csv"), _cells(path)
    assert list(out.columns) == [f"x{j}" for j in chosen] + ["label"]
    np.testing.assert_array_equal(_floats(out.iloc[:, :3]),
                                  _floats(src[[f"x{j}" for j in chosen]]))
    np.testing.assert_array_equal(out["label"], src["label"])


def test_select_svm_keeps_sparse_input_sparse_and_exact(tmp_path):
    from sklearn.datasets import load_svmlight_file

    path = _svm_file(tmp_path, n=300, d=5000, per_row=30)
    common = ["--k", "4", "--hidden", "16", "--epochs", "3", "--quiet", "--seed", "1"]
    assert run("select", path, *common, "-o", tmp_path / "r.json").exit_code == 0
    res = run("select", path, *common, "-o", tmp_path / "top.svm")
    assert res.exit_code == 0, res.output
    chosen = json.loads((tmp_path / "r.json").read_text())["selected"]
    X_in, y_in = load_svmlight_file(str(path))
    X_out, y_out = load_svmlight_file(str(tmp_path / "top.svm"), zero_based=False,
                                      n_features=4)
    np.testing.assert_array_equal(y_out, y_in)
    np.testing.assert_array_equal(X_out.toarray(), X_in[:, chosen].toarray())
    comments = [ln for ln in (tmp_path / "top.svm").read_text().splitlines()
                if ln.startswith("#")]
    assert comments[1].split()[1:] == [f"{i}={j}:x{j}" for i, j in enumerate(chosen, 1)]


def test_select_rejects_other_output_suffixes(tmp_path):
    path, _ = _numeric_csv(tmp_path)
    res = run("select", path, "--target", "label", "-o", tmp_path / "top.txt")
    assert res.exit_code == 1 and ".csv, .svm or .json" in res.output

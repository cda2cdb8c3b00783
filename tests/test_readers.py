"""Wide data from files: the delimited-text reader (fast pass and careful pass), gzip, the
errors it keeps, the memory budget, ``convert`` and the memory map, and the files ``select``
writes. References are independent readers of the same file (pandas, numpy.loadtxt,
scikit-learn's svmlight loader), never sparsefs itself."""

import gzip
import json
import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner
from csv_helpers import _cells, _floats, _numeric_csv
from helpers import write_text

from sparsefs.cli import main
from sparsefs.data import delimited, load_dataset
from sparsefs.data.load import load_table
from sparsefs.data.readers import file_suffix, is_mapped, read_user_file
from sparsefs.data.registry import is_file_argument
from sparsefs.errors import InputError


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _careful_only(monkeypatch):
    """Send every delimited file through the careful (second) pass only."""
    def give_up(*args, **kwargs):
        raise delimited._Fallback
    monkeypatch.setattr(delimited, "_fast", give_up)


def _messy_csv(folder, n=60, seed=0):
    """A CSV with what real files have: quoted names, a label column in the middle with
    quotes and spaces, CRLF endings, blank lines, numbers in many forms (17 digits, exponents,
    signs, 20 digits, values near float32's limits that need the exact path). Returns the
    path and (X float64, labels) as written."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)) * np.array([1, 1e-3, 1e5, 1, 1])
    X[::7, 4] = 1e-40 + X[::7, 4] * 1e-45  # float32 subnormals
    labels = rng.choice(["case", "control", "case b"], n)
    forms = [lambda v: repr(float(v)), lambda v: f"{v:.3e}", lambda v: f" {v:+.6f} ",
             lambda v: f"{v:.20f}", lambda v: repr(float(v))]
    lines = ['"gene 1",g2,"diagnosis",g3,"g,4",g5']
    for i in range(n):
        cells = [forms[j](X[i, j]) for j in range(5)]
        label = f'"{labels[i]}"' if i % 2 else f" {labels[i]} "
        lines.append(",".join(cells[:2] + [label] + cells[2:]))
        if i % 17 == 3:
            lines.append("")
    path = write_text(folder, "messy.csv", "\r\n".join(lines) + "\r\n")
    return path, X, labels


def _reference(path, target, sep=","):
    """Features (float32 of the correctly rounded float64) and stripped labels."""
    ref = _cells(path, sep)
    labels = ref.pop(target).str.strip().to_numpy()
    return _floats(ref), labels, list(ref.columns)


def _labels(table):
    return np.asarray(table.classes[table.y]).astype(str)


def test_fast_pass_reads_a_messy_file_like_pandas(tmp_path):
    path, X, labels = _messy_csv(tmp_path)
    t = read_user_file(path, "diagnosis")
    ref_X, ref_labels, ref_names = _reference(path, "diagnosis")
    np.testing.assert_array_equal(t.X, ref_X)
    np.testing.assert_allclose(t.X, X, rtol=1e-3, atol=1e-44)  # as written, 4+ digits
    np.testing.assert_array_equal(_labels(t), ref_labels)
    assert t.feature_names == ref_names == ["gene 1", "g2", "g3", "g,4", "g5"]
    assert t.target_name == "diagnosis" and t.X.dtype == np.float32 and t.X.flags.c_contiguous


def test_careful_pass_gives_the_identical_table(tmp_path, monkeypatch):
    path, _, _ = _messy_csv(tmp_path)
    fast = read_user_file(path, "diagnosis")
    _careful_only(monkeypatch)
    slow = read_user_file(path, "diagnosis")
    np.testing.assert_array_equal(fast.X, slow.X)
    np.testing.assert_array_equal(fast.y, slow.y)
    np.testing.assert_array_equal(fast.classes, slow.classes)
    assert fast.feature_names == slow.feature_names


def test_tiny_blocks_and_a_short_estimate_give_the_same_table(tmp_path, tiny_blocks):
    # Long first rows, short later ones: the row estimate is too small and the table grows.
    rows = ["a,b,y"] + [f"{i}.123456789012,{-i}.5,c{i % 2}" for i in range(5)]
    rows += [f"{i},{i % 3},c{i % 2}" for i in range(5, 400)]
    path = write_text(tmp_path, "grow.csv", "\n".join(rows))  # no final newline
    t = read_user_file(path)
    ref = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1))
    np.testing.assert_array_equal(t.X, ref.astype(np.float32))
    assert t.X.shape == (400, 2) and t.X.flags.owndata
    np.testing.assert_array_equal(_labels(t), [f"c{i % 2}" for i in range(400)])


def test_values_on_float32_rounding_boundaries_are_exact(tmp_path):
    # Decimals at (and a hair off) the midpoints between neighbouring float32 values: the
    # kernel leaves them to numpy's conversion, which rounds float64 then float32.
    from decimal import Decimal, getcontext

    getcontext().prec = 50
    rng = np.random.default_rng(3)
    f = rng.lognormal(0, 6, 300).astype(np.float32)
    g = np.nextafter(f, np.float32(np.inf))
    cells = []
    for a, b in zip(f, g):
        mid = (Decimal(float(a)) + Decimal(float(b))) / 2
        for delta in (0, 1e-12, -1e-12):
            cells.append(format(mid * (1 + Decimal(delta)), ".25e"))
    text = "x,y\n" + "".join(f"{c},{i % 2}\n" for i, c in enumerate(cells))
    t = read_user_file(write_text(tmp_path, "mid.csv", text))
    want = np.array([np.float32(float(c)) for c in cells])
    np.testing.assert_array_equal(t.X[:, 0], want)


def test_train_split_of_a_csv_is_the_papers_and_copies_nothing(tmp_path):
    from sparsefs.data.splits import paper_split

    path, _, _ = _messy_csv(tmp_path, n=90)
    ref_X, ref_labels, _ = _reference(path, "diagnosis")
    ds = load_dataset(path, target="diagnosis")
    train, test = paper_split(90)
    np.testing.assert_array_equal(ds.X_train, ref_X[train])
    np.testing.assert_array_equal(ds.X_test, ref_X[test])
    np.testing.assert_array_equal(ds.classes[ds.y_test].astype(str), ref_labels[test])
    # Two halves of the one table read: the test rows start where the train rows end.
    start = ds.X_train.__array_interface__["data"][0]
    assert ds.X_test.__array_interface__["data"][0] == start + ds.X_train.nbytes
    assert ds.X_train.flags.c_contiguous and ds.X_test.flags.c_contiguous


def test_gzip_csv_and_tsv(tmp_path):
    path, X, _ = _messy_csv(tmp_path)
    gz = tmp_path / "messy.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    plain, packed = read_user_file(path, "diagnosis"), read_user_file(gz, "diagnosis")
    np.testing.assert_array_equal(plain.X, packed.X)
    np.testing.assert_array_equal(plain.y, packed.y)
    tsv = tmp_path / "t.tsv.gz"
    rows = ["a\tb\tlabel"] + [f"{i}\t{i * 0.5}\t{'xy'[i % 2]}" for i in range(30)]
    tsv.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    ds = load_dataset(str(tsv))
    assert ds.name == "t" and ds.n_features == 2 and list(ds.classes) == ["x", "y"]
    np.testing.assert_array_equal(np.sort(np.r_[ds.X_train[:, 0], ds.X_test[:, 0]]),
                                  np.arange(30, dtype=np.float32))


def test_gz_and_npy_are_file_arguments():
    assert is_file_argument("genes.csv.gz") and is_file_argument("x.TSV.GZ")
    assert is_file_argument("big.npy") and is_file_argument("text.svm.gz")
    assert not is_file_argument("madelon")
    assert file_suffix("a.b.CSV.gz") == ".csv.gz" and file_suffix("x.tar.gz") == ".gz"
    with pytest.raises(InputError, match="does not exist"):
        load_dataset("missing.csv.gz")


def test_broken_gzip_is_one_input_error(tmp_path):
    good = gzip.compress(b"a,b,y\n" + b"1,2,0\n3,4,1\n" * 2000)
    (tmp_path / "cut.csv.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match="gzip-compressed.*complete"):
        read_user_file(tmp_path / "cut.csv.gz")


# ---- every message of the previous reader, word for word, from both passes --------------

def _messages(p):
    return {
        "ragged": ("a,b,y\n1,2,0\n1,0\n3,4,1\n",
                   f"{p} is ragged: row 3 has 2 fields but the first row has 3; give every row "
                   "the same number of columns."),
        "ragged after a bad cell": ("a,b,y\n1,x,0\n1,2,0\n3,1\n",
                                    f"{p} is ragged: row 4 has 2 fields but the first row has "
                                    "3; give every row the same number of columns."),
        "empty cell": ("a,b,y\n1,2,0\n3,,1\n",
                       f"Column 'b' of {p} has an empty cell in row 3; fill in or drop missing "
                       "values before loading."),
        "non-numeric": ("a,colour,y\n1,2,0\n2,red,1\n3,4,1\n",
                        f"Column 'colour' of {p} is not numeric (row 3 has 'red'); give "
                        "--id-column colour if it names the rows, name it with --target if it "
                        "is the label, or encode or drop it."),
        "first bad column wins": ("a,b,y\n1,x,0\nz,2,1\n",
                                  f"Column 'a' of {p} is not numeric (row 3 has 'z'); give "
                                  "--id-column a if it names the rows, name it with --target if "
                                  "it is the label, or encode or drop it."),
        "no header, non-numeric": ("1,2,0\n3,q,1\n",
                                   f"Column 'number 2' of {p} is not numeric (row 2 has 'q'); "
                                   "encode or drop it, or name it with --target."),
        "nan": ("a,b,y\n1,nan,0\n3,4,1\n",
                f"X in {p} contains NaN values; remove or impute them before loading."),
        "too large": ("a,b,y\n1,1e39,0\n3,4,1\n",
                      f"X in {p} contains infinite (or too large for float32) values; remove "
                      "or impute them before loading."),
        "one class": ("a,b,y\n1,2,x\n3,4,x\n",
                      f"The labels in {p} have only one class (x); feature selection by "
                      "classification needs at least two classes."),
        "empty label": ("a,b,y\n1,2, \n3,4,x\n5,6,z\n",
                        f"1 label(s) in {p} are empty; fill them in or drop the rows without a "
                        "label."),
        "empty file": ("\n  \n", f"{p} is empty; it needs a header row and at least one data "
                                 "row."),
        "header only": ("a,b,y\n", f"{p} has a header but no data rows; add the samples below "
                                   "it."),
        "single column": ("a\n1\n2\n", f"{p} has a single column; it needs feature columns and "
                                       "a label column."),
    }


@pytest.mark.parametrize("case", list(_messages("P")))
@pytest.mark.parametrize("mode", ["fast", "careful", "tiny blocks", "gzip"])
def test_the_previous_messages_word_for_word(case, mode, tmp_path, monkeypatch):
    if mode == "careful":
        _careful_only(monkeypatch)
    if mode == "tiny blocks":
        monkeypatch.setattr(delimited, "BLOCK_BYTES", 5)
        monkeypatch.setattr(delimited, "HEAD_BYTES", 3)
    path = tmp_path / ("bad.csv.gz" if mode == "gzip" else "bad.csv")
    text, _ = _messages(path)[case]
    raw = text.encode()
    path.write_bytes(gzip.compress(raw) if mode == "gzip" else raw)
    with pytest.raises(InputError) as err:
        load_dataset(path)
    assert str(err.value) == _messages(path)[case][1]


def test_target_errors_and_text_errors(tmp_path):
    p = write_text(tmp_path, "t.csv", "a,b,y\n1,2,0\n3,4,1\n")
    with pytest.raises(InputError) as err:
        load_dataset(p, target="label")
    assert str(err.value) == f"Target column 'label' is not in {p}; its columns are a, b, y."
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("a,b,y\n1,2,caf\xe9\n3,4,x\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"Cannot read .* as a text table .*UTF-8 CSV"):
        load_dataset(bad)


# ---- the memory budget, convert and the memory map -----------------------------------------

def test_a_file_over_the_budget_is_refused_before_reading(tmp_path, monkeypatch):
    path, _ = _numeric_csv(tmp_path)  # 240 x 6 float32: 5,760 bytes
    monkeypatch.setenv("SPARSEFS_MEMORY_BUDGET", "3000")
    read = []
    with monkeypatch.context() as patch, pytest.raises(InputError) as err:
        patch.setattr(delimited, "_parse_block", lambda *a: read.append(1))
        load_dataset(path, target="label")
    msg = str(err.value)
    assert not read, "rows were parsed before the refusal"
    assert "6 features" in msg and "3 kB" in msg and "SPARSEFS_MEMORY_BUDGET" in msg
    assert f"sparsefs convert {path} wide.npy" in msg and "--data wide.npy" in msg
    rows = int(msg.split(" holds about ")[1].split(" rows")[0].replace(",", ""))
    assert 200 <= rows <= 280  # an estimate from the first rows
    res = run("select", path, "--target", "label", "--quiet")
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "sparsefs convert" in res.output
    np.savez(tmp_path / "w.npz", X=np.ones((100, 10)), y=np.arange(100) % 2)
    with pytest.raises(InputError, match="100 rows x 10 features, 4 kB"):
        load_dataset(tmp_path / "w.npz")
    monkeypatch.setenv("SPARSEFS_MEMORY_BUDGET", "1M")
    assert load_dataset(path, target="label").n_features == 6


def test_convert_then_memory_map_round_trip(tmp_path, monkeypatch, tiny_blocks):
    path, X = _numeric_csv(tmp_path)
    monkeypatch.setenv("SPARSEFS_MEMORY_BUDGET", "3000")  # convert streams: no refusal
    out = tmp_path / "wide.npy"
    res = run("convert", path, out, "--target", "label")
    assert res.exit_code == 0, res.output
    ref = _cells(path)
    np.testing.assert_array_equal(np.load(out), _floats(ref.drop(columns="label")))
    np.testing.assert_array_equal(np.load(tmp_path / "wide.labels.npy"), ref["label"])
    meta = json.loads((tmp_path / "wide.columns.json").read_text())
    assert meta["feature_names"] == [f"x{j}" for j in range(6)] and meta["target"] == "label"
    assert (meta["n_samples"], meta["n_features"]) == (240, 6)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "wide.columns.json", "wide.csv", "wide.labels.npy", "wide.npy"]
    tb = load_table(out)
    assert is_mapped(tb.X) and tb.X.shape == (240, 6) and tb.target_name == "label"
    np.testing.assert_array_equal(tb.X, X)
    # select reads the map in place, under the same tiny budget...
    top = tmp_path / "top.csv"
    res = run("select", out, "--k", "2", "--hidden", "16", "--epochs", "5", "--quiet",
              "-o", top)
    assert res.exit_code == 0, res.output
    assert top.read_text().splitlines()[0].endswith(",label")
    # ...and train, which scales a copy in memory, says so and points to select.
    res = run("train", "--data", out, "--epochs", "1", "--hidden", "8", "--quiet")
    assert res.exit_code == 1 and "sparsefs select" in res.output and "scales a copy" in res.output


def test_convert_refuses_sparse_and_bad_names(tmp_path):
    svm = write_text(tmp_path, "s.svm", "0 1:1\n1 2:1\n")
    res = run("convert", svm, tmp_path / "s.npy")
    assert res.exit_code == 1 and "sparse" in res.output
    csv_path, _ = _numeric_csv(tmp_path)
    res = run("convert", csv_path, tmp_path / "out.bin", "--target", "label")
    assert res.exit_code == 1 and "must end in .npy" in res.output
    res = run("convert", write_text(tmp_path, "bad.csv", "a,b,y\n1,,0\n2,3,1\n"),
              tmp_path / "bad.npy")
    assert res.exit_code == 1 and "empty cell in row 2" in res.output
    assert not (tmp_path / "bad.npy").exists() and not list(tmp_path.glob(".bad*"))


def test_npy_needs_its_labels(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((10, 3), np.float32))
    with pytest.raises(InputError, match=r"no labels file .*x\.labels\.npy"):
        load_dataset(tmp_path / "x.npy")


def test_the_selector_reads_a_memory_map_without_copying_it(tmp_path):
    from sparsefs import SparseFeatureSelector

    X = np.random.default_rng(0).standard_normal((4000, 1000)).astype(np.float32)
    np.save(tmp_path / "m.npy", X)
    mm = np.load(tmp_path / "m.npy", mmap_mode="r")
    y = (X[:, 3] > 0).astype(int)
    sel = SparseFeatureSelector(5, hidden_layer_sizes=(16,), max_iter=1, density=0.05,
                                random_state=0)
    sel.fit(X[:50], y[:50])  # compile and warm up outside the measurement
    tracemalloc.start()
    try:
        sel.fit(mm, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 4, f"fit allocated {peak / 2**20:.1f} MiB for a 15 MiB map"

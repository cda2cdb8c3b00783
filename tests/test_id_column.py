"""A column that names the rows (``--id-column``): read as text by both passes of the CSV/TSV
reader, never a feature, written first by ``select -o FILE.csv`` and kept by ``convert``.
References are pandas' reading of the same file, never sparsefs itself."""

import gzip

import numpy as np
import pytest
from click.testing import CliRunner
from csv_helpers import _cells, _floats
from helpers import write_text

from sparsefs.cli import main
from sparsefs.data import delimited, load_dataset
from sparsefs.data.load import load_table
from sparsefs.errors import InputError


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _named_rows_csv(folder, n=50, name="named.csv"):
    """Row names in the second column (quoted ones with a comma, an escaped quote, spaces),
    the label in the fourth; class 'b' iff column g0 > 0."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n, 4))
    ids = [f"s{i}" if i % 3 else f'"sample, {i} ""x"""' for i in range(n)]
    ids[5] = "  padded  "
    lines = ["g0,sample,g1,diagnosis,g2,g3"]
    for i in range(n):
        label = "b" if X[i, 0] > 0 else "a"
        lines.append(",".join([repr(float(X[i, 0])), ids[i], repr(float(X[i, 1])), label,
                               repr(float(X[i, 2])), repr(float(X[i, 3]))]))
    return write_text(folder, name, "\n".join(lines) + "\n")


def _reference(path):
    cells = _cells(path)
    ids = cells.pop("sample").str.strip().to_numpy()
    labels = cells.pop("diagnosis").str.strip().to_numpy()
    return _floats(cells), ids, labels, list(cells.columns)


@pytest.mark.parametrize("mode", ["fast", "careful", "tiny blocks", "gzip"])
def test_both_passes_read_the_row_names_as_text_and_the_rest_as_features(mode, tmp_path,
                                                                         monkeypatch):
    path = _named_rows_csv(tmp_path)
    X_ref, ids_ref, labels_ref, names_ref = _reference(path)
    if mode == "careful":
        monkeypatch.setattr(delimited, "_fast",
                            lambda *a, **k: (_ for _ in ()).throw(delimited._Fallback))
    if mode == "tiny blocks":
        monkeypatch.setattr(delimited, "BLOCK_BYTES", 7)
        monkeypatch.setattr(delimited, "HEAD_BYTES", 5)
    if mode == "gzip":
        gz = tmp_path / "named.csv.gz"
        gz.write_bytes(gzip.compress(path.read_bytes()))
        path = gz
    tb = load_table(path, target="diagnosis", id_column="sample")
    np.testing.assert_array_equal(tb.X, X_ref)
    assert tb.X.dtype == np.float32 and tb.feature_names == names_ref == ["g0", "g1", "g2", "g3"]
    np.testing.assert_array_equal(tb.sample_ids, ids_ref)
    assert tb.sample_ids[3] == 'sample, 3 "x"' and tb.sample_ids[5] == "padded"
    np.testing.assert_array_equal(tb.classes[tb.y], labels_ref)
    assert (tb.target_name, tb.id_name) == ("diagnosis", "sample")
    ds = load_dataset(path, target="diagnosis", id_column="sample")
    assert ds.n_features == 4


def test_select_writes_the_row_names_first_and_convert_keeps_them(tmp_path):
    path = _named_rows_csv(tmp_path, n=120)
    X_ref, ids_ref, labels_ref, names_ref = _reference(path)
    out = tmp_path / "top.csv"
    res = run("select", path, "--id-column", "sample", "--target", "diagnosis", "--k", "2",
              "--epochs", "3", "--hidden", "8", "-q", "-o", out)
    assert res.exit_code == 0, res.output
    written = _cells(out)
    assert list(written.columns)[0] == "sample" and list(written.columns)[-1] == "diagnosis"
    chosen = [names_ref.index(c) for c in written.columns[1:-1]]
    assert len(chosen) == 2
    np.testing.assert_array_equal(written["sample"].to_numpy(), ids_ref)
    np.testing.assert_array_equal(_floats(written.iloc[:, 1:-1]), X_ref[:, chosen])
    np.testing.assert_array_equal(written["diagnosis"].to_numpy(), labels_ref)

    npy = tmp_path / "named.npy"
    res = run("convert", path, npy, "--id-column", "sample", "--target", "diagnosis", "-q")
    assert res.exit_code == 0, res.output
    np.testing.assert_array_equal(np.load(tmp_path / "named.ids.npy"), ids_ref)
    np.testing.assert_array_equal(np.load(npy), X_ref)
    tb = load_table(npy)
    np.testing.assert_array_equal(tb.sample_ids, ids_ref)
    assert tb.id_name == "sample" and tb.feature_names == names_ref


def test_a_name_column_without_the_option_says_how_to_name_it(tmp_path):
    path = _named_rows_csv(tmp_path)
    res = run("train", "--data", path, "--target", "diagnosis", "--epochs", "1", "-q")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "Column 'sample' of" in res.output and "give --id-column sample if it names the " \
        "rows" in res.output


@pytest.mark.parametrize("text, kwargs, message", [
    ("a,b,y\n1,2,0\n3,4,1\n", {"id_column": "name"}, "ID column 'name' is not in"),
    ("a,b,y\n1,2,0\n3,4,1\n", {"id_column": "y", "target": "y"}, "is the target"),
    ("1,2,0\n3,4,1\n", {"id_column": "a"}, "needs a header row"),
    ("id,y\nx,0\nz,1\n", {"id_column": "id"}, "no feature columns besides"),
])
def test_bad_id_columns_are_named(text, kwargs, message, tmp_path):
    path = write_text(tmp_path, "t.csv", text)
    with pytest.raises(InputError, match=message):
        load_dataset(path, **kwargs)


def test_the_option_is_refused_where_columns_have_no_names(tmp_path):
    np.savez(tmp_path / "t.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(InputError, match="applies to CSV/TSV and Parquet"):
        load_dataset(tmp_path / "t.npz", id_column="sample")
    with pytest.raises(InputError, match="applies to user files only"):
        load_table("madelon", id_column="sample")


def test_parquet_row_names(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="Parquet needs the optional pyarrow")
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    ids = [f"p{i}" for i in range(30)]
    pq.write_table(pa.table({"id": ids, "x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2],
                             "y": (X[:, 0] > 0).astype(int)}), tmp_path / "t.parquet")
    tb = load_table(tmp_path / "t.parquet", target="y", id_column="id")
    np.testing.assert_array_equal(tb.X, X)
    assert list(tb.sample_ids) == ids and tb.feature_names == ["x0", "x1", "x2"]

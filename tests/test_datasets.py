"""Tests for sparsefs.data: named sets, splits, file formats, errors."""

import gzip
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from helpers import write_text

from sparsefs.data import DATASETS, get_info, list_datasets, load_dataset, resolve_data_dir
from sparsefs.data.registry import BUNDLED
from sparsefs.data.splits import paper_split
from sparsefs.errors import InputError

MADELON = BUNDLED / "madelon.npz"
PRESENT = ["madelon", "usps", "coil20", "orl", "yale", "basehock", "pcmac", "relathe",
           "prostate_ge", "lymphoma", "arcene", "isolet", "mnist_test10k", "fashion_mnist"]
MISSING = ["mnist", "gisette", "smk_can_187", "cll_sub_111", "carcinom", "har"]
OFFICIAL = {"madelon": (2000, 600), "fashion_mnist": (60000, 10000)}


# ---- the table -------------------------------------------------------------------------------

def test_table_holds_the_papers_settings():
    assert set(DATASETS) == set(PRESENT) | set(MISSING)
    assert sum(i.in_paper for i in DATASETS.values()) == 18
    bs100 = {"mnist", "usps", "gisette", "coil20", "orl", "isolet", "har", "fashion_mnist",
             "mnist_test10k"}
    for name, info in DATASETS.items():
        want = 100 if name in bs100 else 64 if name == "madelon" else 32
        assert info.batch_size == want, name
        assert info.k == (20 if name == "madelon" else 100)
        assert info.scaling == ("minmax" if "mnist" in name else "standard")
    assert DATASETS["usps"].image_shape == (16, 16)
    assert DATASETS["yale"].image_shape == (32, 32) and DATASETS["har"].image_shape is None


def test_checksums_match_datasets_json(shared_data):
    facts = json.loads((shared_data.need("datasets.json") / "datasets.json").read_text())
    for name, fact in facts.items():
        info = DATASETS[name]
        assert info.sha256 == fact["sha256"], name
        assert (info.n_samples, info.n_features, info.n_classes) == (
            fact["n_samples"], fact["n_features"], fact["n_classes"]), name


def test_aliases_are_case_insensitive():
    assert get_info("SMK-CAN-187").name == "smk_can_187"
    assert get_info("Prostate_GE").name == "prostate_ge"
    assert get_info("Fashion-MNIST").name == "fashion_mnist"
    assert get_info("MADELON").name == "madelon"


# ---- named sets that are present -------------------------------------------------------------

@pytest.mark.parametrize("name", PRESENT)
def test_present_named_set_loads(name, shared_data):
    shared = shared_data.need(f"{name}.npz")
    info = DATASETS[name]
    ds = load_dataset(name, data_dir=shared)
    n = info.n_samples
    n_train, n_test = OFFICIAL.get(name, (int(0.8 * n), n - int(0.8 * n)))
    assert ds.X_train.shape == (n_train, info.n_features)
    assert ds.X_test.shape == (n_test, info.n_features)
    assert ds.y_train.shape == (n_train,) and ds.y_test.shape == (n_test,)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.n_classes == info.n_classes == len(np.unique(np.r_[ds.y_train, ds.y_test]))
    assert ds.batch_size == info.batch_size and ds.image_shape == info.image_shape
    assert ds.source == str(shared / f"{name}.npz")


def test_split_sizes_quoted_in_the_brief(shared_data):
    shared = shared_data.need("yale.npz", "isolet.npz", "usps.npz")
    assert load_dataset("yale", shared).X_test.shape[0] == 33
    assert load_dataset("isolet", shared).X_train.shape[0] == 1248
    assert load_dataset("usps", shared).X_test.shape[0] == 1860  # paper ignores the 7291/2007


def test_random_split_is_the_papers_train_test_split(shared_data):
    shared = shared_data.need("yale.npz")
    from sklearn.model_selection import train_test_split

    z = np.load(shared / "yale.npz")
    X_tr, X_te, y_tr, _ = train_test_split(z["X"], z["y"], train_size=0.8, shuffle=True,
                                           random_state=42)
    ds = load_dataset("Yale", shared)
    np.testing.assert_array_equal(ds.X_train, X_tr.astype(np.float32))
    np.testing.assert_array_equal(ds.X_test, X_te.astype(np.float32))
    np.testing.assert_array_equal(ds.y_train, y_tr)


def test_bundled_madelon_without_data_dir():
    ds = load_dataset("madelon")
    assert ds.source == "bundled"
    assert ds.X_train.shape == (2000, 500) and ds.X_test.shape == (600, 500)
    assert list(ds.classes) == [-1, 1] and ds.k == 20 and ds.batch_size == 64
    assert resolve_data_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "sparsefs"


def test_data_dir_copy_of_madelon_takes_precedence(tmp_path):
    shutil.copy(MADELON, tmp_path / "madelon.npz")
    assert load_dataset("madelon", tmp_path).source == str(tmp_path / "madelon.npz")


def test_resolve_data_dir_order(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEFS_DATA", str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_list_datasets_status(tmp_path, shared_data):
    rows = {r["name"]: r for r in list_datasets(tmp_path)}
    assert rows["madelon"]["status"] == "bundled"
    assert rows["gisette"]["status"] == "missing"
    hint = rows["gisette"]["path_or_hint"]
    assert "gisette_" in hint and str(tmp_path) in hint
    rows = {r["name"]: r for r in list_datasets(shared_data.need(*(f"{n}.npz" for n in PRESENT)))}
    assert {n for n, r in rows.items() if r["status"] == "found"} == set(PRESENT)
    assert {n for n, r in rows.items() if r["status"] == "missing"} == set(MISSING)


# ---- loaders for the sets that are missing here, on tiny files in the source's format --------

def test_gisette_nips_text_folder(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "gisette"
    folder.mkdir()
    X = rng.integers(0, 1000, size=(10, 5000))
    y = np.array([1, -1, 1, -1, 1, -1, 1, 1, -1, -1])
    for part, rows in (("train", slice(0, 6)), ("valid", slice(6, 10))):
        (folder / f"gisette_{part}.data").write_text(
            "".join(" ".join(map(str, r)) + " \n" for r in X[rows]))
        # the published valid labels lack a final newline
        (folder / f"gisette_{part}.labels").write_text("\n".join(map(str, y[rows])))
    ds = load_dataset("gisette", tmp_path)
    assert ds.X_train.shape == (6, 5000) and ds.X_test.shape == (4, 5000)
    np.testing.assert_array_equal(ds.X_test, X[6:].astype(np.float32))
    assert list(ds.classes) == [-1, 1]
    np.testing.assert_array_equal(ds.classes[ds.y_train], y[:6])


def test_madelon_from_the_original_gzipped_nips_files(tmp_path, shared_data):
    shared = shared_data.need("madelon_original/madelon_train.data.gz")
    shutil.copytree(shared / "madelon_original", tmp_path / "MADELON")
    ds = load_dataset("madelon", tmp_path)
    ref = load_dataset("madelon")
    np.testing.assert_array_equal(ds.X_train, ref.X_train)
    np.testing.assert_array_equal(ds.X_test, ref.X_test)
    np.testing.assert_array_equal(ds.classes[ds.y_test], ref.classes[ref.y_test])


def test_har_uci_text_folder(tmp_path):
    rng = np.random.default_rng(1)
    root = tmp_path / "UCI HAR Dataset"
    for part, n in (("train", 8), ("test", 4)):
        (root / part).mkdir(parents=True)
        X = rng.uniform(-1, 1, size=(n, 561))
        (root / part / f"X_{part}.txt").write_text(
            "".join(" " + " ".join(f"{v: .7e}" for v in r) + "\n" for r in X))
        (root / part / f"y_{part}.txt").write_text("".join(f"{v}\n" for v in np.arange(n) % 6 + 1))
    (root / "features.txt").write_text("".join(f"{i + 1} f{i}\n" for i in range(561)))
    ds = load_dataset("HAR", tmp_path)
    assert ds.X_train.shape == (8, 561) and ds.X_test.shape == (4, 561)
    assert list(ds.classes) == [1, 2, 3, 4, 5, 6] and ds.feature_names[3] == "f3"
    np.testing.assert_allclose(ds.X_test, X, rtol=1e-6)


@pytest.mark.parametrize("name,file,d,c", [("smk_can_187", "SMK_CAN_187.mat", 19993, 2),
                                           ("cll_sub_111", "CLL-SUB-111.mat", 11340, 3),
                                           ("carcinom", "Carcinom.mat", 9182, 11)])
def test_scikit_feature_mat(tmp_path, name, file, d, c):
    rng = np.random.default_rng(2)
    Y = (np.arange(3 * c) % c + 1).reshape(-1, 1)  # 1-based column vector, as published
    scipy.io.savemat(tmp_path / file, {"X": rng.normal(size=(3 * c, d)), "Y": Y})
    ds = load_dataset(name, tmp_path)
    n = 3 * c
    assert ds.X_train.shape == (int(0.8 * n), d) and ds.X_test.shape[0] == n - int(0.8 * n)
    assert ds.n_classes == c and ds.classes[0] == 1


def _mnist_rows(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 784)), np.arange(n) % 10


def test_mnist_csv(tmp_path):
    X_tr, y_tr = _mnist_rows(12, 3)
    X_te, y_te = _mnist_rows(10, 4)
    np.savetxt(tmp_path / "mnist_train.csv", np.c_[y_tr, X_tr], fmt="%d", delimiter=",")
    header = "label," + ",".join(f"px{i}" for i in range(784))  # the Kaggle copy has a header
    np.savetxt(tmp_path / "mnist_test.csv", np.c_[y_te, X_te], fmt="%d", delimiter=",",
               header=header, comments="")
    ds = load_dataset("mnist", tmp_path)
    assert ds.X_train.shape == (12, 784) and ds.X_test.shape == (10, 784)
    np.testing.assert_array_equal(ds.X_test, X_te)
    np.testing.assert_array_equal(ds.classes[ds.y_train], y_tr)
    assert ds.scaling == "minmax" and ds.image_shape == (28, 28)


def test_mnist_idx_gz(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for part, seed in (("train", 5), ("t10k", 6)):
        X, y = _mnist_rows(10, seed)
        head = np.array([0x803, 10, 28, 28], ">u4").tobytes()
        (folder / f"{part}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(head + X.astype(np.uint8).tobytes()))
        (folder / f"{part}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(np.array([0x801, 10], ">u4").tobytes() + y.astype(np.uint8).tobytes()))
    ds = load_dataset("mnist", tmp_path)
    assert ds.X_train.shape == (10, 784) and ds.X_test.shape == (10, 784)
    np.testing.assert_array_equal(ds.X_test, X)


def test_named_npz_takes_precedence_over_source_files(tmp_path):
    (tmp_path / "gisette").mkdir()
    (tmp_path / "gisette" / "gisette_train.data").write_text("garbage\n")
    X = np.arange(10 * 5000, dtype=np.uint16).reshape(10, 5000) % 7
    np.savez(tmp_path / "gisette.npz", X=X, y=np.arange(10) % 2, classes=np.array([-1, 1]),
             train_idx=np.arange(7), test_idx=np.arange(7, 10))
    ds = load_dataset("gisette", tmp_path)
    assert ds.source.endswith("gisette.npz") and ds.X_test.shape == (3, 5000)


# ---- user files ------------------------------------------------------------------------------

def test_user_npz_official_split_and_default_split(tmp_path):
    X = np.random.default_rng(7).normal(size=(50, 4))
    y = np.arange(50) % 2
    np.savez(tmp_path / "a.npz", X=X, y=y, train_idx=np.arange(40), test_idx=np.arange(40, 50))
    ds = load_dataset(tmp_path / "a.npz")
    np.testing.assert_array_equal(ds.X_test, X[40:].astype(np.float32))
    assert ds.name == "a" and ds.k == 4 and ds.batch_size == 32
    np.savez(tmp_path / "b.npz", X=X, y=y)
    ds = load_dataset(str(tmp_path / "b.npz"))
    assert ds.X_train.shape == (40, 4)
    np.testing.assert_array_equal(ds.X_test, X[paper_split(50)[1]].astype(np.float32))


def test_user_csv_string_labels_and_target(tmp_path):
    lines = ["a,species,b"] + [f"{i},{'cat' if i % 2 else 'dog'},{i * 0.5}" for i in range(20)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    ds = load_dataset(tmp_path / "t.csv", target="species")
    assert ds.feature_names == ["a", "b"] and list(ds.classes) == ["cat", "dog"]
    assert ds.X_train.shape == (16, 2) and ds.y_train.dtype == np.int64
    X_all = np.r_[ds.X_train, ds.X_test]
    labels = ds.classes[np.r_[ds.y_train, ds.y_test]]
    assert all(lab == ("cat" if a % 2 else "dog")
               for a, lab in zip(X_all[:, 0].astype(int), labels))


def test_user_tsv_default_target_is_last_column(tmp_path):
    lines = ["x1\tx2\tlabel"] + [f"{i}\t{-i}\t{i % 3}" for i in range(30)]
    (tmp_path / "t.tsv").write_text("\n".join(lines))
    ds = load_dataset(tmp_path / "t.tsv")
    assert ds.n_features == 2 and ds.n_classes == 3 and list(ds.classes) == [0, 1, 2]


def test_user_mat_fea_gnd_sparse(tmp_path):
    fea = sp.random(40, 30, density=0.2, format="csc", random_state=0)
    scipy.io.savemat(tmp_path / "m.mat", {"fea": fea, "gnd": (np.arange(40) % 4 + 1)[:, None]})
    ds = load_dataset(tmp_path / "m.mat")
    assert ds.is_sparse and sp.isspmatrix_csr(ds.X_train) and ds.X_train.dtype == np.float32
    assert ds.n_classes == 4 and ds.X_train.shape == (32, 30)


def test_user_svmlight_stays_sparse(tmp_path):
    lines = [f"{i % 2} 1:{i}.5 7:{i}" for i in range(1, 21)]
    (tmp_path / "s.svmlight").write_text("\n".join(lines) + "\n")
    ds = load_dataset(tmp_path / "s.svmlight")
    assert ds.is_sparse and sp.isspmatrix_csr(ds.X_test) and ds.X_test.dtype == np.float32
    assert ds.n_features == 7 and ds.X_train.shape[0] == 16


def test_parquet_without_pyarrow_says_what_to_install(tmp_path):
    try:
        import pyarrow  # noqa: F401
        pytest.skip("pyarrow is installed")
    except ImportError:
        pass
    (tmp_path / "p.parquet").write_bytes(b"PAR1")
    with pytest.raises(InputError, match="pyarrow"):
        load_dataset(tmp_path / "p.parquet")


# ---- bad input: one InputError each ----------------------------------------------------------

def _csv(tmp_path, text):
    return write_text(tmp_path, "bad.csv", text)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_dataset(tmp_path / "nope.csv")


def test_unknown_name_lists_known_ones():
    with pytest.raises(InputError, match="Unknown data set 'madelin'") as err:
        load_dataset("madelin")
    assert all(name in str(err.value) for name in DATASETS)


def test_ragged_csv(tmp_path):
    with pytest.raises(InputError, match="ragged: row 3 has 2 fields but the first row has 3"):
        load_dataset(_csv(tmp_path, "a,b,y\n1,2,0\n1,0\n3,4,1\n"))


@pytest.mark.parametrize("value,word", [("nan", "NaN"), ("inf", "infinite"), ("1e39", "infinite")])
def test_non_finite_values(tmp_path, value, word):
    with pytest.raises(InputError, match=word):
        load_dataset(_csv(tmp_path, f"a,b,y\n1,2,0\n{value},3,1\n3,4,1\n"))


def test_only_one_class(tmp_path):
    with pytest.raises(InputError, match="only one class"):
        load_dataset(_csv(tmp_path, "a,b,y\n1,2,x\n2,3,x\n3,4,x\n"))


def test_non_numeric_column_is_named(tmp_path):
    with pytest.raises(InputError, match="Column 'colour' .*row 3 has 'red'"):
        load_dataset(_csv(tmp_path, "a,colour,y\n1,2,0\n2,red,1\n3,4,1\n"))


def test_checksum_mismatch(tmp_path):
    data = bytearray(MADELON.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "madelon.npz").write_bytes(bytes(data))
    with pytest.raises(InputError, match="corrupted.*re-copy"):
        load_dataset("madelon", tmp_path)


def test_named_set_missing_from_folder(tmp_path):
    with pytest.raises(InputError, match=r"'carcinom' is not in .*Carcinom\.mat.*featureselection"):
        load_dataset("carcinom", tmp_path)


def test_named_data_dir_that_does_not_exist(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_dataset("madelon", tmp_path / "typo")


def test_mat_v73_suggests_resaving(tmp_path):
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116, b" ") + b"\0" * 8 + b"\x00\x02IM"
    (tmp_path / "h.mat").write_bytes(header + b"\0" * 512)
    with pytest.raises(InputError, match="v7.3.*-v7"):
        load_dataset(tmp_path / "h.mat")


def test_wrong_feature_count_for_a_named_set(tmp_path):
    scipy.io.savemat(tmp_path / "Carcinom.mat", {"X": np.ones((4, 5)), "Y": [[1], [2], [1], [2]]})
    with pytest.raises(InputError, match="5 features but carcinom has 9182"):
        load_dataset("carcinom", tmp_path)

"""Every option of every command, and every file format, given a bad value: one sentence on
stderr, exit code 1, no traceback, nothing written.

The invalid value of a typed option (a range, a choice, a path) is derived from its type; a
text option needs a row in ``TEXT_CASES``, and the walk fails for an option that has neither,
so a new option cannot skip this check.
"""

import gzip
import json
import os

import click
import numpy as np
import pytest
from click.testing import CliRunner

from sparsefs.cli import main

#: A valid invocation of each command, to which one bad value is added. "{d}" is the test's
#: folder; "{csv}" a small valid CSV in it; "{run}" a valid ``train --output`` JSON.
BASE = {
    "train": ["--epochs", "1", "--hidden", "8", "-q"],
    "select": ["madelon", "--epochs", "1", "--hidden", "8", "-q"],
    "study": ["--out", "{d}/study", "--epochs", "1", "--seeds", "0", "-q"],
    "convert": ["{csv}", "{d}/out.npy", "-q"],
    "report": ["{d}"],
    "datasets": [],
    "plot": ["{run}"],
}

#: Bad values of the options and arguments whose type is plain text: (command, parameter
#: name) -> the arguments that give it a bad value.
TEXT_CASES = {
    ("train", "data"): ["--data", "no_such_set"],
    ("train", "hidden"): ["--hidden", "10,x"],
    ("train", "target"): ["--target", "label"],
    ("train", "id_column"): ["--id-column", "sample"],
    ("select", "data"): None,  # the argument: replaced, see _args
    ("select", "hidden"): ["--hidden", "0"],
    ("select", "target"): ["--target", "label"],
    ("select", "id_column"): ["--id-column", "sample"],
    ("study", "datasets"): ["--datasets", "no_such_set"],
    ("study", "methods"): ["--methods", "set,bogus"],
    ("study", "densities"): ["--densities", "1.5"],
    ("study", "l2s"): ["--l2", "-1"],
    ("study", "seeds"): ["--seeds", "x-y"],
    ("study", "baselines"): ["--baselines", "bogus"],
    ("study", "hidden"): ["--hidden", "-3"],
    ("study", "scheduler"): ["--scheduler", "bogus"],
    ("study", "prune_floor"): ["--prune-floor", "twice"],
    ("convert", "target"): ["--target", "no_such_column"],
    ("convert", "id_column"): ["--id-column", "label"],
}

#: Positional arguments: the invocation with the argument replaced by a bad value.
ARGUMENT_CASES = {
    ("select", "data"): ["{d}/missing.csv", "-q"],
    ("convert", "source"): ["{d}/missing.csv", "{d}/out.npy", "-q"],
    ("convert", "out"): ["{csv}", "{d}/out.txt", "-q"],
    ("report", "out_dir"): ["{d}/no_study"],
    ("plot", "result"): ["{d}/missing.json"],
}


def _bad_typed_value(param, folder):
    """A value the option's type rejects, or None when the type accepts any text."""
    t = param.type
    if isinstance(t, click.Choice):
        return "bogus"
    if isinstance(t, (click.IntRange, click.FloatRange)):
        if t.min is not None:
            return str(t.min - 1)
        return str(t.max + 1)
    if isinstance(t, (click.types.IntParamType, click.types.FloatParamType)):
        return "x"
    if isinstance(t, click.Path):
        if not t.file_okay:  # a folder is wanted: give a file
            path = folder / "a_file"
            path.write_text("x")
            return str(path)
        if not t.dir_okay:  # a file is wanted: give a folder
            return str(folder)
        return str(folder / "no" / "such" / "place")
    if t.name == "K|auto":
        return "0"
    return None


def _walk():
    """(command, parameter) for every option and argument of every command."""
    for name, command in sorted(main.commands.items()):
        for param in command.params:
            if param.name == "help" or getattr(param, "is_flag", False):
                continue
            yield name, param


def _fill(args, folder):
    csv = folder / "ok.csv"
    if not csv.exists():
        csv.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    run = folder / "run.json"
    if not run.exists():
        run.write_text(json.dumps({"dataset": "x", "method": "set", "density": 0.2,
                                   "metric": "attr", "scores": {"attr": [1.0, 2.0]}}))
    return [a.replace("{d}", str(folder)).replace("{csv}", str(csv)).replace("{run}", str(run))
            for a in args]


def _args(command, param, folder):
    if isinstance(param, click.Argument):
        return ARGUMENT_CASES[(command, param.name)]
    value = _bad_typed_value(param, folder)
    if value is not None:
        return [*BASE[command], param.opts[0], value]
    return [*BASE[command], *TEXT_CASES[(command, param.name)]]


def _snapshot(folder):
    """Every path and size under ``folder``, except the cache folder conftest points
    XDG_CACHE_HOME at (matplotlib's font cache is not an output)."""
    return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*")
                  if p.relative_to(folder).parts[0] != "cache")


def _assert_one_sentence(res):
    assert res.exit_code == 1, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert err.startswith("Error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in res.output and res.stdout.strip() == "", res.output


def test_every_parameter_has_a_bad_value_case(tmp_path):
    missing = []
    for command, param in _walk():
        if isinstance(param, click.Argument):
            known = (command, param.name) in ARGUMENT_CASES
        else:
            known = (_bad_typed_value(param, tmp_path) is not None
                     or (command, param.name) in TEXT_CASES)
        if not known:
            missing.append((command, param.name))
    assert not missing, f"add a bad-value case for {missing}"


@pytest.mark.parametrize("command, param", list(_walk()),
                         ids=[f"{c}-{p.name}" for c, p in _walk()])
def test_a_bad_value_is_one_sentence_and_writes_nothing(command, param, tmp_path):
    args = _fill(_args(command, param, tmp_path), tmp_path)
    before = _snapshot(tmp_path)
    res = CliRunner().invoke(main, [command, *args])
    _assert_one_sentence(res)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("body, needle", [
    ("density = 2\n", "density"),
    ("densty = 0.2\n", "densty"),
    ("[train]\nseeds = '0-3'\n", "seeds"),
    ("[trian]\ndensity = 0.2\n", "trian"),
    ("density = \n", "TOML"),
], ids=["bad value", "unknown key", "key of another command", "unknown table", "not toml"])
def test_a_bad_config_file_is_one_sentence(body, needle, tmp_path):
    config = tmp_path / "sparsefs.toml"
    config.write_text(body)
    before = _snapshot(tmp_path)
    res = CliRunner().invoke(main, ["train", "--config", str(config), *BASE["train"]])
    _assert_one_sentence(res)
    assert needle.lower() in res.stderr.lower(), res.stderr
    assert _snapshot(tmp_path) == before


def _valid_files(folder):
    """One small valid file of every format a user may give, by name."""
    from scipy.io import savemat
    from sklearn.datasets import dump_svmlight_file

    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 6)).astype(np.float32)
    y = np.arange(30) % 2
    files = {}
    np.savez(folder / "t.npz", X=X, y=y)
    files["npz"] = folder / "t.npz"
    np.save(folder / "t.npy", X)
    np.save(folder / "t.labels.npy", y)
    files["npy"] = folder / "t.npy"
    text = "a,b,c,d,e,f,label\n" + "".join(
        ",".join(f"{v:.4f}" for v in row) + f",{c}\n" for row, c in zip(X, y))
    (folder / "t.csv").write_text(text)
    files["csv"] = folder / "t.csv"
    (folder / "t.tsv").write_text(text.replace(",", "\t"))
    files["tsv"] = folder / "t.tsv"
    with gzip.open(folder / "t.csv.gz", "wt") as fh:
        fh.write(text)
    files["csv.gz"] = folder / "t.csv.gz"
    dump_svmlight_file(X, y, str(folder / "t.svm"))
    files["svm"] = folder / "t.svm"
    savemat(folder / "t.mat", {"X": X, "Y": y[:, None]})
    files["mat"] = folder / "t.mat"
    return files


def _truncate(path):
    """Cut the file in the middle: for a text table just after a separator, so the last line
    is incomplete whatever the numbers are (a cut inside a number would leave a valid one)."""
    data = path.read_bytes()
    cut = len(data) // 2
    if path.suffix in (".csv", ".tsv", ".svm"):
        while data[cut - 1:cut] not in (b":", b",", b"\t"):
            cut += 1
    path.write_bytes(data[:cut])


def _corrupt(path):
    """Overwrite a stretch in the middle with bytes no reader accepts."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 16] = b"\xff\x00#@!\xfe" * 2 + b"\x00\x00\xff\xff"
    path.write_bytes(bytes(data))


FORMATS = ["npz", "npy", "csv", "tsv", "csv.gz", "svm", "mat"]


def test_the_valid_files_are_read(tmp_path):
    from sparsefs.data import load_dataset

    for fmt, path in _valid_files(tmp_path).items():
        ds = load_dataset(str(path))
        assert ds.n_features == 6 and ds.X_train.shape[0] + ds.X_test.shape[0] == 30, fmt


@pytest.mark.parametrize("damage", [_truncate, _corrupt], ids=["truncated", "corrupted"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_damaged_file_is_one_sentence(fmt, damage, tmp_path):
    path = _valid_files(tmp_path)[fmt]
    damage(path)
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(main, ["train", "--data", str(path), *BASE["train"],
                                    "-o", str(out / "r.json")])
    _assert_one_sentence(res)
    assert os.listdir(out) == []

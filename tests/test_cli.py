"""The command line: the madelon job end to end, outputs, and every bad-input row."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sparsefs.cli import main

FAST = ["--epochs", "3", "--hidden", "64,16", "--quiet"]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("SPARSEFS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_train_madelon_writes_the_json(tmp_path):
    out = tmp_path / "run.json"
    res = run("train", "--data", "madelon", "--density", "0.2", *FAST, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "SVC accuracy" in res.output and "training FLOPs" in res.output
    r = json.loads(out.read_text())
    for key in ("dataset", "method", "density", "metric", "k", "seed", "n_samples", "n_features",
                "ranking", "rankings", "accuracy", "best_epoch", "epochs_run", "flops", "memory",
                "seconds"):
        assert key in r
    assert r["dataset"] == "madelon" and r["n_samples"] == 2600 and r["n_features"] == 500
    assert r["k"] == 20 and sorted(r["ranking"]) == list(range(500))
    assert set(r["accuracy"]) == {"attr", "strength"}
    assert all(0.0 <= a <= 1.0 for a in r["accuracy"].values())
    assert 1 <= r["best_epoch"] <= r["epochs_run"] <= 3
    assert 0 < r["flops"]["train"] < r["flops"]["train_dense"]
    assert 0 < r["memory"]["param_bytes"] < r["memory"]["param_bytes_dense"]
    assert r["memory"]["peak_rss_bytes"] > 0 and r["seconds"]["total"] >= r["seconds"]["train"]


def test_same_seed_same_ranking(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert run("train", *FAST, "--method", "rigl", "--seed", "4", "-o", str(path)).exit_code == 0
    assert json.loads(a.read_text())["rankings"] == json.loads(b.read_text())["rankings"]


def test_select_writes_csv_of_chosen_columns(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((240, 6))
    lines = ["a,b,c,d,e,f,label"] + [",".join(f"{v:.5f}" for v in row) + f",{'pos' if row[2] > 0 else 'neg'}"
                                     for row in X]
    src = tmp_path / "data.csv"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "top.csv"
    res = run("select", str(src), "--k", "2", "--hidden", "16", "--epochs", "5", "--quiet",
              "-o", str(out))
    assert res.exit_code == 0, res.output
    header = out.read_text().splitlines()[0].split(",")
    assert len(header) == 3 and header[-1] == "label"
    assert len(out.read_text().splitlines()) == 241


def test_datasets_lists_every_named_set():
    res = run("datasets")
    assert res.exit_code == 0
    for name in ("madelon", "gisette", "smk_can_187", "isolet"):
        assert name in res.output
    assert "bundled" in res.output and "missing" in res.output


def test_version_and_usage_error_codes():
    assert run("--version").exit_code == 0
    assert run("train", "--method", "bogus").exit_code == 2


def _csv(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _bad_inputs(tmp_path):
    ok = "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n"
    corrupt = tmp_path / "dd"
    corrupt.mkdir()
    good = (REPO / "sparsefs" / "data" / "madelon.npz").read_bytes()
    (corrupt / "madelon.npz").write_bytes(good[:-10] + b"0123456789")
    locked = tmp_path / "locked"
    locked.mkdir()
    return {
        "missing file": (["--data", str(tmp_path / "nope.csv")], "not"),
        "unknown name": (["--data", "madelonn"], "madelon"),
        "ragged csv": (["--data", _csv(tmp_path, "a,b,y\n1,2,0\n3,1\n")], ""),
        "nan": (["--data", _csv(tmp_path, "a,b,y\n1,nan,0\n3,4,1\n", "nan.csv")], "NaN"),
        "inf": (["--data", _csv(tmp_path, "a,b,y\n1,inf,0\n3,4,1\n", "inf.csv")], "inf"),
        "one class": (["--data", _csv(tmp_path, "a,b,y\n1,2,0\n3,4,0\n", "one.csv")], "class"),
        "non-numeric": (["--data", _csv(tmp_path, "a,b,y\n1,x,0\n3,4,1\n", "str.csv")], "b"),
        "density": (["--density", "1.5"], "density"),
        "density zero": (["--density", "0"], "density"),
        "k too large": (["--data", _csv(tmp_path, ok, "ok.csv"), "--k", "3"], "features"),
        "checksum": (["--data", "madelon", "--data-dir", str(corrupt)], "checksum"),
        "output dir missing": (["-o", str(tmp_path / "no" / "r.json")], "does not exist"),
        "output is a folder": (["-o", str(locked)], "folder"),
    }


BAD_CASES = ["missing file", "unknown name", "ragged csv", "nan", "inf", "one class",
             "non-numeric", "density", "density zero", "k too large", "checksum",
             "output dir missing", "output is a folder"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_1_with_one_sentence(case, tmp_path):
    args, needle = _bad_inputs(tmp_path)[case]
    res = CliRunner().invoke(main, ["train", *args, *FAST])
    assert res.exit_code == 1, (case, res.output)
    msg = res.output.strip()
    assert "Traceback" not in msg and len(msg.splitlines()) == 1, msg
    assert needle.lower() in msg.lower(), msg


def test_failed_run_keeps_the_previous_output(tmp_path):
    out = tmp_path / "r.json"
    out.write_text('{"good": true}\n')
    res = run("train", "--density", "7", *FAST, "-o", str(out))
    assert res.exit_code == 1
    assert json.loads(out.read_text()) == {"good": True}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_output_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    res = run("train", *FAST, "-o", str(ro / "r.json"))
    assert res.exit_code == 1 and "cannot be written" in res.output


def test_console_entry_point_and_shim_agree():
    res = subprocess.run([sys.executable, str(REPO / "cli.py"), "--version"],
                         capture_output=True, text=True, check=True)
    assert "sparsefs" in res.stdout


def test_plot_draws_a_png_from_a_train_result(tmp_path):
    pytest.importorskip("matplotlib", reason="plot needs the optional extra sparsefs[plot]")
    out = tmp_path / "run.json"
    assert run("train", *FAST, "-o", str(out)).exit_code == 0
    png = tmp_path / "run.png"
    res = run("plot", str(out), "--top", "10", "-o", str(png))
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = run("plot", str(bad))
    assert res.exit_code == 1 and "not a result" in res.output

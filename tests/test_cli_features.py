"""The command-line features users of feature selectors expect: regression targets, --json,
--config, repeats with stability, K chosen on validation rows, importance history, shell
completion."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from sparsefs.cli import main

SMALL = ["--epochs", "25", "--hidden", "64,16", "-q"]


def invoke(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, (res.output, res.exception)
    return res


@pytest.fixture
def friedman_csv(tmp_path):
    """Friedman #1: y depends on columns 0-4 only; 25 noise columns; a 'price' header."""
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=400, n_features=30, noise=0.1, random_state=0)
    path = tmp_path / "friedman.csv"
    header = ",".join([f"g{j}" for j in range(30)] + ["price"])
    np.savetxt(path, np.c_[X, y], delimiter=",", header=header, comments="", fmt="%.6f")
    return path


def test_train_on_a_regression_target_reports_r2(friedman_csv):
    res = invoke("train", "--data", friedman_csv, "--target", "price", "--task", "regression",
                 "--k", "5", *SMALL, "--json")
    rec = json.loads(res.stdout)
    assert rec["learning_task"] == "regression" and "accuracy" not in rec
    assert "n_classes" not in rec
    assert len(set(rec["rankings"]["attr"][:5]) & {0, 1, 2, 3, 4}) >= 3, rec["rankings"]
    # The chosen five beat five noise columns for the same SVR.
    from sparsefs.data import load_dataset
    from sparsefs.data.scaling import fit_scale
    from sparsefs.experiments.evaluate import svr_r2

    ds = load_dataset(str(friedman_csv), target="price")
    Xtr, Xte = fit_scale(ds.X_train, ds.X_test, ds.scaling)
    ytr, yte = ds.classes[ds.y_train], ds.classes[ds.y_test]
    noise = svr_r2(Xtr, ytr, Xte, yte, np.arange(25, 30))
    assert rec["r2"]["attr"] > noise + 0.2, (rec["r2"], noise)


def test_auto_task_reads_non_integer_labels_as_regression(friedman_csv):
    res = invoke("train", "--data", friedman_csv, "--target", "price", "--k", "5", *SMALL)
    assert "SVR R^2" in res.stdout and "regression target" in res.stdout


def test_json_goes_to_stdout_and_equals_the_written_record(tmp_path):
    out = tmp_path / "r.json"
    res = invoke("train", "--epochs", "2", "--hidden", "32,8", "-q", "--json", "-o", out)
    assert json.loads(res.stdout) == json.loads(out.read_text())
    assert "SVC accuracy" not in res.stdout and "SVC accuracy" not in res.stderr


def test_config_sets_defaults_and_the_command_line_wins(tmp_path):
    config = tmp_path / "sparsefs.toml"
    config.write_text("epochs = 2\nhidden = [32, 8]\n[train]\ndensity = 0.05\nseed = 3\n")
    rec = json.loads(invoke("train", "--config", config, "-q", "--json").stdout)
    assert (rec["density"], rec["seed"], rec["hidden"], rec["epochs_run"]) == (0.05, 3, [32, 8],
                                                                             2)
    rec = json.loads(invoke("train", "--config", config, "--density", "0.1", "-q",
                            "--json").stdout)
    assert rec["density"] == 0.1 and rec["seed"] == 3


def test_select_repeats_report_frequency_and_stability(tmp_path):
    out = tmp_path / "sel.json"
    res = invoke("select", "madelon", "--k", "10", "--repeats", "3", "--jobs", "2",
                 "--epochs", "3", "--hidden", "32,8", "-o", out)
    rec = json.loads(out.read_text())
    freq = np.asarray(rec["selection_frequency"])
    # Each repeat selects exactly K features, so the frequencies add up to K.
    assert np.isclose(freq.sum(), 10) and set(np.round(freq * 3, 6)) <= {0, 1, 2, 3}
    st = rec["stability"]
    assert st["n_repeats"] == 3 and -1 <= st["lower"] <= st["estimate"] <= st["upper"]
    assert "stability over 3 repeats" in res.stdout


def test_select_k_auto_keeps_the_smallest_k_within_the_tolerance(tmp_path):
    out = tmp_path / "auto.json"
    invoke("select", "madelon", "--k", "auto", "--k-tol", "0.02", "--epochs", "3",
           "--hidden", "32,8", "-q", "-o", out)
    rec = json.loads(out.read_text())
    curve = {int(k): v for k, v in rec["k_scores"].items()}
    best = max(curve.values())
    assert rec["k"] == min(k for k, v in curve.items() if v >= best - 0.02)
    assert len(rec["selected"]) == rec["k"]


def test_importance_history_sums_to_the_all_epochs_score(tmp_path):
    out = tmp_path / "h.json"
    invoke("train", "--history", "--epochs", "4", "--hidden", "32,8", "--importance",
           "all_epochs", "-q", "-o", out)
    rec = json.loads(out.read_text())
    hist = np.asarray(rec["importance_history"]["strength"])
    assert hist.shape == (rec["epochs_run"], rec["n_features"])
    # The window of every epoch run: the history rows must add up to it.
    np.testing.assert_allclose(hist.sum(axis=0), rec["scores"]["strength"], rtol=1e-4)
    pytest.importorskip("matplotlib", reason="plot needs matplotlib (the test extra)")
    invoke("plot", out, "--history", "-o", tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_history_above_the_limit_is_refused_before_training(monkeypatch, tmp_path):
    import sparsefs._config as C

    monkeypatch.setattr(C, "IMPORTANCE_HISTORY_LIMIT", 1000)
    res = CliRunner().invoke(main, ["train", "--history", "--epochs", "4", "-q"])
    assert res.exit_code == 1 and "above the limit" in res.stderr


def test_shell_completion_script_is_generated():
    env = {**os.environ, "_SPARSEFS_COMPLETE": "bash_source"}
    code = "from sparsefs.cli import main; main(prog_name='sparsefs')"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "_SPARSEFS_COMPLETE" in out.stdout, out.stderr


def test_classification_of_a_continuous_target_is_refused(friedman_csv, tmp_path):
    res = CliRunner().invoke(main, ["train", "--data", str(friedman_csv), "--target", "price",
                                    "--task", "classification", *SMALL, "-o",
                                    str(tmp_path / "r.json")])
    assert res.exit_code == 1 and "continuous target" in res.stderr
    assert not (tmp_path / "r.json").exists()


def test_select_on_a_regression_target(friedman_csv, tmp_path):
    out = tmp_path / "sel.json"
    invoke("select", friedman_csv, "--target", "price", "--k", "5", *SMALL, "-o", out)
    rec = json.loads(out.read_text())
    assert rec["learning_task"] == "regression" and "n_classes" not in rec
    assert len(set(rec["selected"]) & {0, 1, 2, 3, 4}) >= 3, rec["selected"]


def test_a_very_large_first_layer_is_announced_before_training(monkeypatch):
    import sparsefs.cli.progress as progress

    # madelon's 500 inputs x 32 hidden units x density 0.2 = 3,200 weights, above this limit
    monkeypatch.setattr(progress, "LARGE_FIRST_LAYER", 1000)
    args = ["train", "--epochs", "1", "--hidden", "32,8"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0 and "the first layer will hold 3,200 weights" in res.stderr
    assert "Note:" not in CliRunner().invoke(main, [*args, "-q"]).stderr

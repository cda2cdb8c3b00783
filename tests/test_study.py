"""Tests for sparsefs.experiments: grids on Dask, resuming a killed study, model selection,
the classical baselines and the paper's published table."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sparsefs.errors import InputError
from sparsefs.experiments.baselines import BASELINES, rank_baseline
from sparsefs.experiments.grid import parse_seeds, plan_study, run_key
from sparsefs.experiments.paper import load_paper_results
from sparsefs.experiments.report import summarize, write_report
from sparsefs.experiments.study import StudySpec, run_study

TINY = dict(epochs=2, hidden=(16,), k=5, k_sweep=(5, 10))


def _study(datasets, methods, densities, l2s, seeds, out_dir, progress=None, **kw):
    """run_study of one grid with the TINY settings (unless ``kw`` overrides them)."""
    spec = StudySpec(datasets=datasets, methods=methods, densities=densities, l2s=l2s,
                     seeds=seeds, out_dir=out_dir, **{**TINY, **kw})
    return run_study(spec, progress=progress)


def _synthetic(path, n=80, d=30, classes=3, seed=0):
    """A small .npz user file whose class is carried by feature 0."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    X = rng.normal(size=(n, d)).astype(np.float32)
    X[:, 0] += 3 * y
    np.savez(path, X=X, y=y)
    return str(path)


@pytest.fixture(scope="module")
def study_data(tmp_path_factory, shared_data):
    """(data sets, data_dir): madelon plus two small shared sets, or two synthetic files."""
    names = ("madelon", "yale", "lymphoma")
    if shared_data.has(*(f"{n}.npz" for n in names)):
        return list(names), str(shared_data.root)
    folder = tmp_path_factory.mktemp("synthetic")
    return ["madelon", _synthetic(folder / "syn_a.npz"),
            _synthetic(folder / "syn_b.npz", classes=2, seed=1)], None


def _records(out):
    return {str(p.relative_to(out / "runs")): json.loads(p.read_text())
            for p in (out / "runs").rglob("*.json")}


# ---- the grid on a Dask LocalCluster ---------------------------------------------------------

@pytest.mark.slow
def test_study_on_dask_local_cluster(study_data, tmp_path):
    pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed "
                        "(pip install 'sparsefs[dask]')")
    datasets, data_dir = study_data
    out = tmp_path / "study"
    events = []
    res = _study(datasets, ("set", "rigl", "dense"), (0.5, 0.2), (1e-4,), "0-2", out,
                 jobs=2, scheduler="local", data_dir=data_dir, baselines=("random",),
                 progress=events.append)
    assert res["failed"] == []
    assert res["total"] == 3 * (2 * 2 + 1 + 1) * 3 and len(res["computed"]) == res["total"]
    assert events[0]["event"] == "start" and len(events) == res["total"] + 1
    recs = _records(out)
    assert len(recs) == res["total"]
    rec = recs["madelon/set_d0.2_l2-0.0001_s1.json"]
    assert (rec["method"], rec["density"], rec["seed"], rec["k"]) == ("set", 0.2, 1, 5)
    assert set(rec["sweep"]) == {"attr", "strength"} and set(rec["sweep"]["attr"]) == {"5", "10"}
    assert rec["sweep"]["attr"]["5"] == pytest.approx(rec["accuracy"]["attr"])
    assert "madelon/dense_l2-0.0001_s2.json" in recs  # dense: one run per l2 and seed
    manifest = json.loads((out / "study.json").read_text())
    assert manifest["grid"]["seeds"] == [0, 1, 2] and manifest["settings"]["epochs"] == 2
    report = write_report(out)
    summary = report["summary"]
    assert len(summary["rows"]) == 3 * 7 and all(r["n_seeds"] == 3 for r in summary["rows"])
    assert "| madelon | ours |" in report["text"] and "76.63±2.36 (0.95)" in report["text"]
    names = {Path(f).name for f in report["files"]}
    assert names >= {"report.md", "report.csv", "cells.csv"}
    if importlib.util.find_spec("matplotlib"):  # the plots are optional, like matplotlib
        assert names >= {"accuracy_vs_density.png", "accuracy_vs_flops.png"}
    assert not list(out.rglob("*.tmp"))


# ---- a killed study resumes ------------------------------------------------------------------

@pytest.mark.slow
def test_killed_study_resumes_only_missing_runs(tmp_path):
    data = _synthetic(tmp_path / "toy.npz")
    out = tmp_path / "study"
    first = _study([data], ("set", "dense"), (0.5,), (1e-4,), "0-1", out)
    assert len(first["computed"]) == 4 and first["failed"] == []
    runs = out / "runs" / "toy"
    lost = runs / "set_d0.5_l2-0.0001_s1.json"
    lost.unlink()
    # a crash mid-write leaves a temporary file, never a partial result file
    partial = runs / ".set_d0.5_l2-0.0001_s1.json.x1y2.tmp"
    partial.write_text('{"dataset": "toy", "accu')
    corrupt = runs / "dense_l2-0.0001_s0.json"
    corrupt.write_text(corrupt.read_text()[:50])
    kept = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json") if p != corrupt}
    second = _study([data], ("set", "dense"), (0.5,), (1e-4,), "0-2", out, jobs=2)
    assert sorted(second["computed"]) == sorted([
        "toy/set_d0.5_l2-0.0001_s1.json", "toy/dense_l2-0.0001_s0.json",
        "toy/set_d0.5_l2-0.0001_s2.json", "toy/dense_l2-0.0001_s2.json"])
    assert sorted(second["skipped"]) == sorted(f"toy/{n}" for n in kept)
    assert {n: (runs / n).stat().st_mtime_ns for n in kept} == kept
    assert not partial.exists() and lost.exists()
    assert len(_records(out)) == 6
    third = _study([data], ("set", "dense"), (0.5,), (1e-4,), "0-2", out)
    assert third["computed"] == [] and len(third["skipped"]) == 6
    with pytest.raises(InputError, match="other settings"):
        _study([data], ("set",), (0.5,), (1e-4,), "0", out, epochs=3)


def test_failed_run_is_reported_not_fatal(tmp_path):
    data = _synthetic(tmp_path / "toy.npz", d=8)
    res = _study([data], ("dense",), (), (1e-4,), "0", tmp_path / "s",
                 k=50)  # K > d features fails this run only
    assert res["computed"] == [] and len(res["failed"]) == 1
    assert res["failed"][0]["key"] == "toy/dense_l2-0.0001_s0.json"


def test_missing_dask_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    data = _synthetic(tmp_path / "toy.npz")
    with pytest.raises(InputError, match=r"sparsefs\[dask\]"):
        _study([data], ("dense",), (), (1e-4,), "0", tmp_path / "s", scheduler="local")


def test_bad_grid_values_are_input_errors(tmp_path):
    for kw in ({"methods": ("sgd",)}, {"densities": (1.5,)}, {"scheduler": "host:1"},
               {"datasets": ["no_such_set"]}):
        args = {"datasets": ["madelon"], "methods": ("set",), "densities": (0.5,),
                "out_dir": tmp_path / "s", **kw}
        with pytest.raises(InputError):
            run_study(StudySpec(**args))


def test_parse_seeds_and_plan():
    assert parse_seeds("0-9") == list(range(10))
    assert parse_seeds("0,3,5") == [0, 3, 5] and parse_seeds("0-2,7,1") == [0, 1, 2, 7]
    for bad in ("a", "3-1", "", "1-"):
        with pytest.raises(InputError):
            parse_seeds(bad)
    tasks = plan_study(["d"], ["set", "dense"], [0.5, 0.2], [1e-4, 5e-5], [0], ["mi"])
    assert len(tasks) == 2 * 2 + 2 + 1
    assert run_key("d", "dense", 0.3, 5e-5, 2) == "d/dense_l2-5e-05_s2.json"
    assert run_key("d", "rigl", 0.05, 1e-3, 0) == "d/rigl_d0.05_l2-0.001_s0.json"


# ---- model selection on hand-made run files --------------------------------------------------

def _fake_run(out, method, density, l2, seed, loss, acc_attr, acc_strength, kind="nn"):
    rec = {"dataset": "toy", "method": method, "density": density, "l2": l2, "seed": seed,
           "k": 20, "kind": kind, "best_val_loss": loss,
           "accuracy": {"attr": acc_attr, "strength": acc_strength},
           "sweep": {"attr": {"25": acc_attr}, "strength": {"25": acc_strength}},
           "flops": {"train": 1e9 * (density or 0), "ratio": density},
           "memory": {"param_bytes": 1000, "param_bytes_dense": 2000}}
    if kind == "baseline":
        rec.update(density=None, l2=None, best_val_loss=None, accuracy={"score": acc_attr},
                   sweep={"score": {"25": acc_attr}})
    path = out / "runs" / "toy" / run_key("toy", method, density, l2, seed, kind).split("/")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec))


def test_model_selection_by_mean_validation_loss(tmp_path):
    rng = np.random.default_rng(0)
    # (0.5, 1e-4) holds the single lowest loss, but (0.2, 1e-3) the lowest mean
    losses = {(0.5, 1e-4): [0.10, 0.90, 0.90], (0.5, 1e-3): [0.60, 0.60, 0.60],
              (0.2, 1e-4): [0.70, 0.50, 0.80], (0.2, 1e-3): [0.50, 0.55, 0.45],
              (0.1, 1e-4): [float("nan"), 0.01, 0.01]}
    accs = {}
    for (density, l2), cell in losses.items():
        for seed, loss in enumerate(cell):
            a, s = rng.uniform(0.5, 1.0, 2)
            accs.setdefault((density, l2), []).append((a, s))
            _fake_run(tmp_path, "set", density, l2, seed, loss, a, s)
    for seed in range(3):
        _fake_run(tmp_path, "lasso", None, None, seed, None, 0.6 + 0.1 * seed, None, "baseline")
    (tmp_path / "runs" / "toy" / ".half.json.tmp").write_text("{")
    summary = summarize(tmp_path)
    rows = {r["column"]: r for r in summary["rows"]}
    assert set(rows) == {"SET-Attr", "SET-QS", "Lasso"}
    chosen = np.array(accs[(0.2, 1e-3)]) * 100
    for col, j in (("SET-Attr", 0), ("SET-QS", 1)):
        r = rows[col]
        assert (r["density"], r["l2"], r["n_seeds"]) == (0.2, 1e-3, 3)
        assert r["sparsity"] == pytest.approx(0.8)
        assert r["mean"] == pytest.approx(chosen[:, j].mean())
        assert r["std"] == pytest.approx(chosen[:, j].std())
        assert r["mean_val_loss"] == pytest.approx(0.5)
        assert r["sweep"][25] == pytest.approx(chosen[:, j].mean())
        assert r["flops_train"] == pytest.approx(0.2e9)
    assert rows["Lasso"]["mean"] == pytest.approx(70.0)
    assert rows["Lasso"]["std"] == pytest.approx(np.std([60.0, 70.0, 80.0]))
    assert sorted(summary["ranks"][25].values()) == [1.0, 2.0, 3.0]
    report = write_report(tmp_path, plots=False)
    assert "toy" in report["text"] and (tmp_path / "report.csv").read_text().count("\n") == 4


def test_report_rereads_each_runs_accuracy_under_another_window(tmp_path):
    from click.testing import CliRunner

    from sparsefs.cli import main

    windows = ("sum_to_best", "best_epoch", "last_batch", "published", "all_epochs")
    rng = np.random.default_rng(3)
    expect = {"attr": [], "strength": [], "all_epochs": []}
    for seed in range(3):
        _fake_run(tmp_path, "set", 0.2, 1e-4, seed, 0.5, 0.7, 0.6)
        val = {m: rng.permutation(5) / 10 for m in ("attr", "strength")}
        test = {m: rng.uniform(0.5, 1.0, 5) for m in ("attr", "strength")}
        path = next((tmp_path / "runs" / "toy").glob(f"set_*_s{seed}.json"))
        rec = json.loads(path.read_text())
        rec["variants"] = {w: {m: {"val": float(val[m][i]), "test": float(test[m][i])}
                               for m in val} for i, w in enumerate(windows)}
        path.write_text(json.dumps(rec))
        expect["attr"].append(test["attr"][0])  # auto: attribution keeps sum_to_best
        expect["strength"].append(test["strength"][np.argmax(val["strength"])])
        expect["all_epochs"].append(test["strength"][4])
    _fake_run(tmp_path, "lasso", None, None, 0, None, 0.65, None, "baseline")
    as_run = {r["column"]: r for r in summarize(tmp_path)["rows"]}
    rows = {r["column"]: r for r in summarize(tmp_path, "auto")["rows"]}
    assert as_run["SET-QS"]["mean"] == pytest.approx(60.0)
    assert rows["SET-Attr"]["mean"] == pytest.approx(100 * np.mean(expect["attr"]))
    assert rows["SET-QS"]["mean"] == pytest.approx(100 * np.mean(expect["strength"]))
    assert rows["SET-QS"]["std"] == pytest.approx(100 * np.std(expect["strength"]))
    assert rows["SET-QS"]["sweep"][25] == pytest.approx(60.0)  # the sweep is the run's own
    assert rows["Lasso"]["mean"] == pytest.approx(65.0)
    fixed = {r["column"]: r for r in summarize(tmp_path, "all_epochs")["rows"]}
    assert fixed["SET-QS"]["mean"] == pytest.approx(100 * np.mean(expect["all_epochs"]))
    res = CliRunner().invoke(main, ["report", str(tmp_path), "--no-plots", "--importance", "auto"])
    assert res.exit_code == 0, res.output
    assert "re-read under importance=auto (attr: sum_to_best, strength: validated" in \
        (tmp_path / "report.md").read_text()
    _fake_run(tmp_path, "set", 0.2, 1e-4, 3, 0.5, 0.7, 0.6)  # a run without variant scores
    res = CliRunner().invoke(main, ["report", str(tmp_path), "--importance", "auto"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "(seed 3) did not score the sum_to_best window" in res.output


# ---- baselines -------------------------------------------------------------------------------

@pytest.mark.parametrize("classes", [2, 3])
def test_baselines_rank_a_planted_feature_first(classes):
    rng = np.random.default_rng(1)
    n, d = 150, 12
    y = rng.integers(0, classes, n)
    X = rng.normal(size=(n, d))
    X[:, 7] = y + 0.1 * rng.normal(size=n)
    for name in BASELINES:
        ranking = rank_baseline(name, X, y, seed=3)
        assert sorted(ranking.tolist()) == list(range(d)), name
        assert np.array_equal(ranking, rank_baseline(name, X, y, seed=3)), name
        if name != "random":
            assert ranking[0] == 7, name
    with pytest.raises(InputError):
        rank_baseline("lassonet", X, y)


def test_lasso_cv_takes_the_c_that_cross_validation_prefers():
    import inspect

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from sparsefs._config import LASSO_CV_CS
    from sparsefs.experiments.baselines import _cv_l1_strength

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 40))
    y = (X[:, 2] - X[:, 9] + 0.5 * rng.normal(size=90) > 0).astype(int)
    folds = StratifiedKFold(3, shuffle=True, random_state=5)
    new = inspect.signature(LogisticRegression).parameters["penalty"].default == "deprecated"
    l1 = {"l1_ratio": 1.0} if new else {"penalty": "l1"}
    acc = [cross_val_score(LogisticRegression(C=c, solver="liblinear", **l1), X, y,
                           cv=folds).mean() for c in LASSO_CV_CS]
    assert _cv_l1_strength(X, y, seed=5) == LASSO_CV_CS[int(np.argmax(acc))]


# ---- the paper's numbers ---------------------------------------------------------------------

def test_paper_results_table():
    t6 = load_paper_results("6")
    assert len({r["dataset"] for r in t6}) == 18 and len(t6) == 18 * 6
    madelon = {r["column"]: r for r in t6 if r["dataset"] == "madelon"}
    assert madelon["SET-Attr"]["mean"] == 76.63 and madelon["SET-Attr"]["std"] == 2.36
    assert madelon["SET-Attr"]["sparsity"] == 0.95 and madelon["Dense-QS"]["sparsity"] == 0.0
    t4, t5 = load_paper_results("4"), load_paper_results("5")
    assert len({r["dataset"] for r in t4}) == 18 and len({r["dataset"] for r in t5}) == 18
    lasso = [r for r in t4 if r["dataset"] == "madelon" and r["column"] == "Lasso"]
    assert lasso[0]["mean"] == 58.67


def test_guided_section_compares_the_rules_at_equal_density(tmp_path):
    from sparsefs.experiments.guided_section import guided_section
    from sparsefs.experiments.report import load_runs, make_cells

    # SET 80/82/84 (std 1.63), guided-prune 81 +- 0 at a third of SET's FLOPs; a baseline at 90
    for seed, (s, g, p) in enumerate([(0.80, 0.70, 0.81), (0.82, 0.72, 0.81), (0.84, 0.74, 0.81)]):
        _fake_run(tmp_path, "set", 0.2, 1e-4, seed, 0.5, s, s)
        _fake_run(tmp_path, "guided", 0.2, 1e-4, seed, 0.5, g, g)
        _fake_run(tmp_path, "guided-prune", 0.2, 1e-4, seed, 0.5, p, 0.5)
        _fake_run(tmp_path, "extratrees", None, None, seed, None, 0.90, None, "baseline")
    runs = tmp_path / "runs" / "toy"
    for f in runs.glob("*.json"):
        rec = json.loads(f.read_text())
        guided_prune = f.name.startswith("guided-prune_")
        rec["flops"]["train"] /= 3 if guided_prune else 1
        rec["epochs_run"] = 20 if guided_prune else 10  # twice SET's epochs
        f.write_text(json.dumps(rec))
    text = "\n".join(guided_section(make_cells(load_runs(tmp_path)), ["toy"]))
    row = next(line for line in text.splitlines() if line.startswith("| toy"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "3" and cells[2] == "82.00±1.63" and cells[4] == "81.00±0.00"
    assert cells[5] == "ExtraTrees 90.00" and cells[7] == "0.333" and cells[8] == "0.167"
    assert cells[9] == "="
    assert "at equal accuracy on 1 of 1 data sets" in text
    ranks = [line for line in text.splitlines() if line.startswith("| ExtraTrees |")]
    assert ranks and ranks[0].endswith("| 1.00 |")  # best at K = 25 on the one data set
    assert guided_section(make_cells(load_runs(tmp_path)), ["other"]) == []


def test_guided_section_without_the_guided_rule_compares_set_and_guided_prune(tmp_path):
    from sparsefs.experiments.guided_section import guided_section
    from sparsefs.experiments.report import load_runs, make_cells

    for seed, (s, p) in enumerate([(0.80, 0.70), (0.84, 0.74)]):
        _fake_run(tmp_path, "set", 0.2, 1e-2, seed, 0.5, s, s)
        _fake_run(tmp_path, "guided-prune", 0.2, 1e-2, seed, 0.5, p, p)
    text = "\n".join(guided_section(make_cells(load_runs(tmp_path)), ["toy"]))
    header = next(line for line in text.splitlines() if line.startswith("| Dataset"))
    assert "Guided-Attr" not in header and "Guided-Prune-Attr" in header
    row = next(line for line in text.splitlines() if line.startswith("| toy"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "82.00±2.00" and cells[3] == "72.00±2.00" and cells[-1] == "lower"
    # SET alone has nothing to be compared with
    only_set = tmp_path / "only_set"
    _fake_run(only_set, "set", 0.2, 1e-2, 0, 0.5, 0.8, 0.8)
    assert guided_section(make_cells(load_runs(only_set)), ["toy"]) == []


def test_a_rerun_plans_only_the_grid_it_asks_for_and_the_manifest_keeps_the_union(tmp_path):
    data = _synthetic(tmp_path / "toy.npz", d=8)
    out = tmp_path / "study"
    first = _study([data], ("dense",), (), (1e-4,), "0-1", out, epochs=1)
    assert len(first["computed"]) == 2
    second = _study([data], ("dense",), (), (1e-4,), "2", out, epochs=1)
    # Only seed 2 is this run's work; seeds 0-1 are neither rerun nor listed as skipped.
    assert second["total"] == 1 and second["computed"] == ["toy/dense_l2-0.0001_s2.json"]
    assert second["skipped"] == []
    manifest = json.loads((out / "study.json").read_text())
    assert manifest["grid"]["seeds"] == [0, 1, 2]


def test_prune_floor_sweep_keeps_twice_the_largest_k_read_and_is_recorded(tmp_path):
    # d = 300 inputs; K 5 and a sweep to 150: the "sweep" floor is 2 x 150 = 300, every input,
    # so nothing may be pruned, while the default floor max(100, 2 x 5) = 100 prunes.
    data = _synthetic(tmp_path / "wide.npz", n=120, d=300)
    kw = dict(epochs=8, hidden=(32,), k=5, k_sweep=(5, 150))
    swept = _study([data], ("guided-prune",), (0.5,), (1e-4,), "0", tmp_path / "a",
                   prune_floor="sweep", **kw)
    default = _study([data], ("guided-prune",), (0.5,), (1e-4,), "0", tmp_path / "b", **kw)
    assert swept["failed"] == [] and default["failed"] == []
    (a,), (b,) = _records(tmp_path / "a").values(), _records(tmp_path / "b").values()
    assert a["prune_floor"] == 300 and b["prune_floor"] == 100
    assert json.loads((tmp_path / "a" / "study.json").read_text())["settings"][
        "prune_floor"] == "sweep"
    assert "prune_floor" not in json.loads((tmp_path / "b" / "study.json").read_text())[
        "settings"]
    assert a["history"]["nnz"][-1] == a["history"]["nnz"][0]  # nothing pruned
    assert b["history"]["nnz"][-1] < b["history"]["nnz"][0]
    with pytest.raises(InputError, match="prune floor"):
        _study([data], ("guided-prune",), (0.5,), (1e-4,), "0", tmp_path / "c",
               prune_floor="twice")


def test_combined_metric_study_records_sweeps_and_reports_a_third_column(tmp_path):
    data = _synthetic(tmp_path / "syn.npz", n=120, d=40)
    res = _study([data], ("guided-prune",), (0.5,), (1e-4,), "0,1", tmp_path / "c",
                 metric="combined")
    assert res["failed"] == []
    for rec in _records(tmp_path / "c").values():
        assert set(rec["accuracy"]) == set(rec["sweep"]) == {"attr", "strength", "combined"}
        assert rec["metric"] == "combined"
        # the combined top K is the mean-rank order of the two recorded lists' heads
        head = set(rec["rankings"]["attr"][:5]) & set(rec["rankings"]["strength"][:5])
        assert head <= set(rec["rankings"]["combined"][:9])
    settings = json.loads((tmp_path / "c" / "study.json").read_text())["settings"]
    assert settings["metric"] == "combined"
    rows = summarize(tmp_path / "c", "auto")["rows"]
    assert {r["column"] for r in rows} == {"Guided-Prune-QS", "Guided-Prune-Attr",
                                           "Guided-Prune-Attr+QS"}
    with pytest.raises(InputError, match="other settings"):
        _study([data], ("guided-prune",), (0.5,), (1e-4,), "0", tmp_path / "c")
    # a study without it shows no empty combined column
    _study([data], ("guided-prune",), (0.5,), (1e-4,), "0", tmp_path / "plain")
    assert not any("Attr+QS" in c for c in summarize(tmp_path / "plain", "auto")["columns"])
    assert "Guided-Prune-Attr+QS" in summarize(tmp_path / "c", "auto")["columns"]

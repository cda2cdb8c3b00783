"""The benchmark's fit suite (bench/fit_bench.py, bench/fit_case.py): its records, targets and
table. Structure only, never wall-clock: the numbers of a tiny run mean nothing."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(ROOT)  # bench/ is not part of the installed package
    import bench.fit_bench
    import bench.fit_report
    import bench.report
    import bench.targets
    return bench


def _variant(method, density, seconds, growth, x_bytes=1000 * MIB):
    return {"method": method, "density": density, "runs": [], "n_ok": 2,
            "fit_seconds": {"median": seconds, "q1": seconds, "q3": seconds, "min": seconds,
                            "max": seconds, "n": 2},
            "fit_seconds_median": seconds, "peak_growth": None, "peak_growth_median": growth,
            "rss_before_median": 300 * MIB, "epochs_run": [5], "total_nnz": 10,
            "param_bytes": MIB, "x_bytes": x_bytes, "steps": 4, "topology_updates": 0,
            "hwm_reset": True, "others_cores_mean": 0.0, "attribution_share": 0.5,
            "profile": {"top_cumulative": [{"function": "sparsefs/nn/training.py:1(train_mlp)",
                                            "share": 0.9}],
                        "top_own": [{"function": "products.py:26(spmm_forward)",
                                     "own_share": 0.3}]}}


def _results(bench):
    wide = {"dense": _variant("dense", 1.0, 10.0, 400 * MIB),
            "set@0.2": _variant("set", 0.2, 4.0, 300 * MIB),
            "set@0.05": _variant("set", 0.05, 2.0, 100 * MIB),
            "set@0.01": _variant("set", 0.01, 0.5, 20 * MIB)}
    for v in wide.values():
        v["time_vs_dense"] = v["fit_seconds_median"] / 10.0
        v["growth_vs_dense"] = v["peak_growth_median"] / (400 * MIB)
    huge = {"set@0.005": _variant("set", 0.005, 1.0, 270 * MIB, x_bytes=160 * MIB)}
    cases = [{"name": "wide_20k", "title": "wide", "epochs": 5, "variants": wide},
             {"name": "wide_200k", "title": "huge", "epochs": 2, "variants": huge}]
    return {"fit": {"settings": {}, "cases": cases}}


def test_targets_judge_ratios_of_the_same_run(bench):
    rows = bench.targets.fit_rows(_results(bench))
    status = [r["status"] for r in rows]
    measured = [r["measured"] for r in rows]
    # 0.4 <= 0.5 pass, 0.2 > 0.15 miss, 0.05 <= 0.06 pass, growth 0.25 <= 0.5 pass,
    # 270 MiB > 160 + 100 MiB miss
    assert status == ["PASS", "MISS", "PASS", "PASS", "MISS"]
    assert measured[:4] == pytest.approx([0.4, 0.2, 0.05, 0.25])
    assert measured[4] == pytest.approx(270)
    assert "260 MiB" in rows[4]["threshold"]


def test_targets_not_run_are_na(bench):
    rows = bench.targets.fit_rows({})
    assert [r["status"] for r in rows] == ["N/A"] * 5
    assert all(r["status"] == "N/A" for r in bench.targets.evaluate({})[-5:])


def test_section_renders(bench):
    md = bench.fit_report.fit_section(_results(bench)["fit"])
    assert "training.train_mlp 90%" in md and "products.spmm_forward 30%" in md
    assert "against one float32 copy of X (160.0 MiB)" in md
    full = bench.report.markdown({"name": "t", "machine": {}, **_results(bench)}, [])
    assert "## Whole fits" in full


def test_plan_keeps_the_target_cases_in_quick_mode(bench):
    for mode in ("quick", "full"):
        groups = {g["name"]: g for g in bench.fit_bench.plan(mode)}
        wide = groups["wide_20k"]
        assert wide["epochs"] == 5 and wide["data"]["n"] == 1000 and wide["data"]["d"] == 20000
        names = [bench.fit_bench.variant_name(m, d) for m, d in wide["variants"]]
        assert names == ["dense", "set@0.2", "set@0.05", "set@0.01"]
        assert groups["wide_200k"]["variants"] == [("set", 0.005)]
        assert groups["coil20_like"]["data"]["classes"] == 20


@pytest.mark.slow
def test_tiny_suite_end_to_end(bench):
    groups = [{"name": "wide_20k", "title": "tiny", "epochs": 2, "repeats": 2,
               "data": {"kind": "normal", "n": 260, "d": 300, "classes": 2},
               "variants": [("dense", 1.0), ("set", 0.2)]},
              {"name": "coil20_like", "title": "tiny coil", "epochs": 1, "repeats": 1,
               "data": {"kind": "coil", "n": 240, "d": 64, "classes": 4},
               "variants": [("set", 0.5)]}]
    res = bench.fit_bench.run("quick", log=lambda m: None, groups=groups)
    wide = res["cases"][0]["variants"]
    for v in wide.values():
        assert v["n_ok"] == 2 and v["epochs_run"] == [2]
        assert v["hwm_reset"] and v["peak_growth_median"] >= 0
        assert v["profile"]["top_cumulative"] and len(v["profile"]["top_cumulative"]) <= 10
        assert 0 < v["attribution_share"] < 1
        # the profile is taken in the first round only; every run saw the CLI policy
        assert sum("profile" in r for r in v["runs"]) == 1
        assert all(r["thread_env_changed"] == {} for r in v["runs"])
    assert wide["set@0.2"]["time_vs_dense"] > 0
    coil = res["cases"][1]["variants"]["set@0.5"]
    assert coil["n_classes"] == 4
    json.dumps(res)  # the record is JSON as run.py writes it
    rows = bench.targets.fit_rows({"fit": res})
    assert rows[0]["status"] in ("PASS", "MISS") and rows[1]["status"] == "N/A"


@pytest.mark.slow
def test_case_entry_point_prints_one_json_record():
    spec = {"data": {"kind": "normal", "n": 220, "d": 50, "classes": 3}, "method": "set",
            "density": 0.3, "epochs": 2}
    p = subprocess.run([sys.executable, "-m", "bench.fit_case", json.dumps(spec)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, check=True)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["epochs_run"] == 2 and out["stopped_by"] == "epochs" and out["n_classes"] == 3
    assert out["rss_before_bytes"] > 0 and out["peak_growth_bytes"] >= 0
    assert "profile" not in out

"""The benchmark's busy suite (bench/busy_bench.py): both variants run in each condition, the
ratio is budget / fixed of the medians, the targets judge it, and no busy loop outlives the
suite. Structure only, never wall-clock."""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def busy(monkeypatch):
    monkeypatch.syspath_prepend(ROOT)  # bench/ is not part of the installed package
    import bench.busy_bench
    return bench.busy_bench


def _case(name, busy_ratio, idle_ratio):
    def cond(r):
        return {"runs": {}, "fit_seconds_median": {"budget": r, "fixed": 1.0},
                "budget_vs_fixed": r}
    return {"name": name, "title": name, "conditions": {"idle": cond(idle_ratio),
                                                         "busy": cond(busy_ratio)}}


def test_targets_judge_the_small_fit_and_report_the_wide_one(busy):
    from bench.targets_fit import _row

    res = {"busy": {"cases": [_case("madelon", 0.6, 1.05), _case("wide_20k", 0.99, 1.2)]}}
    status = [(r["target"], r["status"]) for r in busy.busy_rows(res, _row)]
    # madelon busy, madelon idle, wide idle (the wide busy ratio is in the table only)
    assert [s for _, s in status] == ["MISS", "PASS", "MISS"]
    assert "busy cores" in status[0][0] and "idle cores" in status[2][0]
    assert "| madelon | busy | 0.60 | 1.00 | 0.600 |" in busy.section(res["busy"])


def test_targets_not_run_are_absent(busy):
    from bench.targets_fit import _row

    assert busy.busy_rows({}, _row) == []


@pytest.mark.slow
def test_tiny_suite_end_to_end_leaves_no_busy_loop(busy, monkeypatch):
    started = []
    real = busy.busy_loops

    def tracked(n):
        procs = real(n)
        started.extend(procs)
        return procs
    monkeypatch.setattr(busy, "busy_loops", tracked)
    tiny = [{"name": "tiny", "title": "tiny", "method": "set", "density": 0.5, "epochs": 1,
             "data": {"kind": "normal", "n": 120, "d": 40, "classes": 2}}]
    res = busy.run("quick", log=lambda m: None, cases=tiny, repeats=1)
    cond = res["cases"][0]["conditions"]
    for condition in ("idle", "busy"):
        med = cond[condition]["fit_seconds_median"]
        assert med["budget"] > 0 and med["fixed"] > 0
        assert cond[condition]["budget_vs_fixed"] == pytest.approx(med["budget"] / med["fixed"])
        for variant, runs in cond[condition]["runs"].items():
            assert len(runs) == 1 and "fit_seconds" in runs[0], runs
            assert runs[0]["settings"].get("SPARSEFS_THREADS") == (
                "fixed" if variant == "fixed" else None)
    assert len(started) == 2 * res["busy_processes"]  # one set per busy fit
    assert all(p.poll() is not None for p in started)  # every loop stopped

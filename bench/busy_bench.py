"""Busy suite: whole fits while other CPU-bound processes hold all cores but one, with the thread
budget (sparsefs's default, ``sparsefs.nn.thread_budget``) and with the thread count fixed at
the pool's (``SPARSEFS_THREADS=fixed``, what every fit did before the budget).

Every parallel kernel ends at a barrier; a thread whose core is busy makes the others wait for a
time slice, so on a loaded machine each region costs milliseconds whatever its work. Each fit
runs in a fresh ``bench.fit_case`` process after a warm-up fit there, first with the cores idle,
then beside ``cores - 1`` busy loops (``python -c "while True: pass"``, started before and
stopped after the pair). Ratios budget / fixed are medians of the same run; on idle cores they
show the probing's own cost, on busy ones what the budget buys.
"""

import os
import subprocess
import sys
import time

from .machine import wait_quiet
from .timing import summarize
from .training_bench import probe, run_case

CASES = [
    {"name": "madelon", "title": "madelon (2,000 x 500), SET 0.2", "data": "madelon",
     "method": "set", "density": 0.2, "epochs": 3},
    {"name": "wide_20k", "title": "1,000 x 20,000 float32, SET 0.2",
     "data": {"kind": "normal", "n": 1000, "d": 20000, "classes": 2}, "method": "set",
     "density": 0.2, "epochs": 2},
]
VARIANTS = {"budget": {}, "fixed": {"SPARSEFS_THREADS": "fixed"}}


def busy_loops(n):
    """``n`` CPU-bound child processes (pure Python loops); stop them with :func:`stop`."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop(procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def run(mode="quick", log=print, seed=0, cases=None, repeats=None):
    """The suite's results dict; ``cases`` replaces :data:`CASES` and ``repeats`` the fits per
    row of the mode (tests use small ones)."""
    t_start = time.perf_counter()
    policy = probe("cli")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    repeats = repeats or (3 if mode == "quick" else 5)
    n_busy = max(1, cores - 1)
    res = {"mode": mode, "settings": policy, "busy_processes": n_busy, "cases": []}
    log(f"  each fit in a fresh child after a warm-up fit; busy = {n_busy} busy loop(s) on "
        f"{cores} cores; budget = default, fixed = SPARSEFS_THREADS=fixed")
    for case in CASES if cases is None else cases:
        spec = {k: case[k] for k in ("data", "method", "density", "epochs")} | {
            "seed": seed, "profile": False}
        out = {"name": case["name"], "title": case["title"], "conditions": {}}
        for condition in ("idle", "busy"):
            runs = {v: [] for v in VARIANTS}
            for r in range(repeats):
                order = list(VARIANTS) if r % 2 == 0 else list(VARIANTS)[::-1]
                for variant in order:
                    if condition == "idle":
                        wait_quiet(10, log=log)
                    procs = busy_loops(n_busy) if condition == "busy" else []
                    try:
                        got = run_case(spec, log, policy | VARIANTS[variant],
                                       module="bench.fit_case")
                    finally:
                        stop(procs)
                    runs[variant].append(got)
                    if "fit_seconds" in got:
                        log(f"    {case['name']:<9} {condition:<4} {variant:<6} fit "
                            f"{got['fit_seconds']:7.3f} s")
            medians = {v: _median(rs) for v, rs in runs.items()}
            ratio = None if None in medians.values() or not medians["fixed"] \
                else medians["budget"] / medians["fixed"]
            out["conditions"][condition] = {"runs": runs, "fit_seconds_median": medians,
                                            "budget_vs_fixed": ratio}
            if ratio is not None:
                log(f"    {case['name']} {condition}: budget / fixed {ratio:.3f}")
        res["cases"].append(out)
    res["seconds"] = time.perf_counter() - t_start
    return res


def _median(runs):
    s = summarize([r["fit_seconds"] for r in runs if "fit_seconds" in r])
    return None if s is None else s["median"]


def section(res):
    """Markdown table of the suite: fit seconds (medians) and budget / fixed per condition."""
    from sparsefs.experiments.tables import markdown_table

    rows = []
    for case in res.get("cases", []):
        for condition, c in case["conditions"].items():
            med, ratio = c["fit_seconds_median"], c["budget_vs_fixed"]
            rows.append([case["title"], condition,
                         *("-" if med.get(v) is None else f"{med[v]:.2f}" for v in VARIANTS),
                         "-" if ratio is None else f"{ratio:.3f}"])
    return (f"Busy = {res.get('busy_processes')} busy loop(s) beside the fit; fixed = "
            "`SPARSEFS_THREADS=fixed`.\n\n"
            + markdown_table(["case", "cores", "budget fit s", "fixed fit s", "budget / fixed"],
                             rows))


def busy_rows(results, row):
    """Targets of the suite (``row`` is the targets' row builder): on busy cores the budget
    at least halves a small fit; on idle ones its probing costs at most 10%."""
    out = []
    for case in (results.get("busy") or {}).get("cases", []):
        for condition, limit in (("busy", 0.5), ("idle", 1.1)):
            c = case["conditions"].get(condition) or {}
            r = c.get("budget_vs_fixed")
            med = c.get("fit_seconds_median") or {}
            note = "" if r is None else (f"{med['budget']:.2f} s with the budget, "
                                         f"{med['fixed']:.2f} s fixed")
            if condition == "busy" and case["name"] != "madelon":
                continue  # in the section's table only: wide kernels amortize the barrier
            out.append(row(f"Busy: fit time thread budget / fixed threads, {case['title']}, "
                           f"{condition} cores", f"<= {limit:g}", r,
                           r is not None and r <= limit, note, "x"))
    return out

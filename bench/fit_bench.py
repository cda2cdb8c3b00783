"""Fit suite: whole ``SparseFeatureSelector.fit`` calls as a user makes them, sparse vs dense.

Each fit runs in its own fresh ``python -m bench.fit_case`` process after a warm-up fit there
(JIT compile and cache loading excluded, everything else the user pays included: input
validation, standardization, the split, building the network, training with attribution on
every mini-batch and a topology update every 10 steps, the validation passes, the ranking).
Per fit: wall seconds of ``fit``, peak RSS growth during it (VmHWM reset after the warm-up),
VmRSS before, and a cProfile of a second, profiled fit in the same process (top 10 by
cumulative time, and the share of the fit spent in ``neuron_attribution``).

Cases (see :func:`plan`): 1,000 x 20,000 float32, 5 epochs, dense and SET at 0.2 / 0.05 /
0.01 (the targets' ratios; also in quick mode); madelon (bundled X_train) dense and SET at
0.2 / 0.05; 200 x 200,000 float32, SET 0.005, 2 epochs (memory); a COIL-20-like 1,440 x
1,024, 20 classes, SET 0.5, 2 epochs (the share of attribution with many classes).

Repeated fits of a case run in interleaved rounds (A B C D, D C B A, ...), one process each;
the ratios compare medians measured in the same run. Every child starts from
``training_bench.clean_env()`` plus the sparsefs CLI policy's thread settings (asked of the
CLI at run time) and records the thread variables it saw.
"""

import time

from .machine import env_str, wait_quiet
from .timing import summarize
from .training_bench import probe, run_case

MIB = 1 << 20

WIDE = {"kind": "normal", "n": 1000, "d": 20000, "classes": 2}
HUGE = {"kind": "normal", "n": 200, "d": 200_000, "classes": 2}
COIL = {"kind": "coil", "n": 1440, "d": 1024, "classes": 20}


def plan(mode):
    """Case groups of the mode: name, title, data, epochs, variants [(method, density)],
    repeats (processes per variant)."""
    quick = mode == "quick"
    return [
        {"name": "wide_20k", "title": "1,000 x 20,000 float32", "data": WIDE, "epochs": 5,
         "variants": [("dense", 1.0), ("set", 0.2), ("set", 0.05), ("set", 0.01)],
         "repeats": 2 if quick else 3},
        {"name": "madelon", "title": "madelon (2,000 x 500)", "data": "madelon",
         "epochs": 2 if quick else 5,
         "variants": [("dense", 1.0), ("set", 0.05)] if quick
         else [("dense", 1.0), ("set", 0.2), ("set", 0.05)],
         "repeats": 1 if quick else 3},
        {"name": "wide_200k", "title": "200 x 200,000 float32", "data": HUGE, "epochs": 2,
         "variants": [("set", 0.005)], "repeats": 1},
        {"name": "coil20_like", "title": "COIL-20-like 1,440 x 1,024, 20 classes", "data": COIL,
         "epochs": 2, "variants": [("set", 0.5)] if quick else [("dense", 1.0), ("set", 0.5)],
         "repeats": 1},
    ]


def variant_name(method, density):
    return "dense" if method == "dense" else f"{method}@{density:g}"


def run_fit_case(spec, log, settings, timeout=1800):
    """One ``bench.fit_case`` process with :func:`clean_env` plus exactly ``settings``."""
    return run_case(spec, log, settings, timeout, module="bench.fit_case")


def _median(runs, key):
    s = summarize([r[key] for r in runs if r.get(key) is not None])
    return s, (None if s is None else s["median"])


def aggregate(group, runs_by_variant):
    """Per variant: the runs, summaries of fit seconds and peak growth, ratios vs dense."""
    out = {}
    for method, density in group["variants"]:
        name = variant_name(method, density)
        runs = runs_by_variant[name]
        ok = [r for r in runs if "fit_seconds" in r]
        t_stats, t_med = _median(ok, "fit_seconds")
        g_stats, g_med = _median(ok, "peak_growth_bytes")
        prof = next((r["profile"] for r in ok if "profile" in r), None)
        others = [r["others_cores"] for r in ok if r.get("others_cores") is not None]
        first = ok[0] if ok else {}
        out[name] = {
            "method": method, "density": density, "runs": runs, "n_ok": len(ok),
            "fit_seconds": t_stats, "fit_seconds_median": t_med,
            "peak_growth": g_stats, "peak_growth_median": g_med,
            "rss_before_median": _median(ok, "rss_before_bytes")[1],
            "epochs_run": sorted({r["epochs_run"] for r in ok}),
            "total_nnz": first.get("total_nnz"), "param_bytes": first.get("param_bytes"),
            "x_bytes": first.get("x_bytes"), "n_samples": first.get("n_samples"),
            "n_features": first.get("n_features"), "n_classes": first.get("n_classes"),
            "steps": first.get("steps"), "topology_updates": first.get("topology_updates"),
            "hwm_reset": all(r.get("hwm_reset") for r in ok) if ok else None,
            "profile": prof,
            "attribution_share": None if prof is None else prof.get("attribution_share"),
            "others_cores_mean": sum(others) / len(others) if others else None,
        }
    dense = out.get("dense")
    for v in out.values():
        v["time_vs_dense"] = _ratio(v["fit_seconds_median"],
                                    dense and dense["fit_seconds_median"])
        v["growth_vs_dense"] = _ratio(v["peak_growth_median"],
                                      dense and dense["peak_growth_median"])
    return out


def _ratio(a, b):
    return None if a is None or not b else a / b


def run(mode="quick", log=print, seed=0, groups=None):
    """The suite's results dict; ``groups`` replaces :func:`plan` (tests use small ones)."""
    t_start = time.perf_counter()
    policy = probe("cli")
    res = {"mode": mode, "settings": policy, "seed": seed, "cases": []}
    log(f"  every fit in a fresh child process after a warm-up fit, with {env_str(policy)} "
        "(sparsefs CLI policy)")
    for group in plan(mode) if groups is None else groups:
        log(f"  {group['title']}, {group['epochs']} epochs, {group['repeats']} process(es) "
            "per variant")
        runs = {variant_name(m, d): [] for m, d in group["variants"]}
        for r in range(group["repeats"]):
            order = group["variants"] if r % 2 == 0 else group["variants"][::-1]
            for method, density in order:
                spec = {"data": group["data"], "method": method, "density": density,
                        "epochs": group["epochs"], "seed": seed, "profile": r == 0}
                wait_quiet(10, log=log)
                out = run_fit_case(spec, log, policy)
                runs[variant_name(method, density)].append(out)
                if "fit_seconds" in out:
                    share = (out.get("profile") or {}).get("attribution_share")
                    log(f"    {variant_name(method, density):<10} fit {out['fit_seconds']:7.3f} s"
                        f"  peak growth {out['peak_growth_bytes'] / MIB:7.1f} MiB"
                        f"  (RSS before {out['rss_before_bytes'] / MIB:.0f} MiB)"
                        + (f"  attribution {share:.0%} of the profiled fit"
                           if share is not None else "")
                        + f"  others' cores {out.get('others_cores')}")
        variants = aggregate(group, runs)
        res["cases"].append({k: v for k, v in group.items() if k != "variants"}
                            | {"variants": variants})
        dense = variants.get("dense")
        if dense:
            log("    ratios vs dense (medians): " + "  ".join(
                f"{k} time {_fmt(v['time_vs_dense'])} growth {_fmt(v['growth_vs_dense'])}"
                for k, v in variants.items() if k != "dense"))
    res["seconds"] = time.perf_counter() - t_start
    return res


def _fmt(x):
    return "-" if x is None else f"{x:.3f}"


def find(results, case, variant):
    """The aggregated variant ``variant`` of case ``case`` of a results dict, or None."""
    for c in (results.get("fit") or {}).get("cases", []):
        if c["name"] == case:
            return c["variants"].get(variant)
    return None

"""Scaling: training-step time and network bytes of sparse (SET) MLPs ``d -> 1000 -> 100 -> 2``
against the number of stored weights, along two sweeps (width ``d`` at fixed density, density at
fixed ``d``). Each sweep's networks are timed in the same interleaved rounds; a line fitted in
nnz (``np.polyfit``) gives the marginal cost (ns per non-zero, bytes per non-zero) and R^2 tells
whether cost really is linear in nnz (what "truly sparse" promises).
"""

import gc
import time

import numpy as np

from sparsefs.nn.network import build_mlp
from sparsefs.nn.optim import Optimizer

from .machine import CpuMonitor
from .timing import interleave
from .training_case import _step_fn

FULL = {"dims": [5000, 20000, 50000, 100000], "dim_density": 0.05,
        "densities": [0.2, 0.1, 0.05, 0.02, 0.01], "density_dim": 20000, "budget": 6.0}
QUICK = {"dims": [5000, 20000, 50000], "dim_density": 0.05,
         "densities": [0.2, 0.05, 0.02, 0.01], "density_dim": 20000, "budget": 2.5}
N_ROWS = 256
BATCH = 64


def fit_line(x, y):
    """Slope, intercept and R^2 of the least-squares line y = a x + b."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2 or np.ptp(x) == 0:
        return {"slope": None, "intercept": None, "r2": None}
    a, b = np.polyfit(x, y, 1)
    ss_res = float(((y - (a * x + b)) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return {"slope": float(a), "intercept": float(b),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else None}


def sweep(points, budget, rng, log):
    """points: list of (d, density). Returns a list of point results and the two fits."""
    nets, fns, data = {}, {}, {}
    for d, density in points:
        if d not in data:
            X = rng.standard_normal((N_ROWS, d), dtype=np.float32)
            data[d] = (X, (X[:, 0] > 0).astype(np.int64))
        X, y = data[d]
        t0 = time.perf_counter()
        net = build_mlp(d, 2, hidden=(1000, 100), method="set", density=density,
                        optimizer=Optimizer(), rng=rng)
        key = f"{d}@{density}"
        nets[key] = (net, time.perf_counter() - t0)
        fns[key] = _step_fn(net, X, y, BATCH, rng)
    mon = CpuMonitor().start()
    timings = interleave(fns, budget=budget, min_rounds=4, max_rounds=30, warmup=2)
    others = mon.stop()["others_cores"]
    rows = []
    for (d, density), key in zip(points, fns):
        net, build = nets[key]
        nnz = sum(layer.nnz for layer in net.layers)
        rows.append({"d": d, "density": density, "nnz": nnz, "bytes": int(net.nbytes()),
                     "step": timings[key]["steady"], "step_seconds":
                     timings[key]["steady"]["median"], "build_seconds": build})
        log(f"    d={d:>6} density={density:<5} nnz={nnz:>10,}  step "
            f"{rows[-1]['step_seconds'] * 1e3:8.2f} ms  bytes {rows[-1]['bytes'] / 1e6:8.1f} MB")
    nnz = [r["nnz"] for r in rows]
    t_fit = fit_line(nnz, [r["step_seconds"] for r in rows])
    b_fit = fit_line(nnz, [r["bytes"] for r in rows])
    out = {"points": rows, "others_cores": others,
           "time_fit": t_fit, "ns_per_nnz": t_fit["slope"] * 1e9 if t_fit["slope"] else None,
           "bytes_fit": b_fit, "bytes_per_nnz": b_fit["slope"]}
    del nets, fns, data
    gc.collect()
    return out


def run(mode="quick", log=print, seed=0):
    cfg = QUICK if mode == "quick" else FULL
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    log(f"  width sweep at density {cfg['dim_density']}")
    by_d = sweep([(d, cfg["dim_density"]) for d in cfg["dims"]], cfg["budget"], rng, log)
    log(f"    fit: {_fmt(by_d)}")
    log(f"  density sweep at d = {cfg['density_dim']}")
    by_density = sweep([(cfg["density_dim"], p) for p in cfg["densities"]], cfg["budget"],
                       rng, log)
    log(f"    fit: {_fmt(by_density)}")
    return {"mode": mode, "batch": BATCH, "hidden": [1000, 100], "method": "set",
            "by_width": by_d, "by_density": by_density, "seconds": time.perf_counter() - t0}


def _fmt(s):
    ns = s["ns_per_nnz"]
    r2 = s["time_fit"]["r2"]
    return (f"{ns:.2f} ns/nnz per step (R^2 {r2:.3f}), {s['bytes_per_nnz']:.2f} bytes/nnz "
            f"(R^2 {s['bytes_fit']['r2']:.4f})") if ns is not None else "no fit"

"""Training level: whole epochs and single steps of the paper's MLP, sparse (SET/RigL) vs dense.

Every case runs in a fresh ``python -m bench.training_case`` process (peak RSS is per case, and
no JIT or BLAS thread state leaks between cases). Also the issue's extra cases (the
3072-1024-512-10 network on 50k samples, the 1M-input network), a threading diagnostic (the same
steps under other OpenMP wait policies) and the CLI start-up time.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

from .machine import CpuMonitor, wait_quiet
from .timing import summarize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDE_N = 1000


def _env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def run_case(spec, log, env=None, timeout=1200):
    """Run one case in a subprocess; returns its JSON (plus wall time) or an error record."""
    mon = CpuMonitor().start()
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "bench.training_case", json.dumps(spec)],
                           cwd=ROOT, env=_env(env), capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"spec": spec, "error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        err = (p.stderr or "").strip().splitlines()[-5:]
        log(f"    FAILED {spec}: {' | '.join(err)}")
        return {"spec": spec, "error": "\n".join(err), "returncode": p.returncode}
    out = json.loads(lines[-1])
    out["process_wall_seconds"] = wall
    out["others_cores"] = mon.stop()["others_cores"]
    if env:
        out["env_override"] = env
    return out


def _data(d):
    return "madelon" if d == "madelon" else {"n": WIDE_N, "d": d, "classes": 2}


def plan(mode):
    """(epoch specs, step specs, extra specs) of the mode."""
    quick = mode == "quick"
    dims = ["madelon", 20000] if quick else ["madelon", 20000, 100000]
    epochs = 2 if quick else 3
    epoch_specs = []
    for d in dims:
        for method, density in [("dense", 1.0), ("set", 0.2), ("set", 0.05), ("rigl", 0.2),
                                ("rigl", 0.05)]:
            if quick and (density == 0.2 and (d != "madelon" or method == "rigl")):
                continue
            if d == 100000 and method == "rigl":
                continue  # one exact RigL update of the 100k x 1000 layer takes minutes
            epoch_specs.append({"kind": "epoch", "data": _data(d), "method": method,
                                "density": density, "epochs": epochs, "batch": 64})
    step_specs = [
        {"kind": "steps", "data": "madelon", "batch": 64, "budget": 2.0 if quick else 4.0,
         "variants": [["dense", 1.0], ["set", 0.2], ["set", 0.05], ["set", 0.01]]},
        {"kind": "steps", "data": _data(20000), "batch": 64, "budget": 3.0 if quick else 6.0,
         "variants": [["dense", 1.0], ["set", 0.2], ["set", 0.05], ["set", 0.01]]},
    ]
    if not quick:
        step_specs.append({"kind": "steps", "data": _data(100000), "batch": 64, "budget": 8.0,
                           "min_rounds": 3, "variants": [["dense", 1.0], ["set", 0.05],
                                                         ["set", 0.01]]})
    cifar = {"kind": "epoch", "data": {"n": 50000, "d": 3072, "classes": 10},
             "hidden": [1024, 512], "method": "set", "density": 0.01, "batch": 100,
             "epochs": 1 if quick else 2, "attribution": False}
    extras = {"cifar_mlp": dict(cifar, fraction=0.1, epochs=2) if quick else cifar}
    extras["cifar_mlp_tuned_threads"] = dict(extras["cifar_mlp"], env_override=TUNED_ENV)
    if not quick:
        extras["cifar_mlp_with_attribution"] = dict(cifar, attribution=True, epochs=1)
        extras["one_million_inputs"] = {
            "kind": "epoch", "data": {"n": 1000, "d": 1_000_000, "classes": 2, "format": "csr",
                                      "nnz_frac": 0.01},
            "method": "set", "epsilon": 20, "batch": 64, "epochs": 1, "hidden": [1000, 100]}
    return epoch_specs, step_specs, extras


# sparsefs sets short spin waits (GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT) when it is imported
# before numpy, else OMP_WAIT_POLICY=PASSIVE (every parallel launch is then a futex wake-up,
# ~50 us). The variants show the alternatives side by side. An explicit setting in the child's
# environment overrides sparsefs's.
THREADING_VARIANTS = {
    "sparsefs default": None,
    "OPENBLAS_THREAD_TIMEOUT=4 GOMP_SPINCOUNT=30000 (BLAS sleeps at once, Numba spins ~10 us)":
        {"OPENBLAS_THREAD_TIMEOUT": "4", "GOMP_SPINCOUNT": "30000"},
    "GOMP_SPINCOUNT=300000 (libgomp's own default)": {"GOMP_SPINCOUNT": "300000"},
    "GOMP_SPINCOUNT=1000": {"GOMP_SPINCOUNT": "1000"},
    "NUMBA_THREADING_LAYER=workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
}
QUICK_THREADING = 3  # the first three variants in quick mode
TUNED_ENV = {"OPENBLAS_THREAD_TIMEOUT": "4", "GOMP_SPINCOUNT": "30000"}


def cli_startup(repeats=5):
    """Start-up seconds of the CLI with a warm cache, minus a bare interpreter start."""
    def timed(cmd):
        ts = []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True)
            ts.append(time.perf_counter() - t0)
            if p.returncode != 0:
                return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:]}
        return summarize(ts[1:])  # the first call warms the OS and Numba caches

    out = {"python_pass": timed([sys.executable, "-c", "pass"]),
           "import_sparsefs_cli": timed([sys.executable, "-c", "import sparsefs.cli"])}
    script = shutil.which("sparsefs")
    if script:
        out["sparsefs_help"] = timed([script, "--help"])
    if os.path.exists(os.path.join(ROOT, "cli.py")):
        out["cli_py_help"] = timed([sys.executable, "cli.py", "--help"])
    base = out["python_pass"]["median"]
    key = "sparsefs_help" if "sparsefs_help" in out and "median" in out["sparsefs_help"] \
        else "import_sparsefs_cli"
    if "median" in out[key]:
        out["overhead_seconds"] = out[key]["median"] - base
        out["measured"] = key
    else:
        out["overhead_seconds"] = None
        out["measured"] = f"{key} failed: {out[key].get('error')}"
    return out


def run(mode="quick", log=print):
    epoch_specs, step_specs, extras = plan(mode)
    t_start = time.perf_counter()
    res = {"mode": mode, "epochs": [], "steps": [], "extras": {}, "threading": {}}
    log("  training steps (interleaved, one process per shape)")
    for spec in step_specs:
        wait_quiet(10, log=log)
        r = run_case(spec, log)
        res["steps"].append(r)
        if "variants" in r:
            v = r["variants"]
            dense = v.get("dense", {}).get("step", {}).get("steady", {}).get("median")
            log(f"    {spec['data'] if isinstance(spec['data'], str) else spec['data']['d']}: "
                + "  ".join(f"{k} {x['step']['steady']['median'] * 1e3:.2f} ms"
                            + (f" ({dense / x['step']['steady']['median']:.1f}x)"
                               if dense and k != 'dense' else "")
                            for k, x in v.items()))
    log("  threading diagnostic: madelon steps under other OpenMP settings")
    diag = dict(step_specs[0], budget=1.0 if mode == "quick" else 2.0)
    for k, (name, env) in enumerate(THREADING_VARIANTS.items()):
        if env is None:
            res["threading"][name] = {"same_as": "steps[0]"}
            continue
        if mode == "quick" and k >= QUICK_THREADING:
            continue
        r = run_case(diag, log, env=env)
        res["threading"][name] = r
        if "variants" in r:
            log(f"    {name}: " + "  ".join(f"{k} {x['step']['steady']['median'] * 1e3:.2f} ms"
                                            for k, x in r["variants"].items()))
    log("  epochs (one process per case)")
    for spec in epoch_specs:
        wait_quiet(10, log=log)
        r = run_case(spec, log)
        res["epochs"].append(r)
        if "seconds_per_epoch" in r:
            log(f"    {r['n_features']:>6} {spec['method']:<5} d={r['density']:<5} "
                f"{r['seconds_per_epoch']:7.3f} s/epoch  {r['param_bytes'] / 1e6:8.1f} MB params  "
                f"peak RSS {r['peak_rss_bytes'] / 1e6:7.0f} MB  "
                f"FLOPs {r['flops_per_epoch']['total']:.3g}")
    for name, spec in extras.items():
        log(f"  extra case {name}")
        wait_quiet(10, log=log)
        r = run_case(spec, log, env=spec.get("env_override"), timeout=1800)
        res["extras"][name] = r
        if "seconds_per_epoch" in r:
            note = (f" (extrapolated from {r['extrapolated_from_fraction']:.0%} of the epoch)"
                    if r.get("extrapolated_from_fraction") else "")
            log(f"    {r['seconds_per_epoch']:.3f} s/epoch{note}, nnz {r['total_nnz']:,}, "
                f"peak RSS {r['peak_rss_bytes'] / 1e6:.0f} MB, data: {r['data']}")
    log("  CLI start-up")
    res["cli_startup"] = cli_startup(3 if mode == "quick" else 5)
    o = res["cli_startup"].get("overhead_seconds")
    log(f"    overhead {o:.3f} s ({res['cli_startup']['measured']})" if o is not None
        else f"    {res['cli_startup']['measured']}")
    res["seconds"] = time.perf_counter() - t_start
    return res


def step_median(step_result, name):
    """Median seconds of one variant's steady steps, or None."""
    try:
        return step_result["variants"][name]["step"]["steady"]["median"]
    except (KeyError, TypeError):
        return None


def median_of(values):
    vals = [v for v in values if v is not None]
    return float(np.median(vals)) if vals else None

"""Training level: whole epochs and single steps of the paper's MLP, sparse (SET/RigL) vs dense.

Every case runs in a fresh ``python -m bench.training_case`` process (peak RSS is per case, and
no JIT or BLAS thread state leaks between cases). Also the issue's extra cases (the
3072-1024-512-10 network on 50k samples, the 1M-input network), a threading diagnostic (the same
steps and the CIFAR-shaped epoch under each thread-wait policy) and the CLI start-up time.

Each child starts from :func:`clean_env` (no thread-wait variable at all) plus exactly the
settings of its row: the sparsefs CLI policy for every row but the diagnostic's other variants.
The child records the variables it saw before numpy loaded, and the report prints them.
"""

import json
import os
import shutil
import subprocess
import sys
import time

from .machine import WAIT_VARS, CpuMonitor, env_str, wait_quiet
from .timing import summarize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDE_N = 1000


def clean_env():
    """This process's environment without any of :data:`~bench.machine.WAIT_VARS`, with the
    checkout on ``PYTHONPATH``: the base every child starts from, so no wait setting of the
    shell or of ``bench/run.py``'s own ``configure_threads()`` leaks into a row."""
    env = {k: v for k, v in os.environ.items() if k not in WAIT_VARS}
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_case(spec, log, settings, timeout=1200, module="bench.training_case"):
    """Run one case in a ``python -m module`` subprocess whose environment is :func:`clean_env`
    plus exactly ``settings``; returns its JSON (plus wall time and ``settings``) or an error
    record."""
    mon = CpuMonitor().start()
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", module, json.dumps(spec)],
                           cwd=ROOT, env={**clean_env(), **settings}, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"spec": spec, "settings": settings, "error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        err = (p.stderr or "").strip().splitlines()[-5:]
        log(f"    FAILED {spec}: {' | '.join(err)}")
        return {"spec": spec, "settings": settings, "error": "\n".join(err),
                "returncode": p.returncode}
    out = json.loads(lines[-1])
    out["process_wall_seconds"] = wall
    out["others_cores"] = mon.stop()["others_cores"]
    out["settings"] = settings
    return out


# The thread-wait settings of the policies the diagnostic compares, each asked of the code that
# decides it in a fresh process started from ``clean_env()``, so a label cannot drift from what
# sparsefs really does. The CLI probe runs the ``sparsefs`` command group's own start (import,
# then the group callback, where ``configure_threads()`` runs) and reports what changed.
PROBES = {
    "cli": "import json, os; before = dict(os.environ); from sparsefs.cli import main; "
           "main.callback(); print(json.dumps({k: v for k, v in os.environ.items() "
           "if before.get(k) != v}))",
    "configure_threads": "import json, sparsefs; print(json.dumps(sparsefs.configure_threads()))",
}


def probe(name):
    """``{variable: value}`` the policy ``name`` of :data:`PROBES` sets in a fresh process."""
    p = subprocess.run([sys.executable, "-c", PROBES[name]], cwd=ROOT, env=clean_env(),
                       capture_output=True, text=True, timeout=120, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def threading_variants(mode):
    """(key, label, about, settings) of the thread-wait variants the mode runs; the first, the
    sparsefs CLI policy, is also the setting of every other training row."""
    out = [("cli", "sparsefs CLI policy", "what `sparsefs <command>` sets", probe("cli")),
           ("configure_threads", "configure_threads() before numpy",
            "what bench/run.py applies to its own process: kernels, scaling",
            probe("configure_threads")),
           ("defaults", "library defaults", "no thread variable set", {})]
    if mode != "quick":
        out += [("gomp_300000", "GOMP_SPINCOUNT=300000", "libgomp's own default spin",
                 {"GOMP_SPINCOUNT": "300000"}),
                ("gomp_1000", "GOMP_SPINCOUNT=1000", "", {"GOMP_SPINCOUNT": "1000"}),
                ("workqueue", "NUMBA_THREADING_LAYER=workqueue", "",
                 {"NUMBA_THREADING_LAYER": "workqueue"})]
    return out


def _data(d):
    return "madelon" if d == "madelon" else {"n": WIDE_N, "d": d, "classes": 2}


def plan(mode, seed=0):
    """(epoch specs, step specs, extra specs, threading-diagnostic specs) of the mode."""
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
                                "density": density, "epochs": epochs, "batch": 64,
                                "seed": seed})
    step_specs = [
        {"kind": "steps", "data": "madelon", "batch": 64, "budget": 2.0 if quick else 4.0,
         "variants": [["dense", 1.0], ["set", 0.2], ["set", 0.05], ["set", 0.01]],
         "seed": seed},
        {"kind": "steps", "data": _data(20000), "batch": 64, "budget": 3.0 if quick else 6.0,
         "variants": [["dense", 1.0], ["set", 0.2], ["set", 0.05], ["set", 0.01]],
         "seed": seed},
    ]
    if not quick:
        step_specs.append({"kind": "steps", "data": _data(100000), "batch": 64, "budget": 8.0,
                           "min_rounds": 3, "variants": [["dense", 1.0], ["set", 0.05],
                                                         ["set", 0.01]], "seed": seed})
    cifar = {"kind": "epoch", "data": {"n": 50000, "d": 3072, "classes": 10},
             "hidden": [1024, 512], "method": "set", "density": 0.01, "batch": 100,
             "epochs": 2, "attribution": False, "seed": seed}
    extras = {"cifar_mlp": dict(cifar, fraction=0.1) if quick else cifar}
    if not quick:
        extras["cifar_mlp_with_attribution"] = dict(cifar, attribution=True, epochs=1)
        extras["one_million_inputs"] = one_million_spec(seed)
    # The diagnostic repeats the madelon steps (shorter) and the CIFAR-shaped epoch (always
    # from 10% of the samples) under each thread-wait variant.
    diag = {"steps": dict(step_specs[0], budget=1.0 if quick else 2.0),
            "cifar": dict(cifar, fraction=0.1)}
    return epoch_specs, step_specs, extras, diag


def one_million_spec(seed=0):
    """1,000 CSR samples with 1,000,000 features (1% stored), ERK epsilon 20, one epoch."""
    return {"kind": "epoch", "data": {"n": 1000, "d": 1_000_000, "classes": 2, "format": "csr",
                                      "nnz_frac": 0.01},
            "method": "set", "epsilon": 20, "batch": 64, "epochs": 1, "hidden": [1000, 100],
            "seed": seed}


def run_one_million(log=print, seed=0):
    """The 1M-input case alone (the ``million`` suite), in a child process with the CLI
    policy, so it can be rerun at a commit without the whole training suite."""
    policy = threading_variants("full")[0][3]
    wait_quiet(10, log=log)
    r = run_case(one_million_spec(seed), log, policy, timeout=1800)
    if "seconds_per_epoch" in r:
        log(f"    {r['seconds_per_epoch']:.2f} s/epoch, nnz {r['total_nnz']:,}, peak RSS "
            f"{r['peak_rss_bytes'] / 1e6:.0f} MB, data {r['data_bytes'] / 1e6:.0f} MB")
    return r


def cli_startup(repeats=5):
    """Start-up seconds of the CLI with a warm cache, minus a bare interpreter start."""
    def timed(cmd):
        ts = []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True)
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


def run(mode="quick", log=print, seed=0):
    epoch_specs, step_specs, extras, diag = plan(mode, seed)
    t_start = time.perf_counter()
    variants = threading_variants(mode)
    policy = variants[0][3]  # the CLI's: every row but the diagnostic's other variants
    res = {"mode": mode, "settings": policy, "steps": [], "epochs": [], "extras": {},
           "threading": {}}
    log(f"  every case in a child process with {env_str(policy)} (sparsefs CLI policy)")
    log("  training steps (interleaved, one process per shape)")
    for spec in step_specs:
        wait_quiet(10, log=log)
        r = run_case(spec, log, policy)
        res["steps"].append(r)
        if "variants" in r:
            v = r["variants"]
            dense = v.get("dense", {}).get("step", {}).get("steady", {}).get("median")
            log(f"    {spec['data'] if isinstance(spec['data'], str) else spec['data']['d']}: "
                + "  ".join(f"{k} {x['step']['steady']['median'] * 1e3:.2f} ms"
                            + (f" ({dense / x['step']['steady']['median']:.1f}x)"
                               if dense and k != 'dense' else "")
                            for k, x in v.items()))
    log("  epochs (one process per case)")
    for spec in epoch_specs:
        wait_quiet(10, log=log)
        r = run_case(spec, log, policy)
        res["epochs"].append(r)
        if "seconds_per_epoch" in r:
            log(f"    {r['n_features']:>6} {spec['method']:<5} d={r['density']:<5} "
                f"{r['seconds_per_epoch']:7.3f} s/epoch  {r['param_bytes'] / 1e6:8.1f} MB params  "
                f"peak RSS {r['peak_rss_bytes'] / 1e6:7.0f} MB  "
                f"FLOPs {r['flops_per_epoch']['total']:.3g}")
    for name, spec in extras.items():
        log(f"  extra case {name}")
        wait_quiet(10, log=log)
        r = run_case(spec, log, policy, timeout=1800)
        res["extras"][name] = r
        if "seconds_per_epoch" in r:
            note = (f" (extrapolated from {r['extrapolated_from_fraction']:.0%} of the epoch)"
                    if r.get("extrapolated_from_fraction") else "")
            log(f"    {r['seconds_per_epoch']:.3f} s/epoch{note}, nnz {r['total_nnz']:,}, "
                f"peak RSS {r['peak_rss_bytes'] / 1e6:.0f} MB, data: {r['data']}")
    log("  threading diagnostic: madelon steps and the CIFAR-shaped epoch per wait policy")
    cifar_main = res["extras"]["cifar_mlp"]
    for key, label, about, settings in variants:
        entry = {"label": label, "about": about, "settings": settings}
        twin = next((k for k, e in res["threading"].items() if e["settings"] == settings), None)
        if twin is not None:  # the same environment as an earlier row: not run again
            entry.update(same_run_as=f"threading.{twin}", steps=res["threading"][twin]["steps"],
                         cifar=res["threading"][twin]["cifar"])
        elif settings == policy and cifar_main.get("spec") == diag["cifar"]:
            # The main rows already ran these cases with these settings (quick mode).
            entry.update(same_run_as="steps[0], extras.cifar_mlp", steps=res["steps"][0],
                         cifar=cifar_main)
        else:
            for part in ("steps", "cifar"):
                wait_quiet(10, log=log)
                entry[part] = run_case(diag[part], log, settings)
        res["threading"][key] = entry
        log(f"    {label} [{env_str(entry['steps'].get('thread_env', {}))}]: "
            + "  ".join(f"{k} {x['step']['steady']['median'] * 1e3:.2f} ms"
                        for k, x in entry["steps"].get("variants", {}).items())
            + (f"  cifar {entry['cifar']['seconds_per_epoch']:.3f} s/epoch"
               if "seconds_per_epoch" in entry["cifar"] else ""))
    log("  CLI start-up")
    res["cli_startup"] = cli_startup(3 if mode == "quick" else 5)
    o = res["cli_startup"].get("overhead_seconds")
    log(f"    overhead {o:.3f} s ({res['cli_startup']['measured']})" if o is not None
        else f"    {res['cli_startup']['measured']}")
    res["seconds"] = time.perf_counter() - t_start
    return res

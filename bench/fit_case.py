"""One whole ``SparseFeatureSelector.fit``, as a user makes it, in a fresh process.

    python -m bench.fit_case '{"data": {...}, "method": "set", "density": 0.05, ...}'

prints one JSON object on its last line. The process

1. builds (or loads) the data, before anything is measured, so X is the user's own memory;
2. runs a **warm-up fit** with the same settings on a few rows of the same width (one epoch,
   a topology update, a partial last batch and a validation pass), so every Numba kernel the
   real fit calls is compiled or loaded from the cache, with the same dtypes and the same
   size-dependent code paths; then drops it (``gc.collect()`` and glibc's ``malloc_trim(0)``,
   so memory the warm-up freed but the allocator kept does not hide the fit's own growth);
3. reads VmRSS, resets the peak (``/proc/self/clear_refs`` <- "5", so VmHWM = VmRSS), times
   ``fit`` with ``time.perf_counter`` and reads VmHWM: the peak RSS growth during the fit;
4. optionally (``"profile": true``) fits once more under cProfile and keeps the top entries by
   cumulative time (and by own time), each with its share of the profiled fit.

Every fit uses the paper's protocol: ``standardize=True``, attribution on every mini-batch,
topology update every 10 steps (``update_every``), ``max_iter`` epochs with
``n_iter_no_change = max_iter`` so all of them run, ``random_state=0``; batch size, network
``(1000, 100)``, Adam and the rest are the estimator's defaults.

Data specs: ``"madelon"`` (the bundled set's X_train/y_train, as loaded) or
``{"kind": "normal", "n", "d", "classes"}`` (float32 N(0, 1); labels from the sum of the
first 5 columns, cut at quantiles) or ``{"kind": "coil", "n", "d", "classes"}`` (COIL-20-like:
float32 pixel values in [0, 1], a random prototype image per class plus noise).
"""

import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a file: make ``bench`` and ``sparsefs`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.machine import reset_peak, thread_env  # noqa: E402  (standard library only)

THREAD_ENV_AT_START = thread_env()

import cProfile  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import pstats  # noqa: E402

import numpy as np  # noqa: E402

from bench.machine import numba_threading  # noqa: E402

WARM_ROWS = 300  # warm-up rows: 240 training rows = batches 100, 100, 40; 60 validation rows
TOP = 10


# ---------------------------------------------------------------------------------- memory
def proc_status(key):
    """``key`` ("VmRSS", "VmHWM") of /proc/self/status in bytes, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def release_freed_memory():
    """Return memory the allocator keeps after frees to the OS (glibc); True if it ran."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        return True
    except (OSError, AttributeError):
        return False


# ---------------------------------------------------------------------------------- data
def make_data(data, seed=0):
    """(X, y, description) of a data spec (see the module docstring)."""
    if data == "madelon":
        from sparsefs.data import load_dataset

        ds = load_dataset("madelon")
        return ds.X_train, ds.y_train, f"madelon X_train as loaded ({ds.X_train.dtype})"
    rng = np.random.default_rng(seed)
    n, d, c = int(data["n"]), int(data["d"]), int(data.get("classes", 2))
    if data.get("kind", "normal") == "coil":
        y = np.arange(n) % c
        proto = rng.random((c, d), dtype=np.float32)
        X = proto[y] + 0.15 * rng.standard_normal((n, d), dtype=np.float32)
        np.clip(X, 0.0, 1.0, out=X)
        return X, y, f"COIL-20-like float32 {n}x{d}, {c} classes (prototype + noise)"
    X = rng.standard_normal((n, d), dtype=np.float32)
    score = X[:, :5].sum(axis=1, dtype=np.float64)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, c + 1)[1:-1]))
    return X, y, f"float32 N(0,1) {n}x{d}, {c} classes from the first 5 columns"


# ---------------------------------------------------------------------------------- fits
def selector(spec, n_features, **over):
    """The estimator of ``spec`` for data of ``n_features`` columns (it keeps the default
    100 features, or all of narrower data)."""
    from sparsefs import SparseFeatureSelector

    epochs = int(spec["epochs"])
    params = dict(n_features_to_select=min(100, n_features), method=spec["method"],
                  max_iter=epochs, n_iter_no_change=epochs,
                  standardize=True, attribution=True, update_every=10, random_state=0)
    if spec["method"] != "dense":
        params["density"] = float(spec["density"])
    params.update(spec.get("params", {}))
    params.update(over)
    return SparseFeatureSelector(**params)


def warm_up(spec, X, y):
    """A fit of one epoch on ``WARM_ROWS`` random rows (all rows when there are fewer), with a
    topology update every 2 steps so the update kernels load too; returns its seconds."""
    n = X.shape[0]
    if n > WARM_ROWS:
        rows = np.sort(np.random.default_rng(1).permutation(n)[:WARM_ROWS])
        Xw, yw = X[rows], y[rows]
    else:
        Xw, yw = X, y
    t0 = time.perf_counter()
    selector(spec, X.shape[1], max_iter=1, n_iter_no_change=1, update_every=2).fit(Xw, yw)
    return time.perf_counter() - t0


def _label(func):
    filename, line, name = func
    if filename == "~":  # a built-in
        return name
    parts = filename.replace(os.sep, "/").split("/")
    if "sparsefs" in parts:
        short = "/".join(parts[parts.index("sparsefs"):])
    elif "site-packages" in parts:
        short = "/".join(parts[parts.index("site-packages") + 1:])
    else:
        short = parts[-1]
    return f"{short}:{line}({name})"


def profile_fit(spec, X, y):
    """Fit under cProfile; the top entries by cumulative and by own time (shares of the
    profiled fit) and the attribution share (``neuron_attribution`` cumulative / fit)."""
    sel = selector(spec, X.shape[1])
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    sel.fit(X, y)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # func -> (cc, nc, tottime, cumtime, callers)
    fit_cum = max((v[3] for f, v in stats.items()
                   if f[2] == "fit" and f[0].endswith("_selector.py")), default=None)
    total = fit_cum or wall

    def entry(func, v):
        return {"function": _label(func), "ncalls": int(v[1]), "tottime": float(v[2]),
                "cumtime": float(v[3]), "share": float(v[3]) / total,
                "own_share": float(v[2]) / total}

    # The fit itself and scikit-learn's _fit_context wrapper are 100% by definition; the
    # profiler's own disable() call is noise.
    def skip(func):
        return (func[2] == "fit" and func[0].endswith("_selector.py")) or \
            (func[2] == "wrapper" and "sklearn" in func[0]) or \
            "_lsprof" in func[2] or "disable" in func[2]

    items = [(f, v) for f, v in stats.items() if not skip(f)]
    by_cum = sorted(items, key=lambda t: -t[1][3])[:TOP]
    by_own = sorted(items, key=lambda t: -t[1][2])[:TOP]
    attr = sum(v[3] for f, v in stats.items()
               if f[2] == "neuron_attribution" and f[0].endswith("importance.py"))
    return {"profiled_fit_seconds": wall, "profiled_fit_cumtime": total,
            "top_cumulative": [entry(f, v) for f, v in by_cum],
            "top_own": [entry(f, v) for f, v in by_own],
            "attribution_seconds": attr, "attribution_share": attr / total if total else None}


def run(spec):
    from sparsefs._config import default_batch_size

    t0 = time.perf_counter()
    X, y, desc = make_data(spec["data"], int(spec.get("seed", 0)))
    t_data = time.perf_counter() - t0
    warm_seconds = warm_up(spec, X, y)
    trimmed = release_freed_memory()
    rss_before = proc_status("VmRSS")
    reset_ok = reset_peak()
    hwm_at_reset = proc_status("VmHWM")
    sel = selector(spec, X.shape[1])
    t0 = time.perf_counter()
    sel.fit(X, y)
    fit_seconds = time.perf_counter() - t0
    hwm = proc_status("VmHWM")
    rss_after = proc_status("VmRSS")
    net = sel.network_
    nnz = [int(layer.nnz) for layer in net.layers]
    out = {
        "spec": spec, "data": desc, "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]), "n_classes": int(len(sel.classes_)),
        "x_dtype": str(X.dtype), "x_bytes": int(X.nbytes),
        "method": spec["method"],
        "density": 1.0 if spec["method"] == "dense" else float(spec["density"]),
        "epochs_run": int(sel.n_iter_), "best_epoch": int(sel.best_epoch_),
        "stopped_by": sel.result_.stopped_by,
        "batch_size": int(sel.batch_size or default_batch_size(X.shape[0])),
        "steps": int(sel.result_.counters.steps),
        "topology_updates": int(sel.result_.counters.topology_updates),
        "shapes": [list(s) for s in net.shapes], "nnz": nnz, "total_nnz": int(sum(nnz)),
        "param_bytes": int(net.nbytes()),
        "fit_seconds": fit_seconds,
        "train_seconds": float(sel.result_.seconds),
        "epoch_seconds": [float(s) for s in np.diff([0.0] + list(sel.history_["seconds"]))],
        "data_seconds": t_data, "warmup_seconds": warm_seconds,
        "rss_before_bytes": rss_before, "rss_after_bytes": rss_after,
        "hwm_reset": reset_ok and hwm_at_reset is not None and rss_before is not None
        and abs(hwm_at_reset - rss_before) <= 4 << 20,
        "malloc_trim": trimmed, "peak_rss_bytes": hwm,
        "peak_growth_bytes": None if hwm is None or rss_before is None else hwm - rss_before,
    }
    del sel, net
    if spec.get("profile"):
        release_freed_memory()
        out["profile"] = profile_fit(spec, X, y)
    out["numba"] = numba_threading()
    now = thread_env()
    out["thread_env"] = THREAD_ENV_AT_START
    out["thread_env_changed"] = {k: now.get(k) for k in set(now) | set(THREAD_ENV_AT_START)
                                 if now.get(k) != THREAD_ENV_AT_START.get(k)}
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    print(json.dumps(run(json.loads(argv[0])), default=float))


if __name__ == "__main__":
    main()

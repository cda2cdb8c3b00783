"""One training-level measurement, run in a fresh process so its peak RSS is its own.

    python -m bench.training_case '{"kind": "epoch", ...}'

prints one JSON object on its last line. Kinds:

``epoch``  ``train_mlp`` (the code path of the CLI) for ``epochs`` timed epochs after a JIT
           warm-up on a tiny network; seconds per epoch, counted FLOPs
           (``sparsefs.nn.accounting``),
           ``network.nbytes()`` and the process's peak RSS. With ``fraction`` < 1 only that
           share of the samples is trained and the epoch time and FLOPs are extrapolated.
``steps``  training steps (mini-batch gather + forward + backward/Adam) of several networks of
           one shape, interleaved in rounds, plus a SET update of the whole sparse network.

Both record ``thread_env``, the threading variables of ``os.environ`` when the process started,
before numpy (and with it OpenBLAS) or Numba's OpenMP layer loaded and read them: the
environment the row really ran with.
"""

import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a file: make ``bench`` and ``sparsefs`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.machine import thread_env  # noqa: E402  (standard library only)

THREAD_ENV_AT_START = thread_env()

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from bench.machine import numba_threading  # noqa: E402
from bench.timing import interleave  # noqa: E402
from sparsefs.data import load_dataset  # noqa: E402
from sparsefs.data.scaling import fit_scale  # noqa: E402
from sparsefs.nn import accounting, topology  # noqa: E402
from sparsefs.nn.network import build_mlp  # noqa: E402
from sparsefs.nn.optim import Optimizer  # noqa: E402
from sparsefs.nn.sparse_layer import SparseLayer  # noqa: E402
from sparsefs.nn.training import Counters, TrainConfig, train_mlp  # noqa: E402


def current_rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------------------------- data
def load_data(spec, rng):
    """(X, y, description) for ``spec["data"]``: "madelon" or a synthetic description."""
    data = spec["data"]
    if data == "madelon":
        ds = load_dataset("madelon")
        X, _ = fit_scale(ds.X_train, ds.X_test, ds.scaling)
        return X, ds.y_train.astype(np.int64), "madelon train part, standardized"
    n, d, c = int(data["n"]), int(data["d"]), int(data.get("classes", 2))
    n = int(round(n * spec.get("fraction", 1.0)))
    if data.get("format", "dense") == "csr":
        X = random_csr(n, d, float(data.get("nnz_frac", 0.01)), rng)
        score = np.asarray(X[:, :50].sum(axis=1)).ravel()
        desc = f"synthetic CSR {n}x{d}, {X.nnz / (n * d):.2%} non-zeros"
    else:
        X = rng.standard_normal((n, d), dtype=np.float32)
        score = X[:, :5].sum(axis=1)
        desc = f"synthetic dense float32 {n}x{d}"
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, c + 1)[1:-1])).astype(np.int64)
    return X, y, desc


def data_bytes(X):
    """Bytes of X as held: the three CSR arrays, or the dense array."""
    if sp.issparse(X):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(X.nbytes)


def random_csr(n, d, frac, rng):
    """A CSR float32 (n, d) with about ``frac * d`` sorted distinct columns per row, N(0,1)."""
    k = max(1, int(round(frac * d)))
    cols = np.sort(rng.integers(0, d, size=(n, k), dtype=np.int64), axis=1)
    keep = np.ones_like(cols, dtype=bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=indptr[1:])
    indices = cols[keep].astype(np.int32)
    data = rng.standard_normal(indices.size, dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(n, d))


# ---------------------------------------------------------------------------------- epoch
def warm_up(X, y, method, spec, rng):
    """Load every kernel a run uses (JIT cache) on a tiny network of the same dtypes."""
    d_small = min(X.shape[1], 64)
    Xs = X[:200, :d_small]
    Xs = sp.csr_matrix(Xs) if sp.issparse(X) else np.ascontiguousarray(Xs)
    net = build_mlp(d_small, int(y.max()) + 1, hidden=(16, 8), method=method,
                    density=0.5, rng=rng)
    cfg = TrainConfig(method=method, epochs=1, batch_size=spec.get("batch", 64),
                      update_every=2, attribution=spec.get("attribution", True))
    train_mlp(net, Xs, y[:200], Xs[:0], y[:0], cfg, rng)


def density_for(spec, shapes):
    """Global density of the spec: given, or from an ERK epsilon (nnz_l = eps (n_in + n_out))."""
    if "epsilon" not in spec:
        return float(spec["density"])
    eps = float(spec["epsilon"])
    total = sum(min(a * b, eps * (a + b)) for a, b in shapes)
    return total / sum(a * b for a, b in shapes)


def run_epoch(spec):
    rng = np.random.default_rng(spec.get("seed", 0))
    t0 = time.perf_counter()
    X, y, desc = load_data(spec, rng)
    t_data = time.perf_counter() - t0
    method = spec["method"]
    hidden = tuple(spec.get("hidden", (1000, 100)))
    n_classes = int(y.max()) + 1
    warm_up(X, y, method, spec, rng)
    shapes = list(zip([X.shape[1], *hidden], [*hidden, n_classes]))
    density = 1.0 if method == "dense" else density_for(spec, shapes)
    rss_before = current_rss_bytes()
    t0 = time.perf_counter()
    net = build_mlp(X.shape[1], n_classes, hidden=hidden, method=method, density=density,
                    optimizer=Optimizer(), rng=rng)
    t_build = time.perf_counter() - t0
    epochs = int(spec.get("epochs", 1))
    cfg = TrainConfig(method=method, epochs=epochs, batch_size=int(spec.get("batch", 64)),
                      patience=10**6, attribution=bool(spec.get("attribution", True)))
    result = train_mlp(net, X, y, X[:0], y[:0], cfg, rng)
    secs = np.diff([0.0] + list(result.history["seconds"]))
    frac = float(spec.get("fraction", 1.0))
    nnz = [layer.nnz for layer in net.layers]
    opt = net.optimizer
    flops = accounting.training_flops(net.shapes, nnz, result.counters, opt, n_classes)
    dflops = accounting.dense_training_flops(net.shapes, result.counters, opt, n_classes)
    per_epoch = {k: v / epochs / frac for k, v in flops.items()}
    eps_real = [z / (a + b) for (a, b), z in zip(net.shapes, nnz)]
    return {
        "kind": "epoch", "spec": spec, "data": desc, "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]), "shapes": [list(s) for s in net.shapes],
        "density": density, "nnz": nnz, "total_nnz": int(sum(nnz)),
        "erk_epsilon_per_layer": eps_real,
        "epoch_seconds": [float(s) / frac for s in secs],
        # The first epoch also pays first-touch page faults and cache warm-up: left out when
        # there are later ones.
        "seconds_per_epoch": float(np.median(secs[1:] if len(secs) > 1 else secs)) / frac,
        "extrapolated_from_fraction": frac if frac < 1 else None,
        "update_every": cfg.update_every, "train_seconds": result.seconds,
        "data_seconds": t_data, "build_seconds": t_build,
        "counters": vars(result.counters),
        "flops_per_epoch": per_epoch, "dense_flops_per_epoch":
            {k: v / epochs / frac for k, v in dflops.items()},
        "param_bytes": int(max(net.nbytes(), result.param_bytes)),
        "param_bytes_per_nnz": max(net.nbytes(), result.param_bytes) / sum(nnz),
        "dense_param_bytes": accounting.dense_param_bytes(net.shapes, opt),
        "rss_before_network_bytes": rss_before, "data_bytes": data_bytes(X),
        "peak_rss_bytes": accounting.peak_rss_bytes(),
        "numba": numba_threading(),
        **_thread_record(),
    }


# ---------------------------------------------------------------------------------- steps
def run_steps(spec):
    """Interleaved training steps of ``spec["variants"]`` (list of [method, density])."""
    rng = np.random.default_rng(spec.get("seed", 0))
    X, y, desc = load_data(spec, rng)
    hidden = tuple(spec.get("hidden", (1000, 100)))
    batch = int(spec.get("batch", 64))
    n_classes = int(y.max()) + 1
    nets, fns, setup = {}, {}, {}
    for method, density in spec["variants"]:
        name = "dense" if method == "dense" else f"{method}@{density}"
        net = build_mlp(X.shape[1], n_classes, hidden=hidden, method=method, density=density,
                        optimizer=Optimizer(), rng=rng)
        nets[name] = net
        fns[name] = _step_fn(net, X, y, batch, rng)
        if method != "dense":
            fns[f"set_update:{name}"] = _set_fn(net, rng)
            setup[f"set_update:{name}"] = _unzero_fn(net, rng)
    timings = interleave(fns, budget=float(spec.get("budget", 2.0)),
                         min_rounds=int(spec.get("min_rounds", 4)), max_rounds=40, warmup=2,
                         setup=setup)
    out = {"kind": "steps", "spec": spec, "data": desc, "batch": batch, "variants": {}}
    for name, net in nets.items():
        nnz = [layer.nnz for layer in net.layers]
        v = {"nnz": nnz, "total_nnz": int(sum(nnz)), "param_bytes": int(net.nbytes()),
             "param_bytes_per_nnz": net.nbytes() / sum(nnz), "step": timings[name]}
        f = accounting.training_flops(net.shapes, nnz, Counters(train_samples=batch, steps=1),
                                      net.optimizer, n_classes)
        v["step_flops"] = f["forward"] + f["backward"] + f["update"]
        if f"set_update:{name}" in timings:
            v["set_update"] = timings[f"set_update:{name}"]
        out["variants"][name] = v
    out["numba"] = numba_threading()
    out.update(_thread_record())
    return out


def _thread_record():
    """``thread_env`` as the process started, plus any variable changed since (none expected:
    nothing the case imports may touch the environment)."""
    now = thread_env()
    changed = {k: now.get(k) for k in set(now) | set(THREAD_ENV_AT_START)
               if now.get(k) != THREAD_ENV_AT_START.get(k)}
    return {"thread_env": THREAD_ENV_AT_START, "thread_env_changed": changed}


def _step_fn(net, X, y, batch, rng):
    n = X.shape[0]
    state = {"s": 0}
    order = rng.permutation(n)

    def step():
        s = state["s"]
        rows = order[np.arange(s, s + batch) % n]
        state["s"] = (s + batch) % n
        XT = net.batch_input(X, rows)
        net.forward(XT)
        net.backward(XT, y[rows])
    return step


def _unzero_fn(net, rng):
    """Untimed: move weights a previous update regrew at 0 off zero, as training steps would."""
    from bench.kernels_bench import unzero

    def prep():
        for layer in net.layers:
            if isinstance(layer, SparseLayer):
                unzero(layer.data, rng)
    return prep


def _set_fn(net, rng):
    def update():
        for layer in net.layers:
            topology.set_update(layer, 0.3, rng)
    return update


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    out = run_epoch(spec) if spec["kind"] == "epoch" else run_steps(spec)
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()

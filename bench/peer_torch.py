"""Optional peer: the published approach, dense weights times a 0/1 mask, in PyTorch (CPU).

    python -m bench.peer_torch '{"cases": [[500, [1.0, 0.2]], ...], "batch": 64}'

Runs in its own process (PyTorch brings its own OpenMP runtime), started with no thread-wait
variable (PyTorch's defaults), and prints one JSON line. Each case is the network
``d -> 1000 -> 100 -> 2`` with the same per-layer non-zero counts as
``sparsefs.nn.network.build_mlp`` (ERK), as dense ``torch.nn.Linear`` weights multiplied by a
fixed mask in the forward pass; one step is forward, cross-entropy, backward, Adam (coupled L2
1e-4 as in sparsefs) and re-masking of the weights. PyTorch is never a dependency of the
package: when ``import torch`` fails the suite is skipped with a message.
"""

import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.machine import thread_env  # noqa: E402  (standard library only)

THREAD_ENV_AT_START = thread_env()  # before numpy and torch load their thread pools

import numpy as np  # noqa: E402

from bench.timing import interleave  # noqa: E402


def available():
    """(True, version) when torch imports in a child process, else (False, reason)."""
    import subprocess
    p = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                       capture_output=True, text=True)
    if p.returncode == 0:
        return True, p.stdout.strip()
    return False, (p.stderr.strip().splitlines() or ["import torch failed"])[-1]


def masked_mlp(torch, d, density, hidden, n_classes, rng):
    from sparsefs.nn import topology
    from sparsefs.nn.init import layer_nnz

    sizes = [d, *hidden, n_classes]
    shapes = list(zip(sizes[:-1], sizes[1:]))
    counts = layer_nnz(shapes, density) if density < 1 else [a * b for a, b in shapes]
    layers, masks = [], []
    for (n_in, n_out), nnz in zip(shapes, counts):
        lin = torch.nn.Linear(n_in, n_out)
        if nnz >= n_in * n_out:  # dense layer: all-ones mask (random_keys would have to
            mask = torch.ones(n_in * n_out, dtype=torch.float32)  # find every position)
        else:
            keys = topology.random_keys(n_in, n_out, nnz, rng)
            mask = torch.zeros(n_in * n_out, dtype=torch.float32)
            mask[torch.from_numpy(keys)] = 1.0
        mask = mask.view(n_in, n_out).t().contiguous()  # nn.Linear stores (n_out, n_in)
        with torch.no_grad():
            lin.weight.mul_(mask)
        layers.append(lin)
        masks.append(mask)
    return layers, masks, counts


def step_fn(torch, layers, masks, X, y, batch, rng):
    params = [p for lin in layers for p in lin.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-4)
    n = X.shape[0]
    order = torch.from_numpy(rng.permutation(n))
    state = {"s": 0}

    def step():
        s = state["s"]
        rows = order[torch.arange(s, s + batch) % n]
        state["s"] = (s + batch) % n
        h = X[rows]
        for k, (lin, m) in enumerate(zip(layers, masks)):
            h = torch.nn.functional.linear(h, lin.weight * m, lin.bias)
            if k < len(layers) - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, y[rows])
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for lin, m in zip(layers, masks):
                lin.weight.mul_(m)
    return step


def main(argv=None):
    import torch

    spec = json.loads((sys.argv[1:] if argv is None else argv)[0])
    torch.set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(spec.get("seed", 0))
    batch = int(spec.get("batch", 64))
    hidden = tuple(spec.get("hidden", (1000, 100)))
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": batch,
           "thread_env": THREAD_ENV_AT_START, "cases": []}
    for d, densities in spec["cases"]:
        X = torch.from_numpy(rng.standard_normal((512, d), dtype=np.float32))
        y = torch.from_numpy((rng.random(512) < 0.5).astype(np.int64))
        fns, info = {}, {}
        for density in densities:
            layers, masks, counts = masked_mlp(torch, d, density, hidden, 2, rng)
            fns[str(density)] = step_fn(torch, layers, masks, X, y, batch, rng)
            info[str(density)] = counts
        t = interleave(fns, budget=float(spec.get("budget", 2.0)), min_rounds=4, warmup=2)
        for density in densities:
            out["cases"].append({"d": d, "density": density, "nnz": info[str(density)],
                                 "step": t[str(density)]["steady"]})
        del fns, X, y
    print(json.dumps(out))


def run(mode, log=print):
    """The peer suite from the parent process: availability check, then one child."""
    import subprocess

    from .machine import CpuMonitor
    from .training_bench import ROOT, clean_env

    ok, why = available()
    if not ok:
        log(f"  peer skipped: PyTorch is not importable ({why}); "
            "`pip install torch` (CPU build) enables it")
        return {"skipped": f"torch not importable: {why}"}
    if mode == "quick":
        cases, budget, timeout = [[500, [1.0, 0.2, 0.05]], [20000, [0.01]]], 1.0, 120
    else:
        cases = [[500, [1.0, 0.2, 0.05, 0.01]], [20000, [1.0, 0.05, 0.01]]]
        budget, timeout = 3.0, 600
    spec = {"cases": cases, "batch": 64, "budget": budget}
    mon = CpuMonitor().start()
    try:
        p = subprocess.run([sys.executable, "-m", "bench.peer_torch", json.dumps(spec)],
                           cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"  peer timed out after {timeout} s (PyTorch's threads on a busy machine?)")
        return {"error": f"timed out after {timeout} s", "spec": spec}
    if p.returncode != 0:
        err = (p.stderr or p.stdout or f"exit code {p.returncode}").strip().splitlines()[-3:]
        log(f"  peer failed: {' | '.join(err)}")
        return {"error": "\n".join(err)}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["others_cores"] = mon.stop()["others_cores"]
    for c in res["cases"]:
        log(f"    torch masked-dense d={c['d']:>6} density={c['density']:<5} "
            f"step {c['step']['median'] * 1e3:8.2f} ms")
    return res


if __name__ == "__main__":
    main()

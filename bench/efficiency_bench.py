"""How close the sparse engine comes to dense BLAS, per operation (part of the kernels suite).

Three measurements, each against a reference timed in the same interleaved rounds:

- ``products``    the forward SpMM and the fused backward (SDDMM + input gradient + Adam) of one
  ``d x 1000`` layer at batch 100, as GFLOP/s, against ``DenseLayer.forward``/``backward``
  (SGEMM) of the same shape: the share of dense throughput the sparse kernels reach.
- ``erk_init``    ``build_mlp`` of a ``d -> 1000 -> 100 -> 2`` ERK network (keys drawn, CSR built,
  weights and Adam state allocated): ns per non-zero.
- ``attribution`` ``neuron_attribution`` of a ``d -> 1000 -> 100 -> C`` network on one
  mini-batch against ``passes`` times one vector-Jacobian product through the same layers
  (``input_grad`` + ReLU masks down to the inputs), and its tracemalloc peak against one
  ``(d, C x batch)`` block, the array it must not form.
"""

import gc
import time
import tracemalloc

import numpy as np

from sparsefs.nn import importance
from sparsefs.nn.network import build_mlp
from sparsefs.nn.optim import Optimizer

from . import flops as F
from .kernels_bench import dense_fits, dense_layer, sparse_layer
from .machine import CpuMonitor
from .timing import interleave

BATCH = 100
N_OUT = 1000
MIN_NNZ = 100_000
QUICK = {"products": [(500, 0.2), (20000, 0.2), (20000, 0.05), (20000, 0.01)],
         "erk": [(20000, 0.05)], "attribution": [(20000, 0.05, 10)], "budget": 0.5}
FULL = {"products": [(500, 0.2), (20000, 0.2), (20000, 0.05), (20000, 0.01),
                     (100000, 0.05), (100000, 0.01)],
        "erk": [(20000, 0.05), (20000, 0.2), (100000, 0.01)],
        "attribution": [(20000, 0.05, 10), (20000, 0.05, 2)], "budget": 1.0}


def _timed(fns, budget, min_rounds=3):
    mon = CpuMonitor().start()
    res = interleave(fns, budget=budget, min_rounds=min_rounds)
    res["others_cores"] = mon.stop()["others_cores"]
    return res


def product_case(d, density, rng, budget):
    """Forward and fused backward of a ``d x 1000`` layer at batch 100, sparse and dense."""
    opt = Optimizer()
    layer = sparse_layer(d, N_OUT, density, rng, opt)
    dense = dense_layer(d, N_OUT, rng, opt) if dense_fits(d, N_OUT, opt) else None
    XT = rng.standard_normal((d, BATCH), dtype=np.float32)
    GT = rng.standard_normal((N_OUT, BATCH), dtype=np.float32) / BATCH
    out = np.empty((N_OUT, BATCH), np.float32)
    dX = np.empty((d, BATCH), np.float32)
    case = {"shape": [d, N_OUT], "density": density, "nnz": layer.nnz, "batch": BATCH}
    for op, fs, fd in (("forward", lambda: layer.forward(XT, out),
                        lambda: dense.forward(XT, out)),
                       ("backward", lambda: layer.backward(XT, GT, dX),
                        lambda: dense.backward(XT, GT, dX))):
        fns = {"sparse": fs} if dense is None else {"sparse": fs, "dense": fd}
        r = _timed(fns, budget)
        s = r["sparse"]["steady"]["median"]
        e = {"sparse_seconds": s, "others_cores": r["others_cores"],
             "sparse_gflops": F.op_flops(op, (d, N_OUT), layer.nnz, BATCH, opt) / s / 1e9}
        if dense is not None:
            t = r["dense"]["steady"]["median"]
            e["dense_seconds"] = t
            e["dense_gflops"] = F.op_flops(op, (d, N_OUT), d * N_OUT, BATCH, opt) / t / 1e9
            e["share_of_dense"] = e["sparse_gflops"] / e["dense_gflops"]
        case[op] = e
    return case


def erk_case(d, density, seed=0, repeats=3):
    """ns per non-zero of ``build_mlp`` (the ERK initialisation a fit starts with)."""
    times, nnz = [], 0
    for r in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        net = build_mlp(d, 2, (1000, 100), "set", density, rng=seed + r)
        times.append(time.perf_counter() - t0)
        nnz = sum(layer.nnz for layer in net.layers)
        del net
    t = float(np.median(times))
    return {"d": d, "density": density, "nnz": nnz, "seconds": t, "ns_per_nnz": t / nnz * 1e9,
            "runs": times}


def one_vjp(network, XT, dX):
    """One vector-Jacobian product from the outputs down to the inputs (class 0's softmax
    cotangent): the pass neuron attribution repeats once per class."""
    acts, _ = network.buffers(XT.shape[1])
    G = network.loss_fn.cotangents(acts[-1], np.array([0]))
    network.layers[0].input_grad(importance.back_to_first_layer(network, acts, G), dX)


def attribution_case(d, density, classes, rng, budget):
    net = build_mlp(d, classes, (1000, 100), "set", density, rng=rng)
    XT = rng.standard_normal((d, BATCH), dtype=np.float32)
    net.forward(XT)
    acc = np.zeros(d)
    dX = np.empty((d, BATCH), np.float32)
    r = _timed({"attribution": lambda: importance.neuron_attribution(net, XT, acc),
                "one_pass": lambda: one_vjp(net, XT, dX)}, budget)
    passes = importance.attribution_passes(net)
    t_attr = r["attribution"]["steady"]["median"]
    t_pass = r["one_pass"]["steady"]["median"]
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        importance.neuron_attribution(net, XT, acc)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    block = d * classes * BATCH * XT.itemsize
    return {"d": d, "density": density, "classes": classes, "passes": passes, "batch": BATCH,
            "nnz": [x.nnz for x in net.layers], "attribution_seconds": t_attr,
            "one_pass_seconds": t_pass, "vs_passes": t_attr / (passes * t_pass),
            "vs_classes": t_attr / (classes * t_pass), "peak_bytes": int(peak),
            "block_bytes": int(block), "others_cores": r["others_cores"]}


def run(mode="quick", log=print, seed=1):
    cfg = QUICK if mode == "quick" else FULL
    rng = np.random.default_rng(seed)
    out = {"batch": BATCH, "products": [], "erk_init": [], "attribution": []}
    for d, density in cfg["products"]:
        if density * d * N_OUT < MIN_NNZ:
            continue
        c = product_case(d, density, rng, cfg["budget"])
        out["products"].append(c)
        log(f"  batch {BATCH} {d}x{N_OUT} d={density}: forward "
            f"{c['forward'].get('share_of_dense', float('nan')):.2f} of dense, backward "
            f"{c['backward'].get('share_of_dense', float('nan')):.2f}")
        gc.collect()
    for d, density in cfg["erk"]:
        e = erk_case(d, density)
        out["erk_init"].append(e)
        log(f"  ERK init d={d} density {density}: {e['ns_per_nnz']:.1f} ns/nnz")
    for d, density, classes in cfg["attribution"]:
        a = attribution_case(d, density, classes, rng, cfg["budget"])
        out["attribution"].append(a)
        log(f"  attribution d={d} C={classes}: {a['vs_classes']:.2f} x classes x one pass, "
            f"peak {a['peak_bytes'] / 2**20:.1f} MiB vs block {a['block_bytes'] / 2**20:.0f} MiB")
    return out


"""Kernel level: one layer ``n_in x n_out``, sparse (CSR + Numba) against dense NumPy/BLAS.

For every shape and density the sparse layer, the dense layer of the same shape and a streaming
copy of the sparse kernel's compulsory bytes are timed in interleaved rounds (``timing``):

- ``forward``     SpMM ``W^T X^T + b``                  vs ``DenseLayer.forward`` (GEMM)
- ``backward``    fused SDDMM + input gradient + Adam   vs ``DenseLayer.backward`` (2 GEMM + Adam)
- ``sddmm``       weight gradient at the non-zeros     vs the dense gradient GEMM ``X^T G^T``
- ``input_grad``  ``W G``                              vs GEMM
- ``set``         ``topology.set_update`` (zeta 0.3)    vs SET on a dense weight array + 0/1 mask
- ``rigl``        ``topology.rigl_update`` (zeta 0.3)   vs the dense gradient GEMM alone
- ``attribution`` ``importance.neuron_attribution`` of a 3-layer network ``n_in -> n_out -> 100
  -> 2`` whose first layer is this one, vs the same chain with dense layers.

(``topology`` is :mod:`sparsefs.nn.topology`, ``importance`` :mod:`sparsefs.nn.importance`.)
"""

import gc
import math
import time
import tracemalloc

import numpy as np

from sparsefs.nn import importance, topology
from sparsefs.nn.dense_layer import DenseLayer
from sparsefs.nn.init import init_values, layer_nnz
from sparsefs.nn.network import MLP
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.sparse_layer import SparseLayer
from sparsefs.nn.topology.grow import RIGL_BLOCK_BYTES

from . import flops as F
from .machine import CpuMonitor
from .timing import copy_fn, interleave

_ALL = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
FULL = {"shapes": [(500, 1000), (5000, 1000), (20000, 1000), (100000, 1000)],
        "densities": {500: _ALL, 5000: _ALL, 20000: _ALL[1:], 100000: [0.05, 0.02, 0.01]},
        "budget": 1.0}
QUICK = {"shapes": [(500, 1000), (20000, 1000)],
         "densities": {500: [0.2, 0.05, 0.01], 20000: [0.05, 0.01]}, "budget": 0.5}
BATCH = 64
ZETA = 0.3
DENSE_LIMIT_BYTES = 2 << 30     # dense W + gradient + Adam state must stay below this
RIGL_WORK_LIMIT = {"quick": 8e6, "full": 2.5e7}  # blocks x regrown count (see rigl_work)
RIGL_TARGET = ((20000, 1000), 0.05)


def sparse_layer(n_in, n_out, density, rng, optimizer):
    nnz = max(1, int(round(density * n_in * n_out)))
    keys = topology.random_keys(n_in, n_out, nnz, rng)
    values = init_values(n_in, nnz, rng, np.float32)
    bias = init_values(n_in, n_out, rng, np.float32)
    return SparseLayer(n_in, n_out, keys, values, bias, optimizer)


def dense_layer(n_in, n_out, rng, optimizer):
    W = rng.uniform(-1, 1, size=(n_in, n_out)).astype(np.float32)
    W *= 1.0 / math.sqrt(n_in)
    return DenseLayer(W, init_values(n_in, n_out, rng, np.float32), optimizer)


def dense_fits(n_in, n_out, optimizer):
    return (2 + optimizer.n_state) * 4 * n_in * n_out <= DENSE_LIMIT_BYTES


def rigl_work(n_in, n_out, nnz):
    """``blocks x count`` of one ``rigl_update`` (float32, the package's block size): a rough
    size of the call, to skip the cases whose single call would take many seconds."""
    rows = max(1, RIGL_BLOCK_BYTES // (4 * n_out))
    return math.ceil(n_in / rows) * math.ceil(ZETA * nnz)


def unzero(values, rng, scale=1e-2):
    """Give weights left at exactly 0 by a regrow small random values, untimed.

    In training, ``update_every`` optimizer steps move regrown weights off zero before the next
    update; repeated updates without steps would instead partition an array with ~zeta of
    exact ties, which is several times slower for ``np.partition`` than real weights.
    """
    z = values == 0
    values[z] = rng.uniform(-scale, scale, size=int(z.sum())).astype(values.dtype)


class DenseMaskSET:
    """The prior-art SET: a dense weight array and a dense 0/1 mask, O(n_in * n_out) a step."""

    def __init__(self, W, layer):
        self.W = W
        self.mask = np.zeros(W.shape, dtype=bool)
        self.mask.reshape(-1)[layer.keys()] = True
        self.W.reshape(-1)[~self.mask.reshape(-1)] = 0

    def update(self, zeta, rng):
        flat, m = self.W.reshape(-1), self.mask.reshape(-1)
        idx = np.flatnonzero(m)
        n_drop = int(math.ceil(zeta * idx.size))
        drop = idx[np.argpartition(np.abs(flat[idx]), n_drop - 1)[:n_drop]]
        m[drop] = False
        flat[drop] = 0
        empty = np.flatnonzero(~m)
        m[rng.choice(empty, size=n_drop, replace=False)] = True

    def unzero(self, rng, scale=1e-2):
        flat, m = self.W.reshape(-1), self.mask.reshape(-1)
        z = np.flatnonzero(m & (flat == 0))
        flat[z] = rng.uniform(-scale, scale, size=z.size).astype(flat.dtype)


def _phase(fns, budget, monitor_key, out, min_rounds=3, max_rounds=15, setup=None):
    mon = CpuMonitor().start()
    res = interleave(fns, budget=budget, min_rounds=min_rounds, max_rounds=max_rounds,
                     setup=setup)
    res["others_cores"] = mon.stop()["others_cores"]
    out[monitor_key] = res
    return res


def _rates(entry, flops, nbytes, copy_bytes):
    """Add speedup, GFLOP/s, GB/s and bandwidth fraction to a phase result."""
    s = entry["sparse"]["steady"]["median"]
    d = entry.get("dense")
    entry["sparse_seconds"] = s
    if d is not None:
        entry["dense_seconds"] = d["steady"]["median"]
        entry["speedup"] = entry["dense_seconds"] / s
    if flops is not None:
        entry["sparse_gflops"] = flops["sparse"] / s / 1e9
        if d is not None:
            entry["dense_gflops"] = flops["dense"] / entry["dense_seconds"] / 1e9
        entry["flops"] = flops
    if nbytes is not None:
        entry["bytes"] = nbytes
        entry["sparse_gbs"] = nbytes["sparse"] / s / 1e9
        if "copy" in entry:
            t_copy = entry["copy"]["steady"]["median"]
            entry["copy_bytes"] = copy_bytes
            entry["copy_gbs"] = copy_bytes / t_copy / 1e9
            entry["bw_fraction"] = entry["sparse_gbs"] / entry["copy_gbs"]


def run_case(layer, dense, shape, density, rng, budget, mode):
    """All phases of one (shape, density); returns a dict of phase name -> result."""
    n_in, n_out = shape
    opt = layer.optimizer
    nnz = layer.nnz
    XT = rng.standard_normal((n_in, BATCH), dtype=np.float32)
    GT = rng.standard_normal((n_out, BATCH), dtype=np.float32) / BATCH
    out_s, out_d = np.empty((n_out, BATCH), np.float32), np.empty((n_out, BATCH), np.float32)
    dx_s, dx_d = np.empty((n_in, BATCH), np.float32), np.empty((n_in, BATCH), np.float32)
    res = {"shape": list(shape), "density": density, "nnz": nnz, "batch": BATCH,
           "dense_run": dense is not None, "phases": {}}
    ph = res["phases"]
    mats = {
        "forward": (lambda: layer.forward(XT, out_s), lambda: dense.forward(XT, out_d)),
        "backward": (lambda: layer.backward(XT, GT, dx_s), lambda: dense.backward(XT, GT, dx_d)),
        "sddmm": (lambda: layer.weight_grad(XT, GT),
                  lambda: np.matmul(XT, GT.T, out=dense.grad)),
        "input_grad": (lambda: layer.input_grad(GT, dx_s), lambda: dense.input_grad(GT, dx_d)),
    }
    for op, (fs, fd) in mats.items():
        b_s = F.op_bytes(op, shape, nnz, BATCH, True, perm_bytes=layer.mirror()[3].itemsize,
                         n_state=opt.n_state)
        b_d = F.op_bytes(op, shape, n_in * n_out, BATCH, False, n_state=opt.n_state)
        cfn, cbytes = copy_fn(b_s)
        fns = {"sparse": fs, "copy": cfn}
        if dense is not None:
            fns["dense"] = fd
        entry = _phase(fns, budget, op, ph)
        fl = {"sparse": F.op_flops(op, shape, nnz, BATCH, opt),
              "dense": F.op_flops(op, shape, n_in * n_out, BATCH, opt)}
        _rates(entry, fl, {"sparse": b_s, "dense": b_d}, cbytes)
    # Topology: SET against the dense-mask SET of the prior art.
    set_fns = {"sparse": lambda: topology.set_update(layer, ZETA, rng)}
    prep = {"sparse": lambda: unzero(layer.data, rng)}
    if dense is not None:
        ref = DenseMaskSET(dense.grad, layer)  # the gradient buffer serves as the masked W
        set_fns["dense"] = lambda: ref.update(ZETA, rng)
        prep["dense"] = lambda: ref.unzero(rng)
    entry = _phase(set_fns, budget, "set", ph, min_rounds=2, setup=prep)
    _rates(entry, None, None, None)
    entry["ns_per_nnz"] = entry["sparse_seconds"] / nnz * 1e9
    del set_fns
    # RigL against the dense gradient GEMM it has to do anyway.
    work = rigl_work(n_in, n_out, nnz)
    if work <= RIGL_WORK_LIMIT[mode] or (shape, density) == RIGL_TARGET:
        rigl_fns = {"sparse": lambda: topology.rigl_update(layer, ZETA, XT, GT)}
        if dense is not None:
            rigl_fns["dense"] = lambda: np.matmul(XT, GT.T, out=dense.grad)
        entry = _phase(rigl_fns, budget, "rigl", ph, min_rounds=2, max_rounds=8,
                       setup={"sparse": lambda: unzero(layer.data, rng)})
        _rates(entry, None, None, None)
        entry["ns_per_nnz"] = entry["sparse_seconds"] / nnz * 1e9
        entry.update(rigl_memory(layer, XT, GT))
    else:
        ph["rigl"] = {"skipped": f"blocks x regrown = {work:.2g} > {RIGL_WORK_LIMIT[mode]:.2g}: "
                                 "one call would take many seconds (see report)"}
    # Attribution chain through a 3-layer network whose first layer is this one.
    ph["attribution"] = attribution_phase(layer, dense, shape, density, rng, budget)
    return res


def rigl_memory(layer, XT, GT):
    """Peak extra bytes (tracemalloc) of one ``rigl_update``, and of its scoring part alone."""
    unzero(layer.data, np.random.default_rng(0))
    keep, n_drop = topology.prune_smallest(layer, ZETA)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        topology.rigl_regrow(layer, keep, n_drop, XT, GT)
        score_peak = tracemalloc.get_traced_memory()[1] - base
        del keep
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        topology.rigl_update(layer, ZETA, XT, GT)
        call_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return {"extra_bytes_update": int(call_peak), "extra_bytes_scoring": int(score_peak),
            "dense_gradient_bytes": int(layer.n_in * layer.n_out * XT.itemsize)}


def attribution_phase(layer, dense, shape, density, rng, budget):
    n_in, n_out = shape
    opt = layer.optimizer
    shapes = [(n_in, n_out), (n_out, 100), (100, 2)]
    counts = layer_nnz(shapes, density)
    rest = [sparse_layer(a, b, min(1.0, c / (a * b)), rng, opt)
            for (a, b), c in zip(shapes[1:], counts[1:])]
    net_s = MLP([layer] + rest)
    XT = rng.standard_normal((n_in, BATCH), dtype=np.float32)
    net_s.forward(XT)
    acc = np.zeros(n_in)
    fns = {"sparse": lambda: importance.neuron_attribution(net_s, XT, acc)}
    if dense is not None:
        net_d = MLP([dense] + [dense_layer(a, b, rng, opt) for a, b in shapes[1:]])
        net_d.forward(XT)
        fns["dense"] = lambda: importance.neuron_attribution(net_d, XT, acc)
    mon = CpuMonitor().start()
    entry = interleave(fns, budget=budget, min_rounds=3)
    entry["others_cores"] = mon.stop()["others_cores"]
    nnz = [lay.nnz for lay in net_s.layers]
    fl = {"sparse": F.network_flops(shapes, nnz, opt, 2, attribution_samples=BATCH)["attribution"],
          "dense": F.network_flops(shapes, [a * b for a, b in shapes], opt, 2,
                                   attribution_samples=BATCH)["attribution"]}
    _rates(entry, fl, None, None)
    entry["nnz"] = nnz
    return entry


def run(mode="quick", log=print, seed=0):
    """The kernel suite; returns a JSON-ready dict with one entry per (shape, density)."""
    cfg = QUICK if mode == "quick" else FULL
    rng = np.random.default_rng(seed)
    opt = Optimizer()
    cases = []
    t_start = time.perf_counter()
    for shape in cfg["shapes"]:
        dense = dense_layer(*shape, rng, opt) if dense_fits(*shape, opt) else None
        for density in cfg["densities"][shape[0]]:
            t0 = time.perf_counter()
            layer = sparse_layer(*shape, density, rng, opt)
            build = time.perf_counter() - t0
            res = run_case(layer, dense, shape, density, rng, cfg["budget"], mode)
            res["build_seconds"] = build
            res["seconds"] = time.perf_counter() - t0
            cases.append(res)
            p = res["phases"]
            log(f"  {shape[0]:>6}x{shape[1]} d={density:<5} nnz={res['nnz']:>9,}  "
                + "  ".join(f"{op} {p[op].get('speedup', float('nan')):5.2f}x"
                            for op in ("forward", "backward", "sddmm", "set"))
                + f"  fwd {p['forward']['sparse_gflops']:.1f} GF/s"
                + f"  [{res['seconds']:.1f}s]")
            del layer, res
            gc.collect()
        del dense
        gc.collect()
    return {"mode": mode, "batch": BATCH, "zeta": ZETA, "cases": cases,
            "seconds": time.perf_counter() - t_start}

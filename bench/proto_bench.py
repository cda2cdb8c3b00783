"""Time the prototypes of ``proto_kernels`` against the sparsefs kernels they would replace.

    python -m bench.proto_bench [--out bench/results/proto.json] [--quick]

Each pair is checked for equal results first, then timed in interleaved rounds at 1 thread
(robust on a shared machine) and at all threads.
"""

import argparse
import json
import os
import sys

import numba
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsefs import topology  # noqa: E402
from sparsefs.optim import Optimizer  # noqa: E402

from bench import proto_kernels as P  # noqa: E402
from bench.kernels_bench import rigl_work, sparse_layer, unzero  # noqa: E402
from bench.machine import CpuMonitor, machine_info  # noqa: E402
from bench.timing import interleave  # noqa: E402

B = 64
ZETA = 0.3


def clone(layer):
    from sparsefs.layers import SparseLayer
    c = SparseLayer(layer.n_in, layer.n_out, layer.keys(), layer.data.copy(), layer.bias.copy(),
                    layer.optimizer)
    c.state = [s.copy() for s in layer.state]
    return c


def check_set(layer, rng):
    old = dict(zip(layer.keys().tolist(), layer.data.tolist()))
    nnz = layer.nnz
    P.set_update_merge(layer, ZETA, rng)
    keys = layer.keys()
    assert layer.nnz == nnz and np.all(np.diff(keys) > 0), "CSR not sorted/unique"
    kept = [k for k, w in zip(keys.tolist(), layer.data.tolist()) if w != 0]
    assert all(old[k] == w for k, w in zip(kept, layer.data[layer.data != 0].tolist()))
    assert (layer.data == 0).sum() >= int(np.ceil(ZETA * nnz)) - 1


def run_shape(n_in, n_out, density, rng, threads_list, budget):
    opt = Optimizer()
    layer = sparse_layer(n_in, n_out, density, rng, opt)
    XT = rng.standard_normal((n_in, B), dtype=np.float32)
    GT = rng.standard_normal((n_out, B), dtype=np.float32) / B
    res = {"shape": [n_in, n_out], "density": density, "nnz": layer.nnz, "by_threads": {}}
    keep, n_drop = topology.prune_smallest(layer, ZETA)
    do_rigl = rigl_work(n_in, n_out, layer.nnz) <= 1e7  # sparsefs's version: seconds a call
    if do_rigl:
        a = P.call_rigl_regrow(layer, keep, n_drop, XT, GT)
        b = P.rigl_regrow_threshold(layer, keep, n_drop, XT, GT)
        res["rigl_same_keys"] = bool(np.array_equal(a, b))
    check_set(clone(layer), np.random.default_rng(1))
    grad = np.empty((n_in, n_out), np.float32)
    for threads in threads_list:
        numba.set_num_threads(threads)
        mon = CpuMonitor().start()
        rg = {"sparsefs": lambda: P.call_rigl_regrow(layer, keep, n_drop, XT, GT),
              "threshold": lambda: P.rigl_regrow_threshold(layer, keep, n_drop, XT, GT),
              "gemm": lambda: np.matmul(XT, GT.T, out=grad)}
        if not do_rigl:
            rg = {"gemm": rg["gemm"], "threshold": rg["threshold"]}
        rg = interleave(rg, budget=budget, min_rounds=2, max_rounds=6)
        l1, l2 = clone(layer), clone(layer)
        r1, r2 = np.random.default_rng(2), np.random.default_rng(3)
        st = interleave({"sparsefs": lambda: topology.set_update(l1, ZETA, r1),
                         "merge": lambda: P.set_update_merge(l2, ZETA, r2)},
                        budget=budget, min_rounds=3,
                        setup={"sparsefs": lambda: unzero(l1.data, r1),
                               "merge": lambda: unzero(l2.data, r2)})
        med = {k: {n: v["steady"]["median"] for n, v in d.items()}
               for k, d in (("rigl_regrow", rg), ("set_update", st))}
        res["by_threads"][threads] = {"median_seconds": med,
                                      "others_cores": mon.stop()["others_cores"]}
        r, s = med["rigl_regrow"], med["set_update"]
        print(f"  {n_in:>6}x{n_out} d={density:<5} nnz={layer.nnz:>9,} threads={threads}: "
              f"rigl regrow {r.get('sparsefs', float('nan')) * 1e3:8.1f} -> "
              f"{r['threshold'] * 1e3:7.1f} ms "
              f"(GEMM {r['gemm'] * 1e3:.1f})  SET {s['sparsefs'] / layer.nnz * 1e9:5.0f} -> "
              f"{s['merge'] / layer.nnz * 1e9:4.0f} ns/nnz", flush=True)
    numba.set_num_threads(max(threads_list))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.proto_bench")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results",
                                                  "proto.json"))
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    cases = [(500, 1000, 0.2), (5000, 1000, 0.05), (20000, 1000, 0.05), (20000, 1000, 0.01)]
    if not args.quick:
        cases += [(100000, 1000, 0.01)]
    threads = sorted({1, numba.config.NUMBA_NUM_THREADS})
    out = {"machine": machine_info(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
           "cases": [run_shape(*c, rng, threads, 0.6 if args.quick else 1.5) for c in cases]}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""FLOP and byte accounting from the real arrays and the real number of samples processed.

Convention: a multiply-add is 2 FLOPs; only arithmetic on weights is counted (products, the
optimizer update, topology scoring); element-wise activation work, which is the same for sparse
and dense networks and small beside the products, is left out. Per layer with ``nnz`` stored
weights, per sample:

- forward: ``2 nnz`` (training, validation and prediction passes alike);
- backward: ``2 nnz`` for the weight gradient, plus ``2 nnz`` for the input gradient of every
  layer but the first;
- attribution: ``2 nnz`` per class (one vector-Jacobian product per class through every layer;
  one in all for two softmax classes, whose gradients are mirror images);

per optimizer step: ``flops_per_weight * (nnz + n_out)`` (biases included; see
:attr:`Optimizer.flops_per_weight`);
per topology update: ``nnz`` for the magnitude partition (SET and RigL), plus for RigL
``2 n_in n_out batch`` for the dense gradient of the mini-batch.
Each ``nnz`` is the layer's at the time: the training loop sums nnz x samples per phase
(``Counters.work``), so a first layer that input pruning shrinks is counted exactly.
This module is the one place the convention lives: the CLI, the study and ``bench/`` all call it.
The dense network of the same shape is counted with ``nnz = n_in n_out`` and no topology updates.
"""

import resource
import sys

from .training import Counters


def training_flops(shapes, nnz, counters, optimizer, n_classes):
    """FLOPs of a training run, by phase.

    Parameters
    ----------
    shapes : list of (n_in, n_out)
    nnz : list of int
        Stored weights per layer at the end (used for every phase when the counters hold no
        per-layer ``work``, i.e. when nnz was constant).
    counters : sparsefs.nn.training.Counters
    optimizer : Optimizer
    n_classes : int

    Returns
    -------
    dict with ``forward``, ``backward``, ``update``, ``topology``, ``attribution``, ``total``.
    """
    work = counters.work or constant_work(nnz, counters)

    def phase(name, layers=slice(None)):
        return sum(work.get(name, [0] * len(nnz))[layers])

    fwd = 2 * (phase("train") + phase("eval"))
    bwd = 2 * phase("train") + 2 * phase("train", slice(1, None))
    upd = optimizer.flops_per_weight * (phase("step") + counters.steps * sum(b for _, b in shapes))
    # Full layers (ERK may make a small one dense) are never pruned or regrown.
    sparse = [k for k, ((a, b), z) in enumerate(zip(shapes, nnz)) if z < a * b]
    updates = work.get("update", [0] * len(nnz))
    topo = (sum(updates[k] for k in sparse)
            + 2 * counters.topology_grad_samples * sum(shapes[k][0] * shapes[k][1] for k in sparse))
    attr = 2 * (counters.attribution_passes or n_classes) * phase("attribution")
    out = {"forward": fwd, "backward": bwd, "update": upd, "topology": topo, "attribution": attr}
    out = {k: int(v) for k, v in out.items()}
    out["total"] = sum(out.values())
    return out


def constant_work(nnz, counters):
    """``Counters.work`` of a run whose layers kept ``nnz`` stored weights throughout."""
    per = {"train": counters.train_samples, "eval": counters.eval_samples,
           "attribution": counters.attribution_samples, "step": counters.steps,
           "update": counters.topology_updates}
    return {name: [int(z) * int(count) for z in nnz] for name, count in per.items()}


def dense_training_flops(shapes, counters, optimizer, n_classes):
    """FLOPs of the dense network of the same shape processing the same samples."""
    dense = Counters(**{**vars(counters), "topology_updates": 0, "topology_grad_samples": 0,
                        "work": {}})
    return training_flops(shapes, [a * b for a, b in shapes], dense, optimizer, n_classes)


def dense_param_bytes(shapes, optimizer, itemsize=4):
    """Bytes of a dense network's weights, gradient buffer, biases and optimizer state."""
    weights = sum(a * b for a, b in shapes)
    biases = sum(b for _, b in shapes)
    per_value = (2 + optimizer.n_state) * itemsize  # value, gradient buffer, state
    return int((weights + biases) * per_value)


def peak_rss_bytes():
    """Peak resident set size of this process so far, in bytes.

    Linux's VmHWM first: ``ru_maxrss`` survives fork + exec, so a child of a large process
    would report its parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)

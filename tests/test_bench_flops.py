"""FLOP accounting used by the benchmark: a hand count, real counters, and the bench CLI."""

import os
import subprocess
import sys

import numpy as np
import pytest

from sparsefs.nn import accounting
from sparsefs.nn.optim import Optimizer
from sparsefs.nn.training import Counters

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A tiny network 4 -> 3 -> 2 with 6 of 12 and 4 of 6 weights stored (both layers sparse).
SHAPES = [(4, 3), (3, 2)]
NNZ = [6, 4]
# RigL-like counters (the grow rule formed the dense gradient of 7 samples); SET forms none.
COUNTERS = dict(train_samples=10, steps=3, eval_samples=5, attribution_samples=10,
                topology_updates=2, topology_grad_samples=7)
SET_COUNTERS = dict(COUNTERS, topology_grad_samples=0)


def hand_count(nnz, opt_per_weight, counters=COUNTERS, n_classes=2):
    """The convention of accounting.py's docstring, written out number by number."""
    c = counters
    total_nnz = nnz[0] + nnz[1]                       # 10 for the sparse network
    biases = 3 + 2
    forward = 2 * total_nnz * (c["train_samples"] + c["eval_samples"])
    # per sample: 2 nnz per layer for the weight gradient, 2 nnz for the input gradient of the
    # second layer only (the first needs none)
    backward = (2 * nnz[0] + 2 * nnz[1] + 2 * nnz[1]) * c["train_samples"]
    update = opt_per_weight * (total_nnz + biases) * c["steps"]
    # per topology update, per layer that is not full: nnz for the magnitude partition; per
    # sample whose dense gradient a grow rule formed: 2 n_in n_out per such layer
    sparse_nnz = sum(z for (a, b), z in zip(SHAPES, nnz) if z < a * b)
    sparse_sizes = sum(a * b for (a, b), z in zip(SHAPES, nnz) if z < a * b)
    topology = (sparse_nnz * c["topology_updates"]
                + 2 * sparse_sizes * c["topology_grad_samples"])
    attribution = 2 * n_classes * total_nnz * c["attribution_samples"]
    return {"forward": forward, "backward": backward, "update": update, "topology": topology,
            "attribution": attribution,
            "total": forward + backward + update + topology + attribution}


def test_hand_count_set_adam():
    got = accounting.training_flops(SHAPES, NNZ, Counters(**SET_COUNTERS), Optimizer("adam"), 2)
    # 300 + 280 + 14*15*3 + 10*2 + 2*2*10*10
    assert got == {"forward": 300, "backward": 280, "update": 630, "topology": 20,
                   "attribution": 400, "total": 1630}
    assert got == hand_count(NNZ, 14, SET_COUNTERS)


def test_hand_count_rigl_sgd_and_dense():
    got = accounting.training_flops(SHAPES, NNZ, Counters(**COUNTERS), Optimizer("sgd"), 2)
    assert got["topology"] == 20 + 2 * (12 + 6) * 7
    assert got["update"] == 4 * 15 * 3
    assert got == hand_count(NNZ, 4)
    dense = accounting.dense_training_flops(SHAPES, Counters(**COUNTERS), Optimizer("adam"), 2)
    assert dense == hand_count([12, 6], 14)  # full layers: no topology work at all
    assert dense["total"] == 540 + 480 + 14 * 23 * 3 + 0 + 2 * 2 * 18 * 10


def test_full_layer_has_no_topology_flops():
    # ERK may make a small layer full: it is never pruned or regrown, so it counts nothing.
    got = accounting.training_flops(SHAPES, [6, 6], Counters(**COUNTERS), Optimizer("adam"), 2)
    assert got["topology"] == 6 * 2 + 2 * 12 * 7
    assert got == hand_count([6, 6], 14)


def test_bench_op_flops_follow_accounting(monkeypatch):
    monkeypatch.syspath_prepend(ROOT)  # bench/ is not part of the installed package
    from bench.flops import network_flops, op_flops
    nnz, batch, shape = 1234, 64, (50, 40)
    for opt, per_weight in ((Optimizer("adam"), 14), (Optimizer("sgd"), 4)):
        assert op_flops("forward", shape, nnz, batch, opt) == 2 * nnz * batch
        assert op_flops("sddmm", shape, nnz, batch, opt) == 2 * nnz * batch
        assert op_flops("input_grad", shape, nnz, batch, opt) == 2 * nnz * batch
        assert (op_flops("backward", shape, nnz, batch, opt)
                == 4 * nnz * batch + per_weight * (nnz + 40))
    got = network_flops(SHAPES, NNZ, Optimizer(), 2, attribution_samples=10)
    assert got["attribution"] == 2 * 2 * 10 * 10 and got["total"] == got["attribution"]


@pytest.mark.parametrize("method", ["set", "rigl"])
def test_counters_match_what_training_processed(method, monkeypatch):
    import sparsefs.nn.importance as importance_mod
    import sparsefs.nn.topology.rules as rules_mod
    from sparsefs.nn.network import build_mlp
    from sparsefs.nn.training import TrainConfig, train_mlp

    rng = np.random.default_rng(0)
    n, n_val, d, batch, epochs, every = 50, 10, 8, 16, 3, 2
    X = rng.standard_normal((n + n_val, d)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    net = build_mlp(d, 2, hidden=(6,), method=method, density=0.5, rng=1)
    seen = {"train": 0, "steps": 0, "eval": 0, "attr": 0, "topo_calls": 0, "grad_samples": 0,
            "topo_flops": 0, "vjp_columns": 0}

    backward = net.backward

    def counting_backward(XT, yb):
        seen["train"] += XT.shape[1]
        seen["steps"] += 1
        return backward(XT, yb)
    monkeypatch.setattr(net, "backward", counting_backward)
    loss = net.loss

    def counting_loss(Xv, yv, *a, **k):
        seen["eval"] += len(yv)
        return loss(Xv, yv, *a, **k)
    monkeypatch.setattr(net, "loss", counting_loss)
    attribution = importance_mod.neuron_attribution

    def counting_attribution(network, XT, out=None):
        seen["attr"] += XT.shape[1]
        return attribution(network, XT, out)
    monkeypatch.setattr(importance_mod, "neuron_attribution", counting_attribution)
    first_vjp = net.layers[0].input_grad_abs_sum

    def counting_vjp(G, scale, out):
        seen["vjp_columns"] += G.shape[1]  # one column per sample and class computed
        return first_vjp(G, scale, out)
    monkeypatch.setattr(net.layers[0], "input_grad_abs_sum", counting_vjp)
    update_layer = rules_mod.update_layer

    def counting_update(layer, zeta, prune, grow, r, XT=None, GT=None):
        seen["topo_calls"] += 1
        if layer.density < 1:  # by hand: a magnitude partition, plus RigL's dense gradient
            seen["topo_flops"] += layer.nnz
            if XT is not None:
                seen["grad_samples"] += XT.shape[1]
                seen["topo_flops"] += 2 * layer.n_in * layer.n_out * XT.shape[1]
        return update_layer(layer, zeta, prune, grow, r, XT, GT)
    monkeypatch.setattr(rules_mod, "update_layer", counting_update)

    cfg = TrainConfig(method=method, epochs=epochs, batch_size=batch, update_every=every,
                      patience=100)
    res = train_mlp(net, X[:n], y[:n], X[n:], y[n:], cfg, rng)
    c = res.counters
    layers = len(net.layers)
    steps_per_epoch = -(-n // batch)
    # What the loop really did ...
    assert seen["train"] == n * epochs and seen["steps"] == steps_per_epoch * epochs
    assert seen["eval"] == n_val * epochs and seen["attr"] == n * epochs
    assert seen["topo_calls"] == layers * (seen["steps"] // every)
    # ... is what the counters say.
    assert c.train_samples == seen["train"]
    assert c.steps == seen["steps"]
    assert c.eval_samples == seen["eval"]
    assert c.attribution_samples == seen["attr"]
    assert c.topology_updates * layers == seen["topo_calls"]
    if method == "rigl":
        assert seen["grad_samples"] > 0
        assert c.topology_grad_samples * layers == seen["grad_samples"]
    else:
        assert seen["grad_samples"] == 0 and c.topology_grad_samples == 0
    # And the FLOPs follow from those counts by the documented convention.
    nnz = [layer.nnz for layer in net.layers]
    assert all(z < a * b for (a, b), z in zip(net.shapes, nnz))  # both layers are sparse
    got = accounting.training_flops(net.shapes, nnz, c, net.optimizer, 2)
    total_nnz, biases = sum(nnz), sum(b for _, b in net.shapes)
    assert got["forward"] == 2 * total_nnz * (seen["train"] + seen["eval"])
    assert got["backward"] == (2 * total_nnz + 2 * (total_nnz - nnz[0])) * seen["train"]
    assert got["update"] == 14 * (total_nnz + biases) * seen["steps"]
    assert got["topology"] == seen["topo_flops"]
    # Two softmax classes: one vector-Jacobian product per sample gives both classes' terms.
    assert seen["vjp_columns"] == seen["attr"]
    assert got["attribution"] == 2 * total_nnz * seen["vjp_columns"]


def test_bench_run_help():
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--help"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "--quick" in p.stdout and "--suite" in p.stdout

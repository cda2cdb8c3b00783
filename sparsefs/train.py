"""The training loop of the paper's protocol: mini-batch Adam, dynamic sparse topology updates,
early stopping on validation loss, and importance accumulated over every training mini-batch.

``train_mlp`` is the one code path for training; the scikit-learn estimator, the CLI and the
benchmarks all go through it.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from . import topology
from .importance import neuron_attribution, neuron_strength

METRICS = ("attr", "strength")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (the paper's protocol by default).

    Attributes
    ----------
    method : {"set", "rigl", "dense"}
    epochs : int
        Maximum number of epochs.
    batch_size : int
    update_every : int
        Optimizer steps between topology updates.
    zeta, zeta_end : float
        Drop fraction at the first and at the planned last step (cosine decay between).
    patience : int
        Epochs without a better validation loss before stopping.
    max_time : float or None
        Seconds after which training stops at the end of the current epoch.
    attribution : bool
        Accumulate neuron attribution (costs about C backward passes per mini-batch).
    """

    method: str = "set"
    epochs: int = 200
    batch_size: int = 100
    update_every: int = 10
    zeta: float = 0.3
    zeta_end: float = 0.005
    patience: int = 50
    max_time: float = None
    attribution: bool = True


@dataclass
class Counters:
    """What the run processed, for FLOP accounting: samples, steps, topology updates."""

    train_samples: int = 0
    steps: int = 0
    eval_samples: int = 0
    attribution_samples: int = 0
    topology_updates: int = 0
    rigl_grad_samples: int = 0


@dataclass
class TrainResult:
    """Outcome of :func:`train_mlp`.

    ``scores[metric][variant]`` is a (d,) float64 array for metric in ``METRICS`` and variant in
    ``"sum_to_best"`` (the paper's main variant: summed over all mini-batches of epochs 1..best),
    ``"best_epoch"`` (that epoch's mini-batches only) and ``"last_batch"`` (the final mini-batch).
    """

    network: object
    history: dict
    best_epoch: int
    epochs_run: int
    scores: dict
    counters: Counters
    seconds: float
    stopped_by: str = field(default="epochs")


def split_train_validation(n, y, fraction, rng):
    """Indices (train, validation) of a seeded split; stratified when every class can be."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    if fraction <= 0:
        return idx, idx[:0]
    counts = np.bincount(y)
    strat = y if counts[counts > 0].min() >= 2 and round(fraction * n) >= len(counts) else None
    seed = int(rng.integers(2**31 - 1))
    tr, va = train_test_split(idx, test_size=fraction, random_state=seed, stratify=strat)
    return np.sort(tr), np.sort(va)


def train_mlp(network, X_tr, y_tr, X_val, y_val, config, rng, progress=None):
    """Train ``network`` in place and return the best epoch's network and importances.

    Parameters
    ----------
    network : MLP
    X_tr : ndarray (n_train, d) float, C-contiguous, or scipy.sparse CSR
    y_tr : ndarray (n_train,) int labels 0..C-1
    X_val, y_val : validation part, same layout; may be empty (then the training loss decides).
    config : TrainConfig
    rng : numpy.random.Generator
        Drives batch order and SET regrowth.
    progress : callable(dict) -> bool or None, optional
        Called after every epoch with that epoch's history row; returning True stops training.

    Returns
    -------
    TrainResult
    """
    start = time.perf_counter()
    d, n = network.n_features, X_tr.shape[0]
    bs = max(1, min(config.batch_size, n))
    steps_per_epoch = -(-n // bs)
    total_steps = steps_per_epoch * config.epochs
    sparse = config.method in ("set", "rigl")
    counters = Counters()
    history = {k: [] for k in ("epoch", "train_loss", "val_loss", "nnz", "zeta", "seconds")}
    cum = {m: np.zeros(d) for m in METRICS}
    best = {"loss": np.inf, "epoch": 0, "params": None,
            "sum_to_best": {m: np.zeros(d) for m in METRICS},
            "best_epoch": {m: np.zeros(d) for m in METRICS}}
    last = {m: np.zeros(d) for m in METRICS}
    zeta = config.zeta
    stopped_by = "epochs"
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        epoch_sum = {m: np.zeros(d) for m in METRICS}
        order = rng.permutation(n)
        loss_sum = 0.0
        for s in range(0, n, bs):
            rows = order[s:s + bs]
            XT = network.batch_input(X_tr, rows)
            network.forward(XT)
            last["strength"][:] = 0
            neuron_strength(network, last["strength"])
            if config.attribution:
                last["attr"][:] = 0
                neuron_attribution(network, XT, last["attr"])
                counters.attribution_samples += len(rows)
            for m in METRICS:
                epoch_sum[m] += last[m]
            loss_sum += network.backward(XT, y_tr[rows]) * len(rows)
            counters.train_samples += len(rows)
            counters.steps += 1
            if sparse and counters.steps % config.update_every == 0:
                zeta = topology.cosine_zeta(counters.steps, total_steps, config.zeta,
                                            config.zeta_end)
                _update_topology(network, config.method, zeta, XT, rng)
                counters.topology_updates += 1
                if config.method == "rigl":
                    counters.rigl_grad_samples += len(rows)
        for m in METRICS:
            cum[m] += epoch_sum[m]
        train_loss = loss_sum / n
        if len(y_val):
            val_loss = network.loss(X_val, y_val)
            counters.eval_samples += len(y_val)
        else:
            val_loss = train_loss
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
               "nnz": sum(layer.nnz for layer in network.layers), "zeta": zeta,
               "seconds": time.perf_counter() - start}
        for k, v in row.items():
            history[k].append(v)
        if val_loss < best["loss"]:
            best["loss"], best["epoch"] = val_loss, epoch
            best["params"] = [layer.copy_params() for layer in network.layers]
            for m in METRICS:
                best["sum_to_best"][m][:] = cum[m]
                best["best_epoch"][m][:] = epoch_sum[m]
        if progress is not None and progress(row):
            stopped_by = "callback"
            break
        if not np.isfinite(train_loss):
            stopped_by = "diverged"
            break
        if epoch - best["epoch"] >= config.patience:
            stopped_by = "early_stopping"
            break
        if config.max_time is not None and row["seconds"] >= config.max_time:
            stopped_by = "max_time"
            break
    if best["params"] is not None:
        for layer, snap in zip(network.layers, best["params"]):
            layer.load_params(snap)
    scores = {m: {"sum_to_best": best["sum_to_best"][m], "best_epoch": best["best_epoch"][m],
                  "last_batch": last[m].copy()} for m in METRICS}
    return TrainResult(network=network, history=history, best_epoch=best["epoch"],
                       epochs_run=epoch, scores=scores, counters=counters,
                       seconds=time.perf_counter() - start, stopped_by=stopped_by)


def _update_topology(network, method, zeta, XT, rng):
    """Prune and regrow every sparse layer after the step just taken on the batch XT."""
    if method == "set":
        for layer in network.layers:
            topology.set_update(layer, zeta, rng)
    else:
        for layer, (inp, grad) in zip(network.layers, network.layer_io(XT)):
            topology.rigl_update(layer, zeta, inp, grad)

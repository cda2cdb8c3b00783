"""The training loop of the paper's protocol: mini-batch steps, dynamic topology updates,
early stopping on validation loss with best-epoch restore, importance on every mini-batch.

``train_mlp`` is the one code path for training; the scikit-learn estimator, the CLI, the study
and the benchmarks all go through it. It is a loop over three named parts: an
:class:`~sparsefs.nn.importance.ImportanceAccumulator`, an optional
:class:`~sparsefs.nn.topology.TopologyRule` and :class:`EarlyStopping`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import _config
from .importance import ImportanceAccumulator, attribution_passes
from .network import MLP
from .thread_budget import ThreadBudget
from .topology import make_rule

HISTORY_KEYS = ("epoch", "train_loss", "val_loss", "nnz", "zeta", "seconds", "threads")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (the paper's protocol by default).

    Attributes
    ----------
    method : {"set", "rigl", "guided", "dense"}
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
    keep_importance_history : bool
        Keep every epoch's importance (epochs x d float32 per metric) in the result.
    attribution_every : int
        Compute attribution on every k-th mini-batch only (1, the paper's schedule: every
        batch). Its cost is about C input-gradient passes per batch, so k divides the largest
        share of a many-class fit; the guided rule, which steers on it, always takes every
        batch.
    prune_min_inputs : int
        "guided-prune" only: the fewest inputs input pruning leaves active.
    """

    method: str = _config.METHOD
    epochs: int = _config.EPOCHS
    batch_size: int = _config.BATCH_SIZE
    update_every: int = _config.UPDATE_EVERY
    zeta: float = _config.ZETA
    zeta_end: float = _config.ZETA_END
    patience: int = _config.PATIENCE
    max_time: float = None
    attribution: bool = True
    keep_importance_history: bool = False
    attribution_every: int = 1
    prune_min_inputs: int = _config.PRUNE_MIN_INPUTS

    def topology_rule(self):
        """The method's :class:`TopologyRule`, or None for the dense baseline."""
        extra = {"min_inputs": self.prune_min_inputs} if self.method == "guided-prune" else {}
        return make_rule(self.method, zeta=self.zeta, zeta_end=self.zeta_end,
                         update_every=self.update_every, **extra)


@dataclass
class Counters:
    """What the run processed, for FLOP accounting: samples, steps, topology updates.

    ``topology_grad_samples`` counts the mini-batch samples whose dense gradient a grow rule
    formed (RigL), ``attribution_samples`` those attribution was computed on, with
    ``attribution_passes`` vector-Jacobian products each (0: one per class). ``work[phase]``
    holds, per layer, the sum over that phase's samples (or steps, or updates) of the layer's
    stored weights at the time, so FLOPs stay exact when input pruning shrinks a layer; phases
    are "train", "eval", "attribution" (per sample), "step" and "update" (per event).
    ``param_bytes`` is the most the layers held, taken after each epoch's first forward pass
    (when every gathering layer has built its by-output mirror).
    """

    train_samples: int = 0
    steps: int = 0
    eval_samples: int = 0
    attribution_samples: int = 0
    topology_updates: int = 0
    topology_grad_samples: int = 0
    attribution_passes: int = 0
    param_bytes: int = 0
    work: dict = field(default_factory=dict)

    def add_work(self, phase, network, count):
        """Add ``count`` x each layer's current nnz to ``work[phase]`` (a list per layer)."""
        acc = self.work.setdefault(phase, [0] * len(network.layers))
        for k, layer in enumerate(network.layers):
            acc[k] += int(layer.nnz) * int(count)


@dataclass
class TrainResult:
    """Outcome of :func:`train_mlp`.

    ``scores[metric][variant]`` is a (d,) float64 array for metric in ``METRICS`` and variant
    in ``IMPORTANCE_VARIANTS`` (see :meth:`ImportanceAccumulator.scores`);
    ``importance_history[metric]`` the (epochs_run, d) float32 per-epoch importance when the
    config asked for it, else None. ``param_bytes`` is the most the layers held during
    training (see :class:`Counters`; the by-output mirrors are not kept after it).
    """

    network: object
    history: dict
    best_epoch: int
    epochs_run: int
    scores: dict
    counters: Counters
    seconds: float
    stopped_by: str = field(default="epochs")
    published_best_epoch: int = 0
    importance_history: dict | None = None
    param_bytes: int = 0


class EarlyStopping:
    """Keep the epoch of lowest validation loss; stop after ``patience`` epochs without one.

    ``observe`` snapshots the network's weights (and topology) at each new best; ``restore``
    loads that snapshot back at the end of training.
    """

    def __init__(self, patience):
        self.patience = patience
        self.best_loss, self.best_epoch, self._snapshot = np.inf, 0, None

    def observe(self, network, epoch, val_loss):
        """Record one epoch; returns True when it is the new best."""
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, epoch
            self._snapshot = None  # released before the copy: never two snapshots at once
            self._snapshot = [layer.copy_params() for layer in network.layers]
            return True
        return False

    def patience_over(self, epoch):
        return epoch - self.best_epoch >= self.patience

    def restore(self, network):
        if self._snapshot is not None:
            for layer, snap in zip(network.layers, self._snapshot):
                layer.load_params(snap)


def train_mlp(network: MLP, X_tr, y_tr: np.ndarray, X_val, y_val: np.ndarray,
              config: TrainConfig, rng: np.random.Generator,
              progress: Callable[[dict], bool] | None = None, *,
              train_rows: np.ndarray | None = None,
              val_rows: np.ndarray | None = None) -> TrainResult:
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
    train_rows, val_rows : ndarray of int, optional
        Rows of ``X_tr``/``y_tr`` (and of ``X_val``/``y_val``, usually the same arrays) to
        train and validate on, so a split needs no copy of X. Default: all rows.

    Returns
    -------
    TrainResult
    """
    start = time.perf_counter()
    train_rows = np.arange(X_tr.shape[0]) if train_rows is None else np.asarray(train_rows)
    val_rows = np.arange(X_val.shape[0]) if val_rows is None else np.asarray(val_rows)
    n = len(train_rows)
    batch = max(1, min(config.batch_size, n))
    total_steps = -(-n // batch) * config.epochs
    rule = config.topology_rule()
    counters = Counters(attribution_passes=attribution_passes(network))
    importance = ImportanceAccumulator(
        network.n_features, config.attribution or (rule is not None and rule.needs_attribution),
        keep_history=config.keep_importance_history)
    stopping = EarlyStopping(config.patience)
    history = {k: [] for k in HISTORY_KEYS}
    every = 1 if rule is not None and rule.needs_attribution else config.attribution_every
    zeta, stopped_by, epoch = config.zeta, "epochs", 0
    with ThreadBudget() as budget:
        for epoch in range(1, config.epochs + 1):
            importance.start_epoch()
            train_loss, zeta = _run_epoch(network, X_tr, y_tr, train_rows, batch, total_steps,
                                          rule, importance, counters, zeta, rng, every, budget)
            val_loss = train_loss
            if len(val_rows):
                val_loss = network.loss(X_val, y_val, rows=val_rows)
                counters.eval_samples += len(val_rows)
                counters.add_work("eval", network, len(val_rows))
            importance.end_epoch(epoch, val_loss)
            row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                   "nnz": sum(layer.nnz for layer in network.layers), "zeta": zeta,
                   "seconds": time.perf_counter() - start, "threads": budget.threads}
            for k, v in row.items():
                history[k].append(v)
            if stopping.observe(network, epoch, val_loss):
                importance.mark_best()
            if rule is not None:
                rule.end_epoch(network, epoch)
            stopped_by = _stop_reason(row, stopping, config, progress)
            if stopped_by != "epochs":
                break
    stopping.restore(network)
    if rule is not None:
        rule.finish(network)
    network.release_buffers()
    counters.attribution_samples = importance.samples
    return TrainResult(network=network, history=history, best_epoch=stopping.best_epoch,
                       epochs_run=epoch, scores=importance.scores(), counters=counters,
                       seconds=time.perf_counter() - start, stopped_by=stopped_by,
                       published_best_epoch=importance.published_best_epoch,
                       importance_history=importance.history(),
                       param_bytes=counters.param_bytes)


def _run_epoch(network, X, y, train_rows, batch, total_steps, rule, importance, counters, zeta,
               rng, attribution_every, budget):
    """One pass over the rows ``train_rows`` of (X, y) in a random order, with attribution on
    every ``attribution_every``-th step (counted over the whole run), every step timed by the
    thread ``budget``; returns (mean training loss, last zeta)."""
    n = len(train_rows)
    order = rng.permutation(n)
    loss_sum = 0.0
    for s in range(0, n, batch):
        budget.step_started()
        rows = train_rows[order[s:s + batch]]
        XT = network.batch_input(X, rows)
        network.forward(XT)
        if s == 0:
            counters.param_bytes = max(counters.param_bytes, network.nbytes())
        # Before the step: the scores of the weights that saw XT.
        seen = importance.samples
        importance.add_batch(network, XT, counters.steps % attribution_every == 0)
        if importance.samples > seen:
            counters.add_work("attribution", network, importance.samples - seen)
        if rule is not None and rule.needs_attribution:
            rule.observe(network, importance.last["attr"])
        counters.add_work("train", network, len(rows))
        counters.add_work("step", network, 1)
        loss_sum += network.backward(XT, y[rows]) * len(rows)
        counters.train_samples += len(rows)
        counters.steps += 1
        if rule is not None and rule.due(counters.steps):
            counters.add_work("update", network, 1)
            zeta = rule.update(network, XT, counters.steps, total_steps, rng)
            counters.topology_updates += 1
            if rule.grow.needs_gradient:
                counters.topology_grad_samples += len(rows)
        budget.step_finished()
    return loss_sum / n, zeta


def _stop_reason(row, stopping, config, progress):
    """Why training stops after this epoch, or "epochs" to go on (the loop's own end)."""
    if progress is not None and progress(row):
        return "callback"
    if not np.isfinite(row["train_loss"]):
        return "diverged"
    if stopping.patience_over(row["epoch"]):
        return "early_stopping"
    if config.max_time is not None and row["seconds"] >= config.max_time:
        return "max_time"
    return "epochs"

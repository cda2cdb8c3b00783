"""One run of the paper's protocol on a data set: scale, train, rank, evaluate, account.

``run_job`` returns the :class:`~sparsefs.experiments.records.RunRecord` that ``sparsefs train
--output`` writes and that the study and the report read; its keys are documented in the README.
"""

import time

import numpy as np

from .. import __version__
from .. import _config as C
from .._config import IMPORTANCE_VARIANTS, METRICS
from .._ranking import metric_order, rank_features
from .._selector import SparseFeatureSelector
from .._threading import thread_map
from ..data.scaling import fit_scale
from ..nn import accounting
from .evaluate import downstream_scorer, evaluated_rows, evaluation_svc
from .records import RunRecord


def run_job(dataset, method=C.METHOD, density=C.DENSITY, metric=C.METRIC, k=None,
            epochs=C.EPOCHS, seed=0, l2=C.L2, batch_size=None, hidden=C.HIDDEN,
            update_every=C.UPDATE_EVERY, progress=None, max_time=None,
            importance=C.IMPORTANCE, learning_rate=C.LEARNING_RATE, softmax_axis="class",
            score_variants=True, task="auto", importance_history=False, attribution_every=1,
            prune_floor=None):
    """Train on ``dataset`` and evaluate the top ``k`` features of both metrics, and of
    ``metric`` when it is "combined", with SVC (SVR and R^2 for a regression target).

    Parameters
    ----------
    dataset : sparsefs.data.Dataset
        Raw (unscaled) train and test parts; scaled here with the data set's rule.
    method, density, metric, epochs, l2, hidden, update_every : see ``SparseFeatureSelector``.
    k : int, optional
        Features to evaluate; the data set's paper K by default.
    seed : int
        Fixes the validation split, initialisation, batch order and topology updates.
    batch_size : int, optional
        The data set's paper batch size by default.
    progress : callable(dict) -> bool, optional
        Per-epoch callback (see ``train_mlp``).
    importance : "auto", "validated" or one of ``IMPORTANCE_VARIANTS``
        The accumulation whose ranking the record reports (per metric for "auto"; chosen per
        run by the SVC on the validation rows where it means "validated").
    learning_rate : float
    softmax_axis : {"class", "batch"}
        "batch" replicates the published code's training loss (see ``SparseFeatureSelector``).
    score_variants : bool
        Also score the top ``k`` of every importance variant and metric with the SVC, on the
        network's validation rows (trained on its training rows) and on the test split, into
        ``variants``; choices between variants are made on the validation numbers.
    task : {"auto", "classification", "regression"}
        "regression" trains on the label values ``classes[y]`` as numbers; "auto" does so
        when they are non-integer numbers (scikit-learn's ``type_of_target``).
    attribution_every : int
        Attribution on every k-th mini-batch only (1: every batch, the paper's schedule).
    prune_floor : int, optional
        Guided-prune's floor of active inputs (see ``SparseFeatureSelector``); max(100, 2 k)
        by default.
    importance_history : bool
        Keep each epoch's importance in the record (``importance_history[metric]``, one list
        of d values per epoch); refused above ``IMPORTANCE_HISTORY_LIMIT`` values.

    Returns
    -------
    RunRecord (kind "nn"); ``.to_dict()`` is the JSON the README documents. A regression
    record holds ``r2`` where a classification record holds ``accuracy``.
    """
    t0 = time.perf_counter()
    task, y_tr, y_te = _targets(dataset, task)
    score = downstream_scorer(task)
    k = int(k or dataset.k)
    batch_size = int(batch_size or dataset.batch_size)
    X_tr, X_te = fit_scale(dataset.X_train, dataset.X_test, dataset.scaling)
    # "validated" chooses the window with the protocol's own scorer, so a run's choice is the
    # one its ``variants`` validation numbers make (the regression default stays 5-NN).
    chooser = None
    if C.uses_validation_choice(importance) and task != "regression":
        chooser = evaluation_svc()
    sel = SparseFeatureSelector(
        n_features_to_select=k, method=method, density=density, metric=metric,
        hidden_layer_sizes=tuple(hidden), max_iter=epochs,
        batch_size=batch_size, l2=l2, update_every=update_every, importance=importance,
        learning_rate_init=learning_rate, softmax_axis=softmax_axis, standardize=False,
        max_time=max_time, task=task, importance_history=importance_history,
        attribution_every=attribution_every, prune_floor=prune_floor, k_estimator=chooser,
        callback=progress, random_state=seed)
    sel.fit(X_tr, y_tr)
    shown = (*METRICS, metric) if metric not in METRICS else METRICS
    rankings = {m: metric_order(sel.scores_, m) for m in shown}
    scores = dict(zip(shown, thread_map(
        lambda m: score(X_tr, y_tr, X_te, y_te, rankings[m][:k]), shown)))
    regression = task == "regression"
    return RunRecord(
        sparsefs_version=__version__, method=method, metric=metric, k=k, seed=int(seed),
        density=float(density) if method != "dense" else 1.0, l2=float(l2),
        hidden=[int(h) for h in hidden], batch_size=batch_size, importance=importance,
        learning_rate=float(learning_rate), softmax_axis=softmax_axis,
        attribution_every=int(attribution_every) if attribution_every != 1 else None,
        prune_floor=C.prune_floor(k, dataset.n_features, prune_floor)
        if method == "guided-prune" else None,
        **_dataset_fields(dataset, task),
        ranking=rankings[metric].tolist(), rankings={m: r.tolist() for m, r in rankings.items()},
        scores={m: [float(v) for v in sel.scores_[m]] for m in METRICS},
        accuracy=None if regression else scores, r2=scores if regression else None,
        learning_task=task, eval_train_rows=evaluated_rows(X_tr.shape[0]),
        variants=score_all_variants(sel, X_tr, y_tr, X_te, y_te, k, score)
        if score_variants else None,
        windows={"chosen": sel.importance_, "scores": sel.window_scores_}
        if sel.window_scores_ else None,
        **_training_fields(sel),
        **resources(sel.network_, sel.result_.counters, sel.result_.param_bytes),
        seconds={"train": sel.result_.seconds, "total": time.perf_counter() - t0},
    )


def _targets(dataset, task):
    """(task, y_train, y_test): class codes, or the label values as float64 for regression."""
    from .._targets import label_task

    task, y_train = label_task(task, dataset.classes, dataset.y_train, dataset.name)
    if task == "classification":
        return task, y_train, dataset.y_test
    return task, y_train, dataset.classes[dataset.y_test].astype(np.float64)


def _dataset_fields(dataset, task="classification"):
    """The record's description of the data set: name, sizes, image shape, feature names
    (no class count for a regression target)."""
    n_train, n_test = int(dataset.X_train.shape[0]), int(dataset.X_test.shape[0])
    return {"dataset": dataset.name, "n_samples": n_train + n_test, "n_train": n_train,
            "n_test": n_test, "n_features": int(dataset.n_features),
            "n_classes": int(dataset.n_classes) if task == "classification" else None,
            "image_shape": list(dataset.image_shape) if dataset.image_shape else None,
            "feature_names": dataset.feature_names}


def _training_fields(sel):
    """The record's account of training: best epochs, stop reason, per-epoch history, nnz."""
    history = getattr(sel, "importance_history_", None)
    return {"importance_history": {m: h.tolist() for m, h in history.items()}
            if history is not None else None,
            "published_best_epoch": int(sel.result_.published_best_epoch),
            "best_epoch": int(sel.best_epoch_), "epochs_run": int(sel.n_iter_),
            "stopped_by": sel.result_.stopped_by,
            "best_val_loss": float(np.min(sel.history_["val_loss"])),
            "history": {key: [int(v) if key == "threads" else float(v)
                              for v in vals] for key, vals in sel.history_.items()},
            "nnz": [layer.nnz for layer in sel.network_.layers]}


def resources(network, counters, param_bytes=0):
    """The ``flops`` and ``memory`` fields of a run record: this network's FLOPs and bytes
    (the most its layers held during training, ``param_bytes``, or now) next to the dense
    network of the same shape processing the same samples."""
    opt, shapes = network.optimizer, network.shapes
    nnz = [layer.nnz for layer in network.layers]
    flops = accounting.training_flops(shapes, nnz, counters, opt, network.n_classes)
    dense = accounting.dense_training_flops(shapes, counters, opt, network.n_classes)
    return {
        "flops": {"train": flops["total"], "train_dense": dense["total"],
                  "ratio": flops["total"] / dense["total"], "by_phase": flops,
                  "by_phase_dense": dense},
        "memory": {"param_bytes": int(max(network.nbytes(), param_bytes)),
                   "param_bytes_dense": accounting.dense_param_bytes(
                       shapes, opt, np.dtype(network.dtype).itemsize),
                   "peak_rss_bytes": accounting.peak_rss_bytes()}}


def score_all_variants(sel, X_train, y_train, X_test, y_test, k, score):
    """``{variant: {metric: {"val": s, "test": s}}}`` for the top ``k`` of every variant, where
    ``score`` is the downstream scorer (SVC accuracy or SVR R^2, see ``downstream_scorer``).

    "val": the model trained on the network's training rows of ``X_train``, scored on its
    validation rows (the only numbers a choice between variants may use); "test": trained on
    all of ``X_train``, scored on the test split. Identical top-k sets are scored once.
    """
    tr, va = sel.train_indices_, sel.validation_indices_
    scorable = len(va) and len(np.unique(y_train[tr])) > 1
    tops = {(v, m): rank_features(sel.all_scores_[m][v])[:k]
            for v in IMPORTANCE_VARIANTS for m in METRICS}
    first = {}  # each distinct top-k set is scored once, in its first variant's column order
    for top in tops.values():
        first.setdefault(tuple(sorted(top.tolist())), top)
    jobs = [(key, split) for key in first for split in (("val", "test") if scorable
                                                        else ("test",))]

    def run(job):
        key, split = job
        if split == "val":
            return score(X_train[tr], y_train[tr], X_train[va], y_train[va], first[key])
        return score(X_train, y_train, X_test, y_test, first[key])

    done = dict(zip(jobs, thread_map(run, jobs)))
    out = {}
    for (v, m), top in tops.items():
        key = tuple(sorted(top.tolist()))
        out.setdefault(v, {})[m] = {"val": done.get((key, "val")), "test": done[(key, "test")]}
    return out

"""Running a study's tasks: in worker processes (joblib) or on a Dask cluster.

Each task computes one run record and writes it atomically to its own file; a task never
raises, so one failing run does not cancel the others. Workers keep the last data set they
loaded, raw and scaled, so a worker that gets many runs of one data set reads it once.
"""

import json
import time
import traceback
from pathlib import Path

from .. import _config as C
from ..data.writers import write_json_atomic
from ..errors import InputError

MANIFEST = "study.json"
RUNS_DIR = "runs"

# Per worker process: the last data set loaded, raw and scaled.
_CACHE = {}


def clear_cache():
    """Forget the data set cached in this process (the parent runs tasks itself at jobs=1)."""
    _CACHE.clear()


def task_record(task, settings):
    """What a run file stores under "task"; a file whose "task" differs is recomputed."""
    return json.loads(json.dumps({**task, "settings": settings}))


def is_complete(path, task, settings):
    try:
        with open(path) as fh:
            return json.load(fh).get("task") == task_record(task, settings)
    except (OSError, ValueError, AttributeError):
        return False


def parallel(calls, jobs, scheduler):
    """Results of ``calls`` in completion order, through joblib on the chosen backend."""
    import joblib

    if scheduler is None:
        yield from joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(calls)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("Running on Dask needs dask.distributed: install sparsefs[dask] "
                         "(pip install 'sparsefs[dask]'), or drop the scheduler.") from None
    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise InputError(f"Could not reach the Dask scheduler {scheduler} ({exc}); start it "
                         "or check the address.") from None
    try:
        with joblib.parallel_backend("dask"):  # the client just made is Dask's default
            yield from joblib.Parallel(return_as="generator_unordered")(calls)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute_task(task, settings, data_arg, data_dir, path, threads):
    """One task in a worker: compute its record and write it; never raises, so one failing
    run does not cancel the others."""
    base = {"key": task["key"], "seconds": 0.0, "accuracy": None, "error": None}
    if is_complete(path, task, settings):  # another study process finished it meanwhile
        return {**base, "status": "skip"}
    t0 = time.perf_counter()
    try:
        import numba

        previous = numba.get_num_threads()
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        try:
            record = _compute(task, settings, data_arg, data_dir, threads)
        finally:
            numba.set_num_threads(previous)
        record.task = task_record(task, settings)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Rankings of 10^4 ints are the bulk: one line each instead of one line per int.
        write_json_atomic(path, record.to_dict(), indent=None)
    except Exception as exc:
        return {**base, "status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}
    return {**base, "status": "done", "accuracy": record.accuracy,
            "seconds": time.perf_counter() - t0}


def _load(data_arg, data_dir):
    """(Dataset, scaled X_train, scaled X_test), cached for the worker's next task."""
    from ..data import load_dataset
    from ..data.scaling import fit_scale

    key = (data_arg, data_dir)
    if key not in _CACHE:
        _CACHE.clear()  # keep one data set per worker in memory
        ds = load_dataset(data_arg, data_dir=data_dir)
        _CACHE[key] = (ds, *fit_scale(ds.X_train, ds.X_test, ds.scaling))
    return _CACHE[key]


def _compute(task, settings, data_arg, data_dir, threads):
    """The RunRecord of one task: ``run_job``'s plus ``sweep`` {metric: {K: accuracy}}, or
    ``baseline_record``'s."""
    from .baselines import baseline_record
    from .evaluate import accuracy_sweep
    from .protocol import run_job

    ds, X_tr, X_te = _load(data_arg, data_dir)
    k = settings["k"] or ds.k
    keep = max([k, *settings["k_sweep"]])
    if task["kind"] == "baseline":
        return _trimmed(baseline_record(task["method"], ds, X_tr, X_te, seed=task["seed"], k=k,
                                        k_sweep=settings["k_sweep"], n_jobs=threads), keep)
    record = run_job(ds, method=task["method"], density=task["density"],
                     metric=settings.get("metric", C.METRIC), k=k,
                     epochs=settings["epochs"], seed=task["seed"], l2=task["l2"],
                     batch_size=settings["batch_size"], hidden=tuple(settings["hidden"]),
                     update_every=settings["update_every"], max_time=settings["max_time"],
                     importance=settings.get("importance", C.IMPORTANCE),
                     learning_rate=settings.get("learning_rate", C.LEARNING_RATE),
                     softmax_axis=settings.get("softmax_axis", "class"),
                     prune_floor=_floor(settings.get("prune_floor"), keep, ds.n_features))
    record.sweep = {m: accuracy_sweep(X_tr, ds.y_train, X_te, ds.y_test, r,
                                      settings["k_sweep"])
                    for m, r in record.rankings.items()}
    return _trimmed(record, keep)


def _floor(setting, largest_k, n_features):
    """Guided-prune's floor for a study's ``prune_floor`` setting: None (the estimator's
    default), an int, or "sweep": the estimator's own rule applied to the largest K read."""
    return C.prune_floor(largest_k, n_features) if setting == "sweep" else setting


def _trimmed(record, keep):
    """A study record keeps the top ``keep`` of each ranking and no per-feature scores: the
    report needs only accuracies, and a study of wide data sets would otherwise store
    megabytes per run (``sparsefs train --output`` keeps everything)."""
    record.rankings = {m: r[:keep] for m, r in record.rankings.items()}
    record.ranking, record.scores, record.feature_names = None, None, None
    return record

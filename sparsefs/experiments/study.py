"""Grid studies of the paper's protocol, restartable, on local processes or a Dask cluster.

Every run (data set, method, density, L2, seed), and every classical baseline per (data set,
seed), is one task whose record is written atomically to its own file::

    out_dir/study.json                                  the grid and the settings
    out_dir/runs/<dataset>/<method>_d<density>_l2-<l2>_s<seed>.json   SET / RigL
    out_dir/runs/<dataset>/dense_l2-<l2>_s<seed>.json                 dense (density ignored)
    out_dir/runs/<dataset>/baseline-<name>_s<seed>.json               baselines

A restarted study skips every run whose file loads and describes the same task, so a killed
study loses at most the runs in flight. Tasks go through ``joblib.Parallel``: local processes
by default, or Dask's joblib backend for a cluster. One out_dir serves one running study at a
time (stale temporary files are removed when a study starts).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from .. import _config as C
from .._config import METHODS
from ..data.writers import write_json_atomic
from ..errors import InputError
from ._workers import MANIFEST, RUNS_DIR, clear_cache, execute_task, is_complete, parallel
from .grid import check_floor, check_grid, plan_study, split_items


@dataclass
class StudySpec:
    """What a study runs: the grid, the per-run settings and where and how to run it.

    Attributes
    ----------
    datasets : list of str
        Data-set names or file paths (see ``sparsefs.data.load_dataset``).
    methods : subset of ``METHODS``
    densities, l2s : lists of float, or comma-separated strings
        Grid of densities (ignored by "dense") and coupled L2 strengths; "paper" among the
        densities means the paper's chosen density per data set and method (Table 6).
    seeds : list of int, or a spec for :func:`parse_seeds` ("0-9")
    baselines : subset of ``BASELINES``
        Classical rankings, one task per (data set, seed).
    epochs, hidden, batch_size, update_every, max_time, importance, learning_rate,
    softmax_axis : passed to ``run_job``.
    metric : one of ``RANKING_METRICS``
        The record's own ranking. Every run records both metrics' rankings; "combined" also
        records and sweeps the combined one (training is the same as for "attr").
    k : int, optional
        Features evaluated; each data set's paper K (100, madelon 20) by default.
    k_sweep : list of int
        Extra K values at which every ranking is scored (those <= n_features).
    prune_floor : None, int or "sweep"
        Guided-prune's floor of active inputs: None is the estimator's max(100, 2 K), "sweep"
        twice the largest K the study reads (K or the sweep's), so every K read is a choice
        the network made among at least twice as many inputs.
    out_dir : str or path
    jobs : int
        Local worker processes (joblib/loky), or Dask workers with ``scheduler="local"``.
    scheduler : None, "local" or a Dask scheduler address ("tcp://host:port")
        None: joblib processes. "local": a Dask LocalCluster on loopback. An address: that
        cluster, whose workers must see ``data_dir`` and ``out_dir`` at the same paths.
    data_dir : str or path, optional
        Data folder (else $SPARSEFS_DATA, else the cache folder; madelon is bundled).
    threads : int, optional
        Numba threads per task; default all cores shared evenly among local workers, and 1
        on a remote cluster (run one single-threaded Dask worker per core there).
    """

    datasets: list
    methods: tuple = METHODS
    densities: tuple = (C.DENSITY,)
    l2s: tuple = (C.PAPER_L2,)
    seeds: object = (0,)
    baselines: tuple = ()
    epochs: int = C.EPOCHS
    hidden: tuple = C.HIDDEN
    k: int = None
    batch_size: int = None
    update_every: int = C.UPDATE_EVERY
    max_time: float = None
    importance: str = C.IMPORTANCE
    learning_rate: float = C.LEARNING_RATE
    softmax_axis: str = "class"
    metric: str = C.METRIC
    k_sweep: tuple = C.K_SWEEP
    prune_floor: object = None
    out_dir: object = "study"
    jobs: int = 1
    scheduler: str = None
    data_dir: object = None
    threads: int = None

    def grid(self):
        """The grid's values validated and normalised (sorted, without duplicates)."""
        return check_grid(self.methods, self.densities, self.l2s, self.seeds, self.baselines,
                           self.k_sweep, int(self.jobs), self.scheduler)

    def settings(self, k_sweep):
        """The per-run settings every run file records; a study folder keeps one set."""
        return {"epochs": int(self.epochs), "hidden": [int(h) for h in split_items(self.hidden)],
                "k": None if self.k is None else int(self.k),
                "batch_size": None if self.batch_size is None else int(self.batch_size),
                "update_every": int(self.update_every), "max_time": self.max_time,
                "importance": self.importance, "learning_rate": float(self.learning_rate),
                "softmax_axis": self.softmax_axis, "k_sweep": k_sweep,
                # What "auto" means changed once (strength: all_epochs -> validated); a folder
                # made under the other meaning then reports its settings as different.
                **({"auto_importance": dict(C.AUTO_IMPORTANCE)}
                   if self.importance == "auto" else {}),
                # Only a study that asked for another floor records one, so folders made
                # before the option keep matching their settings.
                **({"prune_floor": check_floor(self.prune_floor)}
                   if self.prune_floor is not None else {}),
                **({"metric": self.metric} if self.metric != C.METRIC else {})}

    def threads_per_task(self):
        if self.threads is not None:
            return int(self.threads)
        if self.scheduler not in (None, "local"):
            return 1
        return max(1, (os.cpu_count() or 1) // int(self.jobs))


def run_study(spec: StudySpec, progress: Callable[[dict], None] | None = None) -> dict:
    """Run (or resume) the study ``spec`` (a :class:`StudySpec`); each run's record lands in
    its own file.

    Parameters
    ----------
    spec : StudySpec
    progress : callable(dict), optional
        Called in this process: ``{"event": "start", "total", "todo", "skipped"}`` once, then
        ``{"event": "done"|"error"|"skip", "key", "done", "todo", "seconds", "accuracy",
        "error"}`` as each task finishes.

    Returns
    -------
    dict with out_dir, total, computed (keys), skipped (keys), failed (list of dict with
    key, error, traceback) and seconds. Failed runs have no file and are retried next time.
    """
    t0 = time.perf_counter()
    grid = spec.grid()
    args = _resolve_datasets(spec.datasets, spec.data_dir)
    grid["datasets"] = list(args)
    settings = spec.settings(grid.pop("k_sweep"))
    out = Path(spec.out_dir)
    runs = out / RUNS_DIR
    _update_manifest(out, settings, grid)
    for stale in [*out.glob(".*.tmp"), *runs.rglob(".*.tmp")]:
        stale.unlink()  # left by a killed study; a finished write never leaves one
    tasks = plan_study(list(args), grid["methods"], grid["densities"], grid["l2s"],
                       grid["seeds"], grid["baselines"])
    done = {t["key"] for t in tasks if is_complete(runs / t["key"], t, settings)}
    skipped = [t["key"] for t in tasks if t["key"] in done]
    todo = [t for t in tasks if t["key"] not in done]
    emit = progress or (lambda event: None)
    emit({"event": "start", "total": len(tasks), "todo": len(todo), "skipped": len(skipped)})
    # A named folder travels to the workers (a remote one lacks our environment); the
    # default cache folder is each worker's own.
    data_dir = spec.data_dir or os.environ.get("SPARSEFS_DATA")
    explicit_dir = str(Path(data_dir).expanduser().resolve()) if data_dir else None
    threads = spec.threads_per_task()
    calls = [(execute_task, (t, settings, args[t["dataset"]], explicit_dir,
                             str((runs / t["key"]).resolve()), threads), {}) for t in todo]
    computed, failed = [], []
    try:
        for i, res in enumerate(parallel(calls, int(spec.jobs), spec.scheduler), 1):
            status, trace = res.pop("status"), res.pop("traceback", None)
            if status == "error":
                failed.append({"key": res["key"], "error": res["error"], "traceback": trace})
            elif status == "done":
                computed.append(res["key"])
            else:
                skipped.append(res["key"])
            emit({"event": status, "done": i, "todo": len(todo), **res})
    finally:
        clear_cache()
    return {"out_dir": str(out), "total": len(tasks), "computed": computed,
            "skipped": skipped, "failed": failed, "seconds": time.perf_counter() - t0}


def _resolve_datasets(datasets, data_dir):
    """{canonical name: argument for load_dataset}, checking each exists before any run."""
    from ..data import get_info, is_file_argument, list_datasets

    available = None
    args = {}
    for arg in datasets:
        arg = str(arg)
        path = Path(arg).expanduser()
        if is_file_argument(arg):
            if not path.is_file():
                raise InputError(f"Data file {path} does not exist; check the path.")
            name, arg = path.stem, str(path.resolve())
        else:
            name = get_info(arg).name
            # list_datasets reads no data, it only looks for the files
            available = available or {r["name"]: r for r in list_datasets(data_dir)}
            if available[name]["status"] == "missing":
                raise InputError(f"Data set '{name}' is missing: "
                                 f"{available[name]['path_or_hint']}.")
            arg = name
        if name in args:
            raise InputError(f"Two data sets are both named '{name}'; rename one file.")
        args[name] = arg
    if not args:
        raise InputError("The study has no data set; name at least one.")
    return args


def _update_manifest(out, settings, grid):
    """Write study.json: the settings (which must match an existing study's) and the union of
    this grid with the grids the folder already holds. ``grid`` itself is left as asked: a
    run plans only its own grid, so asking an existing folder for seeds 0-1 runs seeds 0-1,
    not every seed an earlier command asked for."""
    grid = {key: list(values) for key, values in grid.items()}
    path = out / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            raise InputError(f"{path} is unreadable; delete it to start the study afresh "
                             "(finished runs are kept).") from None
        # Both ways: a folder made with --metric combined or a --prune-floor records a key a
        # later command without the option does not, and its runs must not be redone.
        diff = {k: old["settings"].get(k) for k in {**old["settings"], **settings}
                if old["settings"].get(k) != settings.get(k)}
        if diff:
            raise InputError(f"{out} holds a study with other settings ({diff}); use another "
                             "output folder or the same settings.")
        for key, values in old.get("grid", {}).items():
            grid[key] = list(dict.fromkeys([*values, *grid[key]]))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"sparsefs_version": __version__, "settings": settings, "grid": grid,
                      "updated": time.strftime("%Y-%m-%d %H:%M:%S")})

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
from .._config import BASELINES, METHODS
from ..data.writers import write_json_atomic
from ..errors import InputError
from ._workers import MANIFEST, RUNS_DIR, clear_cache, execute_task, is_complete, parallel


def parse_seeds(spec):
    """Seeds from "0-9", "0,3,5", "0-2,7", an int, or an iterable of ints.

    Returns
    -------
    list of int, sorted, without duplicates.
    """
    if isinstance(spec, int):
        return [spec]
    if not isinstance(spec, str):
        return sorted({int(s) for s in spec})
    seeds = set()
    try:
        for part in filter(None, (p.strip() for p in spec.split(","))):
            lo, sep, hi = part.partition("-")
            lo = int(lo)
            hi = int(hi) if sep else lo
            if hi < lo:
                raise ValueError
            seeds.update(range(lo, hi + 1))
    except ValueError:
        raise InputError(f"Seeds '{spec}' are not a range like 0-9 or a list like 0,3,5 of "
                         "non-negative integers; write them that way.") from None
    if not seeds:
        raise InputError("No seeds given; use a range like 0-9 or a list like 0,3,5.")
    return sorted(seeds)


def parse_floats(spec):
    """Floats from "0.5,0.2,5e-5" or an iterable; returns a list in the given order."""
    try:
        return [float(v) for v in _items(spec)]
    except ValueError:
        raise InputError(f"'{spec}' is not a comma-separated list of numbers; write e.g. "
                         "0.5,0.2.") from None


#: The density token that means "the paper's chosen density for this data set and method".
PAPER_DENSITY = "paper"


def parse_densities(spec):
    """Densities from "paper,0.2" or an iterable: floats, and ``PAPER_DENSITY`` as is."""
    items = _items(spec)
    numbers = parse_floats([v for v in items if str(v).strip().lower() != PAPER_DENSITY])
    paper = [PAPER_DENSITY] if any(str(v).strip().lower() == PAPER_DENSITY for v in items) else []
    return paper + numbers


def paper_density(dataset, method):
    """1 - the sparsity the paper chose for ``method``'s attribution column on ``dataset``
    (Table 6), or None where the paper has no such row. The MNIST test-set subset takes the
    full MNIST's choice."""
    from .paper import METHOD_LABEL, load_paper_results

    name = {"mnist_test10k": "mnist"}.get(dataset, dataset)
    column = f"{METHOD_LABEL[method]}-Attr"
    for row in load_paper_results("6"):
        if row["dataset"] == name and row["column"] == column and row["sparsity"] is not None:
            return round(1.0 - row["sparsity"], 6)
    return None


def _densities_for(dataset, method, densities):
    """The grid's densities for one (data set, method), ``PAPER_DENSITY`` resolved, no repeats."""
    out = []
    for d in densities:
        d = paper_density(dataset, method) if d == PAPER_DENSITY else d
        if d is not None and d not in out:
            out.append(float(d))
    return out


def _items(spec):
    """The non-empty items of "a,b,c" or of an iterable."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return [str(v).strip() if isinstance(v, str) else v for v in items if str(v).strip()]


def run_key(dataset, method, density=None, l2=None, seed=0, kind="nn"):
    """File of one run, relative to ``out_dir/runs`` (e.g. "madelon/set_d0.2_l2-0.0001_s3.json")."""
    if kind == "baseline":
        return f"{dataset}/baseline-{method}_s{seed}.json"
    if method == "dense":
        return f"{dataset}/dense_l2-{l2:g}_s{seed}.json"
    return f"{dataset}/{method}_d{density:g}_l2-{l2:g}_s{seed}.json"


def plan_study(datasets, methods, densities, l2s, seeds, baselines=()):
    """The study's tasks, grouped by data set so a worker's data cache is reused.

    Parameters
    ----------
    datasets : list of str
        Canonical data-set names (as used in file names).
    methods, densities, l2s, seeds, baselines : lists of the grid's values; densities may hold
        ``PAPER_DENSITY``, the paper's choice per data set and method (Table 6).

    Returns
    -------
    list of dict with keys key, dataset, kind ("nn" or "baseline"), method, density, l2, seed.
    """
    tasks = []
    for name in datasets:
        for seed in seeds:
            for method in methods:
                dens = [1.0] if method == "dense" else _densities_for(name, method, densities)
                cells = [(d, l2) for d in dens for l2 in l2s]
                for density, l2 in cells:
                    tasks.append({"key": run_key(name, method, density, l2, seed),
                                  "dataset": name, "kind": "nn", "method": method,
                                  "density": float(density), "l2": float(l2), "seed": int(seed)})
            for base in baselines:
                tasks.append({"key": run_key(name, base, seed=seed, kind="baseline"),
                              "dataset": name, "kind": "baseline", "method": base,
                              "density": None, "l2": None, "seed": int(seed)})
    return tasks


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
    k_sweep: tuple = C.K_SWEEP
    prune_floor: object = None
    out_dir: object = "study"
    jobs: int = 1
    scheduler: str = None
    data_dir: object = None
    threads: int = None

    def grid(self):
        """The grid's values validated and normalised (sorted, without duplicates)."""
        return _check_grid(self.methods, self.densities, self.l2s, self.seeds, self.baselines,
                           self.k_sweep, int(self.jobs), self.scheduler)

    def settings(self, k_sweep):
        """The per-run settings every run file records; a study folder keeps one set."""
        return {"epochs": int(self.epochs), "hidden": [int(h) for h in _items(self.hidden)],
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
                **({"prune_floor": _check_floor(self.prune_floor)}
                   if self.prune_floor is not None else {})}

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


def _check_grid(methods, densities, l2s, seeds, baselines, k_sweep, jobs, scheduler):
    """Validate the grid's values; returns them normalised (sorted, without duplicates)."""
    methods = list(dict.fromkeys(m.lower() for m in _items(methods)))
    baselines = list(dict.fromkeys(b.lower() for b in _items(baselines)))
    bad = [m for m in methods if m not in METHODS] + [b for b in baselines if b not in BASELINES]
    if bad:
        raise InputError(f"Unknown method or baseline {', '.join(bad)}; methods are "
                         f"{', '.join(METHODS)} and baselines {', '.join(BASELINES)}.")
    densities = parse_densities(densities)
    paper = densities[:1] if densities[:1] == [PAPER_DENSITY] else []
    densities = paper + sorted(set(densities[len(paper):]), reverse=True)
    l2s = sorted(set(parse_floats(l2s)))
    if not methods and not baselines:
        raise InputError("The study has no method and no baseline; give at least one.")
    if any(m != "dense" for m in methods) and not densities:
        raise InputError("SET and RigL need at least one density; give e.g. 0.5,0.2.")
    if any(not 0 < d <= 1 for d in densities[len(paper):]):
        raise InputError(f"Densities {densities} must lie in (0, 1]; 0.2 keeps 20% of weights.")
    if methods and (not l2s or any(v < 0 for v in l2s)):
        raise InputError(f"L2 strengths {l2s} must be one or more numbers >= 0.")
    seeds = parse_seeds(seeds)
    if any(s < 0 for s in seeds):
        raise InputError(f"Seeds {seeds} must be non-negative integers.")
    k_sweep = sorted({int(v) for v in k_sweep})
    if any(v < 1 for v in k_sweep):
        raise InputError(f"K sweep values {k_sweep} must be positive integers.")
    if jobs < 1:
        raise InputError(f"jobs={jobs}: give 1 or more worker processes.")
    if scheduler is not None and scheduler != "local" and "://" not in str(scheduler):
        raise InputError(f"Scheduler '{scheduler}' is neither 'local' nor an address like "
                         "tcp://host:8786; give one of those.")
    return {"methods": methods, "densities": densities, "l2s": l2s, "seeds": seeds,
            "baselines": baselines, "k_sweep": k_sweep}


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


def _check_floor(floor):
    """``floor`` as a study stores it: a positive int or "sweep"; else an InputError."""
    if floor == "sweep":
        return floor
    text = str(floor).strip()
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"prune floor must be a positive whole number or 'sweep', got "
                         f"{floor!r}; pass e.g. 400 or sweep.")
    return int(text)


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
        diff = {k: old["settings"].get(k) for k in settings
                if old["settings"].get(k) != settings[k]}
        if diff:
            raise InputError(f"{out} holds a study with other settings ({diff}); use another "
                             "output folder or the same settings.")
        for key, values in old.get("grid", {}).items():
            grid[key] = list(dict.fromkeys([*values, *grid[key]]))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"sparsefs_version": __version__, "settings": settings, "grid": grid,
                      "updated": time.strftime("%Y-%m-%d %H:%M:%S")})

"""A study's grid: parsing its values from the command line, validating them and planning one
task per (data set, method, density, L2, seed) and per (data set, baseline, seed).

Nothing here touches a study folder or runs anything (the paper's densities are read from the
packaged tables): the CLI parses with these functions and the study module runs what they plan.
"""

from __future__ import annotations

from .._config import BASELINES, METHODS
from ..errors import InputError


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
        return [float(v) for v in split_items(spec)]
    except ValueError:
        raise InputError(f"'{spec}' is not a comma-separated list of numbers; write e.g. "
                         "0.5,0.2.") from None


#: The density token that means "the paper's chosen density for this data set and method".
PAPER_DENSITY = "paper"


def parse_densities(spec):
    """Densities from "paper,0.2" or an iterable: floats, and ``PAPER_DENSITY`` as is."""
    items = split_items(spec)
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


def split_items(spec):
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


def check_grid(methods, densities, l2s, seeds, baselines, k_sweep, jobs, scheduler):
    """Validate the grid's values; returns them normalised (sorted, without duplicates)."""
    methods = list(dict.fromkeys(m.lower() for m in split_items(methods)))
    baselines = list(dict.fromkeys(b.lower() for b in split_items(baselines)))
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


def check_floor(floor):
    """``floor`` as a study stores it: a positive int or "sweep"; else an InputError."""
    if floor == "sweep":
        return floor
    text = str(floor).strip()
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"prune floor must be a positive whole number or 'sweep', got "
                         f"{floor!r}; pass e.g. 400 or sweep.")
    return int(text)

"""The benchmark report's section on whole fits (the fit suite, ``bench/fit_bench.py``)."""

from sparsefs.experiments.tables import markdown_table

from .machine import env_str
from .report import _f

FIT_INTRO = (
    "Each fit is a whole `SparseFeatureSelector.fit` as a user calls it, the paper's protocol "
    "(`standardize=True`, attribution on every mini-batch, topology update every 10 steps, "
    "`n_iter_no_change = max_iter` so every epoch runs, `random_state=0`, the estimator's "
    "defaults otherwise: batch 100, hidden (1000, 100), Adam), in its own fresh process after "
    "a warm-up fit there (same settings and width on 300 rows, one epoch: kernels compiled or "
    "loaded, then freed memory returned to the OS). Fit s: wall time of `fit`, median "
    "[min-max] over the processes (interleaved rounds). Peak growth: VmHWM after `fit` minus "
    "VmRSS before (the peak is reset after the warm-up). Profile: a second fit in the same "
    "process under cProfile; entries by cumulative time as a share of that fit (call-chain "
    "wrappers included), then by own time (a Numba kernel's time is its dispatcher's own "
    "time). Attr.: `neuron_attribution` cumulative / fit.")


def _fn(label):
    """A profile label as module.function: sparse_layer.backward."""
    if "(" not in label:
        return label
    where, name = label.rsplit("(", 1)
    stem = where.split(":")[0].rsplit("/", 1)[-1].removesuffix(".py")
    return f"{stem}.{name.rstrip(')')}" if stem else name.rstrip(")")


def _top(prof, key, n, share):
    if not prof:
        return "-"
    return ", ".join(f"{_fn(e['function'])} {e[share]:.0%}" for e in prof.get(key, [])[:n])


def _fit_seconds(v):
    s = v.get("fit_seconds")
    if not s:
        return "-"
    if s["n"] == 1:
        return f"{s['median']:.3g}"
    return f"{s['median']:.3g} [{s['min']:.3g}-{s['max']:.3g}] ({s['n']})"


def fit_section(f):
    """The fit suite's table: per case and method, fit seconds, peak RSS growth, ratios vs
    dense, the attribution share and the top of the profile."""
    rows, errors = [], []
    for c in f.get("cases", []):
        for name, v in c.get("variants", {}).items():
            errors += [f"{c['title']} {name}: {r['error']}" for r in v.get("runs", [])
                       if "error" in r]
            g = v.get("peak_growth_median")
            rows.append([
                f"{c['title']}, {c['epochs']} epochs", v["method"],
                "1" if v["method"] == "dense" else f"{v['density']:g}",
                "-" if v.get("total_nnz") is None else f"{v['total_nnz']:,}",
                _fit_seconds(v), _f(v.get("time_vs_dense"), "{:.3f}"),
                _f(None if g is None else g / 2**20, "{:.1f}"),
                _f(v.get("growth_vs_dense"), "{:.3f}"),
                _f(None if v.get("rss_before_median") is None
                   else v["rss_before_median"] / 2**20, "{:.0f}"),
                _f(v.get("attribution_share"), "{:.0%}"),
                _top(v.get("profile"), "top_cumulative", 5, "share"),
                _top(v.get("profile"), "top_own", 3, "own_share"),
                _f(v.get("others_cores_mean"), "{:.1f}")])
    table = markdown_table(["Case", "Method", "Density", "nnz", "Fit s", "Time vs dense",
                            "Peak growth MiB", "Growth vs dense", "RSS before MiB", "Attr.",
                            "Top 5 by cumulative time", "Top 3 by own time", "Others' cores"],
                           rows)
    out = [f"Every child started with {env_str(f.get('settings') or {})} (the sparsefs CLI "
           "policy) and no other thread-wait variable.", "", table]
    if f.get("mode") == "quick":
        out += ["", "Quick mode: fewer processes per variant and, on madelon and the "
                "COIL-20-like data, fewer epochs or variants (see the Case column); the "
                "1,000 x 20,000 cases are the full suite's."]
    huge = next((c for c in f.get("cases", []) if c["name"] == "wide_200k"), None)
    if huge:
        for name, v in huge["variants"].items():
            if v.get("peak_growth_median") is not None and v.get("x_bytes"):
                out += ["", f"{huge['title']} ({name}): growth "
                        f"{v['peak_growth_median'] / 2**20:.1f} MiB against one float32 copy "
                        f"of X ({v['x_bytes'] / 2**20:.1f} MiB) + 100 MiB; "
                        f"{v['steps']} optimizer steps, {v['topology_updates']} topology "
                        "updates in the fit."]
    if errors:
        out += ["", "Failed fits: " + "; ".join(e.replace("\n", " | ")[:200] for e in errors)]
    return "\n".join(out)

"""The fit and files suites' targets (issues 10 and 14): whole fits and whole commands."""

MIB = 1 << 20


def _row(target, threshold, measured, ok, note="", unit=""):
    if measured is None:
        status = "N/A"
    else:
        status = "PASS" if ok else "MISS"
    return {"target": target, "threshold": threshold, "measured": measured, "unit": unit,
            "status": status, "note": note}


# ---------------------------------------------------------------------------------- fit suite
def _fit_variant(results, case, variant):
    for c in (results.get("fit") or {}).get("cases", []):
        if c.get("name") == case:
            return c.get("variants", {}).get(variant)
    return None


def _fit_note(v, dense, key, fmt):
    """What a fit ratio compares: both medians, process counts, epochs run, others' cores."""
    parts = [f"SET {fmt(v[key])} vs dense {fmt(dense[key])} (median of {v['n_ok']} / "
             f"{dense['n_ok']} fresh processes, each fit after a warm-up fit)"]
    epochs = sorted(set(v["epochs_run"]) | set(dense["epochs_run"]))
    parts.append(f"epochs run {'/'.join(str(e) for e in epochs)}")
    oc = [x["others_cores_mean"] for x in (v, dense) if x.get("others_cores_mean") is not None]
    if oc:
        parts.append(f"others' cores {max(oc):.2f}")
    return "; ".join(parts)


def fit_rows(results):
    """The fit suite's targets (``bench/fit_bench.py``): whole ``SparseFeatureSelector.fit``
    calls, ratios of medians measured in the same run."""
    rows = []
    dense = _fit_variant(results, "wide_20k", "dense")
    for density, thr in ((0.2, 0.5), (0.05, 0.15), (0.01, 0.06)):
        v = _fit_variant(results, "wide_20k", f"set@{density:g}")
        r = None if v is None or dense is None else v.get("time_vs_dense")
        note = _fit_note(v, dense, "fit_seconds_median", lambda x: f"{x:.2f} s") \
            if r is not None else ""
        rows.append(_row(f"Fit time sparse/dense, 1,000 x 20,000 float32, 5 epochs, density "
                         f"{density:g} (whole SparseFeatureSelector.fit, attribution on)",
                         f"<= {thr:g}", r, r is not None and r <= thr, note, "x"))
    v = _fit_variant(results, "wide_20k", "set@0.05")
    r = None if v is None or dense is None else v.get("growth_vs_dense")
    note = ""
    if r is not None:
        note = _fit_note(v, dense, "peak_growth_median", lambda x: f"{x / MIB:.1f} MiB")
        note += "; growth = VmHWM after fit - VmRSS before (peak reset after the warm-up)"
        if not (v.get("hwm_reset") and dense.get("hwm_reset")):
            note += "; **the peak could not be reset: growth includes the warm-up**"
    rows.append(_row("Peak RSS growth during fit sparse/dense, 1,000 x 20,000, density 0.05",
                     "<= 0.5", r, r is not None and r <= 0.5, note, "x"))
    v = _fit_variant(results, "wide_200k", "set@0.005")
    g = None if v is None else v.get("peak_growth_median")
    if g is not None:
        x = v["x_bytes"]
        thr = x + 100 * MIB
        threshold = f"<= {thr / MIB:.0f} MiB (X float32 {x / MIB:.1f} MiB + 100)"
        note = (f"VmRSS before fit {v['rss_before_median'] / MIB:.0f} MiB (X and the warm "
                f"process); {v['steps']} steps, {v['topology_updates']} topology updates; "
                f"network {v['param_bytes'] / MIB:.1f} MiB")
        if not v.get("hwm_reset"):
            note += "; **the peak could not be reset: growth includes the warm-up**"
    else:
        thr, threshold, note = None, "<= float32 X + 100 MiB", ""
    rows.append(_row("200 x 200,000 float32, SET density 0.005, 2 epochs: peak RSS growth of "
                     "a warm process during fit", threshold, None if g is None else g / MIB,
                     g is not None and g <= thr, note, "MiB"))
    return rows


# -------------------------------------------------------------------------------- files suite
def files_rows(results):
    """The files suite's targets (``bench/files_bench.py``, issue 14): the CSV reader against
    pandas, the whole ``select`` command against the fit alone, and the svmlight run."""
    f = results.get("files") or {}
    rows = []
    rd = f.get("read") or {}
    ours, pandas = rd.get("sparsefs") or {}, rd.get("pandas") or {}
    g = f.get("genes") or {}
    shape = f"{g.get('n', 1000):,} x {g.get('d', 20000):,}"
    try:
        v = ours["seconds"] / pandas["seconds"]
        note = (f"{ours['seconds']:.2f} s vs pandas.read_csv {pandas['seconds']:.2f} s "
                f"(median of {len(ours['runs'])} fresh processes each, interleaved; "
                f"{g['bytes'] / 1e6:.0f} MB CSV)")
    except (KeyError, TypeError, ZeroDivisionError):
        v, note = None, ""
    rows.append(_row(f"Files: {shape} CSV read time, sparsefs / pandas.read_csv", "<= 1.5",
                     v, v is not None and v <= 1.5, note, "x"))
    try:
        v = ours["growth"] / g["float32_bytes"]
        note = (f"peak RSS growth {ours['growth'] / MIB:.0f} MiB for a "
                f"{g['float32_bytes'] / MIB:.0f} MiB float32 table (pandas.read_csv: "
                f"{pandas['growth'] / MIB:.0f} MiB); VmHWM reset before the call, after a "
                "warm-up read")
    except (KeyError, TypeError, ZeroDivisionError):
        v, note = None, ""
    rows.append(_row("Files: CSV read, peak RSS growth / float32 table", "<= 2", v,
                     v is not None and v <= 2, note, "x"))
    s = f.get("select") or {}
    try:
        v = s["seconds"] / s["fit_seconds"]
        check = s.get("output_check") or {}
        note = (f"`{s['command'].split(' -o ')[0]} -o top.csv` {s['seconds']:.1f} s vs "
                f"SparseFeatureSelector.fit alone {s['fit_seconds']:.1f} s; top.csv "
                + ("matches the input" if check.get("values_ok") and check.get("labels_ok")
                   and check.get("header_ok") else f"check FAILED {check}")
                + f"; planted genes in the top 100: {s.get('planted_in_top')}/"
                f"{len(s.get('planted') or [])}")
    except (KeyError, TypeError, ZeroDivisionError):
        v, note = None, ""
    rows.append(_row("Files: `sparsefs select genes.csv --k 100 -o top.csv` wall / fit alone",
                     "<= 2", v, v is not None and v <= 2, note, "x"))
    try:
        data = g["float32_bytes"]
        limit = 3 * data + 300 * MIB
        v = s["peak_rss"] / MIB
        note = (f"limit {limit / MIB:.0f} MiB (3 x {data / MIB:.0f} MiB + 300 MiB); the fit "
                f"alone (table read in the same process) peaks at {s['fit_hwm'] / MIB:.0f} MiB")
        npy = (f.get("npy") or {}).get("select") or {}
        if npy.get("peak_rss"):
            note += f"; from the memory-mapped genes.npy: {npy['peak_rss'] / MIB:.0f} MiB"
        ok = s["peak_rss"] <= limit
    except (KeyError, TypeError):
        v, note, ok = None, "", False
    rows.append(_row("Files: select command peak RSS", "<= 3 x float32 data + 300 MiB", v, ok,
                     note, "MiB"))
    t = f.get("text") or {}
    for run in t.get("runs", []):
        found = run.get("planted_in_top")
        n_planted = len(t.get("planted") or [])
        density = run.get("density")
        label = "default density 0.2" if density is None else f"--density {density}"
        cmd = f"`sparsefs train --data text.svm --epochs {run.get('epochs', 6)}`"
        if found is None:
            rows.append(_row(f"Files: {cmd} ({label}): "
                             "planted terms in the top K", f"{n_planted} of {n_planted}", None,
                             False, f"run failed: {run.get('stderr_tail')}"))
            continue
        best = max(found.values())
        note = (", ".join(f"{m}: {c}" for m, c in found.items())
                + f" (top K = {run.get('k')}); {run['seconds']:.0f} s, peak RSS "
                f"{run['peak_rss'] / 1e9:.2f} GB (a dense float32 X would be "
                f"{t.get('dense_float32_bytes', 0) / 1e9:.0f} GB; network "
                f"{run.get('param_bytes', 0) / 1e9:.2f} GB)")
        rows.append(_row(f"Files: {cmd} ({label}): "
                         "planted terms in the top K (best metric)", f"{n_planted}", best,
                         best >= n_planted, note, "terms"))
    return rows

"""Markdown tables (and PNG plots when matplotlib is importable) from a results dict."""

import os

from sparsefs.experiments.tables import markdown_table

from .machine import WAIT_VARS, env_str


def _ms(x):
    return "-" if x is None else f"{x * 1e3:.3g}"


def _f(x, fmt="{:.3g}"):
    return "-" if x is None else fmt.format(x)


def _spread(stats):
    if not stats:
        return "-"
    return f"{stats['median'] * 1e3:.3g} [{stats['q1'] * 1e3:.3g}-{stats['q3'] * 1e3:.3g}]"


def machine_section(m):
    nb = m.get("numba", {})
    blas = m.get("blas")
    blas_s = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} "
                       f"threads, {b.get('architecture', b.get('prefix'))})"
                       for b in blas) if isinstance(blas, list) else str(blas)
    v = m.get("versions", {})
    lines = [f"- CPU: {m.get('cpu_model')}, {m.get('cores_usable')} usable cores, "
             f"{(m.get('mem_total_bytes') or 0) / 2**30:.0f} GiB",
             f"- Numba threading layer `{nb.get('threading_layer')}`, "
             f"{nb.get('num_threads')} threads; BLAS: {blas_s}",
             "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
             f"- Command: `{m.get('command')}`; date {m.get('date')}; git "
             f"{(m.get('git') or {}).get('commit', '')} "
             f"{'(uncommitted changes)' if (m.get('git') or {}).get('dirty') else ''}",
             f"- Threading environment of this process (the kernels and scaling suites run "
             f"in it): {env_str(m.get('env') or {})}; `sparsefs.configure_threads()` set "
             f"{env_str(m.get('configure_threads_applied') or {})} before numpy loaded "
             "(it never overrides a variable set in the shell). Training cases run in child "
             "processes with the settings their rows state (see Threading diagnostic).",
             f"- Load average at start {m.get('loadavg_start')}, at end {m.get('loadavg_end')}; "
             f"other processes kept on average **{m.get('others_cores_total', '?')} cores** "
             "busy during the run (0 = quiet machine)."]
    return "\n".join(lines)


def targets_section(rows):
    body = []
    for r in rows:
        meas = r["measured"]
        val = "not run" if meas is None else f"{meas:.3g} {r['unit']}".strip()
        body.append([r["target"], r["threshold"], val, f"**{r['status']}**", r["note"]])
    return markdown_table(["Target", "Threshold", "Measured", "Status", "Note"], body)


OPS = ("forward", "backward", "sddmm", "input_grad", "attribution", "set", "rigl")


def kernels_section(k):
    rows = []
    for c in k.get("cases", []):
        for op in OPS:
            e = c["phases"].get(op)
            if not e:
                continue
            if "skipped" in e:
                rows.append([f"{c['shape'][0]}x{c['shape'][1]}", c["density"], f"{c['nnz']:,}",
                             op, "skipped", "", "", "", "", "", "", e["skipped"]])
                continue
            rows.append([
                f"{c['shape'][0]}x{c['shape'][1]}", c["density"], f"{c['nnz']:,}", op,
                _spread(e["sparse"]["steady"]),
                _spread(e["dense"]["steady"]) if "dense" in e else "-",
                _f(e.get("speedup"), "{:.2f}"), _f(e.get("sparse_gflops"), "{:.1f}"),
                _f(e.get("sparse_gbs"), "{:.1f}"), _f(e.get("bw_fraction"), "{:.2f}"),
                _f(e.get("others_cores"), "{:.1f}"), _kernel_note(op, e)])
    return markdown_table(["Shape", "Density", "nnz", "Op", "Sparse ms [IQR]", "Dense ms [IQR]",
                           "Dense/sparse", "GFLOP/s", "GB/s", "BW frac", "Others' cores", "Note"],
                          rows)


def _kernel_note(op, e):
    if op == "set":
        return f"{e['ns_per_nnz']:.0f} ns/nnz; dense = SET on dense W + 0/1 mask"
    if op == "rigl":
        return (f"{e['ns_per_nnz']:.0f} ns/nnz; dense = gradient GEMM only; extra mem "
                f"{e['extra_bytes_update'] / 2**20:.1f} MiB (scoring "
                f"{e['extra_bytes_scoring'] / 2**20:.1f})")
    sw = e["sparse"].get("switch")
    if sw and e["sparse"]["steady"]:
        return f"first call after the other library: {sw['median'] * 1e3:.3g} ms"
    return ""


def seen_check(result):
    """The wait variables a child saw, as text, and whether they are exactly its settings."""
    seen = result.get("thread_env")
    if seen is None:
        return "-", False
    waits = {k: v for k, v in seen.items() if k in WAIT_VARS}
    text = env_str(seen)
    if result.get("thread_env_changed"):
        text += f" (changed while running: {env_str(result['thread_env_changed'])})"
    ok = waits == result.get("settings") and not result.get("thread_env_changed")
    return text, ok


def children_line(t):
    """One sentence: the settings of the main training rows and what their children saw."""
    runs = [r for r in t.get("steps", []) + t.get("epochs", [])
            + list(t.get("extras", {}).values()) if "thread_env" in r]
    seen = sorted({seen_check(r)[0] for r in runs})
    bad = [r for r in runs if not seen_check(r)[1]]
    line = (f"Every case of this section and the next two ran in its own process started "
            f"with {env_str(t.get('settings') or {})} (the sparsefs CLI policy) and no other "
            f"thread-wait variable; thread variables the {len(runs)} children saw at start: "
            + "; ".join(f"`{s}`" for s in seen) + ".")
    if bad:
        line += (f" **{len(bad)} child(ren) saw wait settings other than requested:** "
                 + ", ".join(str(r.get("spec", {}).get("data")) for r in bad))
    return line


def steps_section(t):
    rows = []
    for s in t.get("steps", []):
        if "variants" not in s:
            rows.append([str(s.get("spec", {}).get("data")), "error", "", "", "", "", "",
                         s.get("error", "")[:80]])
            continue
        data = s["spec"]["data"]
        d = "madelon (500)" if data == "madelon" else f"synthetic d={data['d']}"
        dense = s["variants"].get("dense", {}).get("step")
        for name, v in s["variants"].items():
            med = v["step"]["steady"]["median"]
            ratio = dense["steady"]["median"] / med if dense and name != "dense" else None
            su = v.get("set_update")
            rows.append([d, name, f"{v['total_nnz']:,}", _spread(v["step"]["steady"]),
                         _f(ratio, "{:.2f}"), _f(v["step_flops"] / med / 1e9, "{:.1f}"),
                         _spread(su["steady"]) if su else "-",
                         _f(s.get("others_cores"), "{:.1f}")])
    return markdown_table(["Data", "Network", "nnz", "Step ms [IQR]", "Dense/sparse", "GFLOP/s",
                           "SET update ms", "Others' cores"], rows)


def epochs_section(t):
    rows = []
    for e in t.get("epochs", []):
        if "seconds_per_epoch" not in e:
            rows.append([str(e.get("spec")), "error", e.get("error", "")[:80]] + [""] * 8)
            continue
        sp = e["spec"]
        f, fd = e["flops_per_epoch"]["total"], e["dense_flops_per_epoch"]["total"]
        rows.append([e["n_features"], sp["method"], _f(e["density"], "{:.3g}"),
                     f"{e['total_nnz']:,}", _f(e["seconds_per_epoch"], "{:.3f}"),
                     f"{f:.3g}", _f(f / fd, "{:.3f}"), _f(e["param_bytes"] / 1e6, "{:.2f}"),
                     _f(e["param_bytes_per_nnz"], "{:.1f}"),
                     _f(e["peak_rss_bytes"] / 1e6, "{:.0f}"),
                     _f(e.get("others_cores"), "{:.1f}")])
    return markdown_table(["d", "Method", "Density", "nnz", "s/epoch", "FLOPs/epoch",
                           "FLOPs vs dense", "Param+opt MB", "B/nnz", "Peak RSS MB",
                           "Others' cores"], rows)


def extras_section(t):
    rows = []
    for name, e in t.get("extras", {}).items():
        if "seconds_per_epoch" not in e:
            rows.append([name, "error", e.get("error", "")[:100], "", "", ""])
            continue
        frac = e.get("extrapolated_from_fraction")
        how = f"extrapolated from {frac:.0%} of the samples" if frac else "measured"
        rows.append([name, f"{e['seconds_per_epoch']:.3f} s ({how})",
                     " -> ".join(str(s[0]) for s in e["shapes"]) + f" -> {e['shapes'][-1][1]}",
                     f"{e['total_nnz']:,} (density {e['density']:.3g})",
                     f"{e['peak_rss_bytes'] / 1e6:.0f} MB", e["data"]])
    return markdown_table(["Case", "Epoch", "Network", "nnz", "Peak RSS", "Data"], rows)


def _step_cell(variants, name):
    x, dense = variants.get(name), variants.get("dense")
    if not x:
        return "-"
    if name == "dense":
        return _spread(x["step"]["steady"])
    med = x["step"]["steady"]["median"]
    return f"{med * 1e3:.3g} ({dense['step']['steady']['median'] / med:.2f}x)" if dense \
        else f"{med * 1e3:.3g}"


def threading_section(t):
    rows = []
    for entry in t.get("threading", {}).values():
        steps, cifar = entry.get("steps") or {}, entry.get("cifar") or {}
        seen = []
        for part, r in (("steps", steps), ("CIFAR", cifar)):
            text, ok = seen_check(r)
            seen.append((part, text, ok))
        if seen[0][1] == seen[1][1]:
            seen_cell = f"`{seen[0][1]}`"
        else:
            seen_cell = "; ".join(f"{p}: `{x}`" for p, x, _ in seen)
        ok = all(o for _, _, o in seen)
        v = steps.get("variants", {})
        about = f" ({entry['about']})" if entry.get("about") else ""
        rows.append([entry["label"] + about, f"`{env_str(entry['settings'])}`",
                     seen_cell + ("" if ok else " **(not as requested)**"),
                     _step_cell(v, "dense"), _step_cell(v, "set@0.2"), _step_cell(v, "set@0.05"),
                     _step_cell(v, "set@0.01"), _f(cifar.get("seconds_per_epoch"), "{:.3f}"),
                     f"{_f(steps.get('others_cores'), '{:.1f}')} / "
                     f"{_f(cifar.get('others_cores'), '{:.1f}')}",
                     entry.get("same_run_as", "own run")])
    return markdown_table(["Setting", "Requested", "Thread variables seen by the child at start",
                           "Dense step ms [IQR]", "set@0.2 ms (dense/sparse)",
                           "set@0.05 ms (dense/sparse)", "set@0.01 ms (dense/sparse)",
                           "CIFAR MLP s/epoch", "Others' cores (steps / CIFAR)", "Run"], rows)


def scaling_section(s):
    out = []
    for key, title in (("by_width", "width d at fixed density"),
                       ("by_density", "density at fixed d")):
        sw = s.get(key)
        if not sw:
            continue
        rows = [[p["d"], p["density"], f"{p['nnz']:,}", _spread(p["step"]),
                 _f(p["bytes"] / 1e6, "{:.2f}")] for p in sw["points"]]
        tf, bf = sw["time_fit"], sw["bytes_fit"]
        out.append(f"**{title}** — step time: {_f(sw['ns_per_nnz'], '{:.2f}')} ns per nnz "
                   f"(R^2 {_f(tf['r2'], '{:.3f}')}, intercept {_ms(tf['intercept'])} ms); bytes: "
                   f"{_f(sw['bytes_per_nnz'], '{:.2f}')} per nnz (R^2 {_f(bf['r2'], '{:.4f}')})"
                   f"; others' cores {sw.get('others_cores')}\n\n"
                   + markdown_table(["d", "Density", "nnz", "Step ms [IQR]", "Bytes MB"], rows))
    return "\n\n".join(out)


def peer_section(p, training):
    if not p:
        return "not run"
    if "skipped" in p or "error" in p:
        return p.get("skipped") or p.get("error")
    rows = []
    for c in p["cases"]:
        name = "dense" if c["density"] == 1.0 else f"set@{c['density']}"
        ours = None
        for s in training.get("steps", []):
            data = s.get("spec", {}).get("data")
            d = 500 if data == "madelon" else (data or {}).get("d")
            if d == c["d"] and name in s.get("variants", {}):
                ours = s["variants"][name]["step"]["steady"]["median"]
        rows.append([c["d"], c["density"], _spread(c["step"]), _ms(ours),
                     _f(c["step"]["median"] / ours if ours else None, "{:.2f}")])
    return (f"PyTorch {p['torch']}, {p['threads']} threads, dense weights x 0/1 mask, Adam, "
            "batch 64, network d-1000-100-2 (separate process from sparsefs's steps, started "
            "with no thread-wait variable; thread variables it saw: "
            f"`{env_str(p.get('thread_env') or {})}`)\n\n"
            + markdown_table(["d", "Density", "Torch step ms [IQR]", "sparsefs step ms",
                              "torch/sparsefs"], rows))


THREADING_INTRO = (
    "The madelon-shape steps (500-1000-100-2, batch 64) and the 3072-1024-512-10 epoch "
    "(density 0.01, batch 100, from 10% of 50k samples) under each thread-wait policy. Every "
    f"child process starts with no thread-wait variable at all ({', '.join(WAIT_VARS)}) "
    "plus exactly the row's settings; the sparsefs CLI policy and "
    "configure_threads() rows hold what that code sets in a fresh process (asked of it at run "
    "time), and each row shows the variables the child really saw before numpy loaded. "
    "A row whose settings equal an earlier one's reuses its run (Run column).")


def markdown(results, target_rows):
    m = results["machine"]
    parts = [f"# sparsefs benchmark: {results['name']}", "", machine_section(m), "",
             "## Targets", "", targets_section(target_rows), ""]
    notes = results.get("notes")
    if notes:
        parts += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    if "kernels" in results:
        parts += ["## Kernels (one layer, batch 64)", "",
                  "Interleaved rounds; steady-state median [IQR] in ms. GB/s is compulsory "
                  "traffic over time; BW frac compares it with a single-threaded `np.copyto` of "
                  "as many bytes timed in the same rounds.", "",
                  kernels_section(results["kernels"]), ""]
    t = results.get("training")
    if t:
        every = sorted({e["update_every"] for e in t.get("epochs", []) if "update_every" in e})
        every = "/".join(str(k) for k in every) or "?"
        parts += ["## Training steps (gather + forward + backward + Adam), batch 64", "",
                  children_line(t), "", steps_section(t), "",
                  f"## Epochs (`train_mlp`, attribution on, SET/RigL update every {every} "
                  "steps), batch 64", "", epochs_section(t), "",
                  "## Extra cases", "", extras_section(t), "",
                  "## Threading diagnostic", "", THREADING_INTRO, "", threading_section(t), ""]
    if "scaling" in results:
        parts += ["## Scaling (SET, d-1000-100-2, batch 64)", "",
                  scaling_section(results["scaling"]), ""]
    if "peer" in results:
        parts += ["## Peer: PyTorch masked dense", "",
                  peer_section(results["peer"], t or {}), ""]
    if "fit" in results:
        from .fit_report import FIT_INTRO, fit_section

        parts += ["## Whole fits (`SparseFeatureSelector.fit`)", "", FIT_INTRO, "",
                  fit_section(results["fit"]), ""]
    if "files" in results:
        from .files_bench import section as files_section

        parts += ["## Files end to end (issue 14)", "", files_section(results["files"]), ""]
    if "busy" in results:
        from .busy_bench import section as busy_section

        parts += ["## Fits beside busy processes (thread budget)", "",
                  busy_section(results["busy"]), ""]
    return "\n".join(parts)


def plots(results, out_dir, name):
    """Write PNG plots; returns the file names, or [] when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:  # noqa: BLE001 - optional
        return []
    files = []
    k = results.get("kernels")
    if k and k.get("cases"):
        fig, axes = plt.subplots(1, 3, figsize=(14, 4))
        for ax, op in zip(axes, ("forward", "backward", "sddmm")):
            shapes = sorted({tuple(c["shape"]) for c in k["cases"]})
            for shape in shapes:
                cs = [c for c in k["cases"] if tuple(c["shape"]) == shape
                      and "speedup" in c["phases"].get(op, {})]
                if cs:
                    ax.plot([c["density"] for c in cs], [c["phases"][op]["speedup"] for c in cs],
                            "o-", label=f"{shape[0]}x{shape[1]}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.axhline(1, color="grey", lw=0.5)
            ax.set_xlabel("density")
            ax.set_ylabel("dense time / sparse time")
            ax.set_title(op)
            ax.legend(fontsize=7)
        fig.tight_layout()
        f = os.path.join(out_dir, f"{name}_kernels.png")
        fig.savefig(f, dpi=90)
        plt.close(fig)
        files.append(os.path.basename(f))
    s = results.get("scaling")
    if s:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, key in zip(axes, ("by_width", "by_density")):
            pts = s[key]["points"]
            x = [p["nnz"] for p in pts]
            ax.plot(x, [p["step_seconds"] * 1e3 for p in pts], "o", label="step time")
            fit = s[key]["time_fit"]
            if fit["slope"] is not None:
                xs = sorted(x)
                ax.plot(xs, [(fit["slope"] * v + fit["intercept"]) * 1e3 for v in xs], "-",
                        label=f"{fit['slope'] * 1e9:.2f} ns/nnz, R^2 {fit['r2']:.3f}")
            ax.set_xlabel("total nnz")
            ax.set_ylabel("ms per step")
            ax.set_title(key.replace("_", " "))
            ax.legend(fontsize=8)
        fig.tight_layout()
        f = os.path.join(out_dir, f"{name}_scaling.png")
        fig.savefig(f, dpi=90)
        plt.close(fig)
        files.append(os.path.basename(f))
    return files

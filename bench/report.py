"""Markdown tables (and PNG plots when matplotlib is importable) from a results dict."""

import os


def _ms(x):
    return "-" if x is None else f"{x * 1e3:.3g}"


def _f(x, fmt="{:.3g}"):
    return "-" if x is None else fmt.format(x)


def _spread(stats):
    if not stats:
        return "-"
    return f"{stats['median'] * 1e3:.3g} [{stats['q1'] * 1e3:.3g}-{stats['q3'] * 1e3:.3g}]"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


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
             f"- Threading environment (after importing sparsefs, which sets short spin "
             f"waits, or a passive OpenMP wait if numpy was imported first; see "
             f"sparsefs/__init__.py): {m.get('env') or 'none'}",
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
    return table(["Target", "Threshold", "Measured", "Status", "Note"], body)


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
    return table(["Shape", "Density", "nnz", "Op", "Sparse ms [IQR]", "Dense ms [IQR]",
                  "Dense/sparse", "GFLOP/s", "GB/s", "BW frac", "Others' cores", "Note"], rows)


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
    return table(["Data", "Network", "nnz", "Step ms [IQR]", "Dense/sparse", "GFLOP/s",
                  "SET update ms", "Others' cores"], rows)


def epochs_section(t):
    rows = []
    for e in t.get("epochs", []):
        if "seconds_per_epoch" not in e:
            rows.append([str(e.get("spec")), "error", "", "", "", "", "", "", ""])
            continue
        sp = e["spec"]
        f, fd = e["flops_per_epoch"]["total"], e["dense_flops_per_epoch"]["total"]
        rows.append([e["n_features"], sp["method"], _f(e["density"], "{:.3g}"),
                     f"{e['total_nnz']:,}", _f(e["seconds_per_epoch"], "{:.3f}"),
                     f"{f:.3g}", _f(f / fd, "{:.3f}"), _f(e["param_bytes"] / 1e6, "{:.2f}"),
                     _f(e["param_bytes_per_nnz"], "{:.1f}"),
                     _f(e["peak_rss_bytes"] / 1e6, "{:.0f}"),
                     _f(e.get("others_cores"), "{:.1f}")])
    return table(["d", "Method", "Density", "nnz", "s/epoch", "FLOPs/epoch", "FLOPs vs dense",
                  "Param+opt MB", "B/nnz", "Peak RSS MB", "Others' cores"], rows)


def extras_section(t):
    rows = []
    for name, e in t.get("extras", {}).items():
        if "seconds_per_epoch" not in e:
            rows.append([name, "error", e.get("error", "")[:100], "", "", ""])
            continue
        frac = e.get("extrapolated_from_fraction")
        how = f"extrapolated from {frac:.0%} of the samples" if frac else "measured"
        if e.get("env_override"):
            how += ", env " + " ".join(f"{k}={v}" for k, v in e["env_override"].items())
        rows.append([name, f"{e['seconds_per_epoch']:.3f} s ({how})",
                     " -> ".join(str(s[0]) for s in e["shapes"]) + f" -> {e['shapes'][-1][1]}",
                     f"{e['total_nnz']:,} (density {e['density']:.3g})",
                     f"{e['peak_rss_bytes'] / 1e6:.0f} MB", e["data"]])
    return table(["Case", "Epoch", "Network", "nnz", "Peak RSS", "Data"], rows)


def threading_section(t):
    rows = []
    base = {k: v for k, v in (t.get("steps") or [{}])[0].get("variants", {}).items()}
    for name, r in t.get("threading", {}).items():
        src = base if "same_as" in r else r.get("variants", {})
        for v, x in src.items():
            rows.append([name, v, _spread(x["step"]["steady"])])
    return table(["Setting", "Network (madelon shape)", "Step ms [IQR]"], rows)


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
                   + table(["d", "Density", "nnz", "Step ms [IQR]", "Bytes MB"], rows))
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
            "batch 64, network d-1000-100-2 (separate process from sparsefs's steps)\n\n"
            + table(["d", "Density", "Torch step ms [IQR]", "sparsefs step ms",
                     "torch/sparsefs"], rows))


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
        parts += ["## Training steps (gather + forward + backward + Adam), batch 64", "",
                  steps_section(t), "", "## Epochs (`train_mlp`, attribution on, SET/RigL "
                  "update every 10 steps), batch 64", "", epochs_section(t), "",
                  "## Extra cases", "", extras_section(t), "",
                  "## Threading diagnostic", "", threading_section(t), ""]
    if "scaling" in results:
        parts += ["## Scaling (SET, d-1000-100-2, batch 64)", "",
                  scaling_section(results["scaling"]), ""]
    if "peer" in results:
        parts += ["## Peer: PyTorch masked dense", "",
                  peer_section(results["peer"], t or {}), ""]
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

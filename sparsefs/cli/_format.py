"""Readable output of the commands: byte counts and the ``train`` summary table."""


def format_bytes(n):
    """Human-readable byte count: ``2.9 MB`` (powers of 1000, the unit the README uses)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000


def format_train_summary(r, relevant_found=None):
    """The readable table ``sparsefs train`` prints; ``relevant_found`` (metric -> count, with
    key "of") adds how many known relevant features each top K holds (madelon)."""
    fl, mem = r["flops"], r["memory"]
    regression = r.get("learning_task") == "regression"
    scores, column = (r["r2"], "SVR R^2") if regression else (r["accuracy"], "SVC accuracy")
    target = "a regression target" if regression else f"{r['n_classes']} classes"
    lines = [
        f"{r['dataset']}: {r['n_train']} train / {r['n_test']} test samples, "
        f"{r['n_features']} features, {target}",
        f"{r['method'].upper()} density {r['density']:g}, seed {r['seed']}: best epoch "
        f"{r['best_epoch']} of {r['epochs_run']} ({r['stopped_by'].replace('_', ' ')}), "
        f"training {r['seconds']['train']:.1f} s",
        "",
        f"{'metric':<10}{'K':>5}{column:>15}   top features",
    ]
    for m in r["rankings"]:
        mark = " *" if m == r["metric"] else ""
        top = ", ".join(str(i) for i in r["rankings"][m][:8])
        lines.append(f"{m + mark:<10}{r['k']:>5}{scores[m]:>15.4f}   {top}, ...")
    if r.get("windows"):
        chosen = r["windows"]["scores"]
        lines.append("importance windows: " + ", ".join(
            f"{m} {w}" + (" (best on the validation rows)" if m in chosen else " (fixed rule)")
            for m, w in r["windows"]["chosen"].items()))
    if relevant_found:
        lines.append(f"{r['dataset']}'s {relevant_found['of']} relevant features (from its "
                     f"correlation structure) in the top {r['k']}: " + ", ".join(
                         f"{m} {relevant_found[m]}" for m in r["rankings"]))
    lines += [
        "",
        f"{'':<22}{'this run':>14}{'dense':>14}{'ratio':>9}",
        f"{'training FLOPs':<22}{fl['train']:>14.3e}{fl['train_dense']:>14.3e}"
        f"{fl['train'] / fl['train_dense']:>9.3f}",
        f"{'parameter bytes':<22}{format_bytes(mem['param_bytes']):>14}"
        f"{format_bytes(mem['param_bytes_dense']):>14}"
        f"{mem['param_bytes'] / mem['param_bytes_dense']:>9.3f}",
        f"{'peak memory (RSS)':<22}{format_bytes(mem['peak_rss_bytes']):>14}",
        "(* = the metric of --metric; FLOPs count a multiply-add as 2)",
    ]
    return "\n".join(lines)


def format_selection(sel, chosen, names):
    """The table ``sparsefs select`` prints: the chosen features, best first, with their
    score (and selection frequency and mean rank over repeats), then how K was chosen and
    how stable the selection is."""
    repeats = hasattr(sel, "stability_")
    head = f"{'rank':>4}  {'feature':>8}  {'name':<24}{sel.metric + ' score':>14}"
    lines = [head + (f"{'frequency':>11}{'mean rank':>11}" if repeats else "")]
    for r, j in enumerate(chosen, 1):
        row = f"{r:>4}  {j:>8}  {names[j]:<24}{sel.feature_importances_[j]:>14.5g}"
        if repeats:
            row += f"{sel.selection_frequency_[j]:>11.2f}{sel.mean_rank_[j]:>11.1f}"
        lines.append(row)
    if sel.metric in sel.window_scores_:
        lines.append(f"{sel.metric} window: {sel.importance_[sel.metric]}, the best of "
                     + ", ".join(f"{w} {v:.3f}" for w, v in
                                 sel.window_scores_[sel.metric].items())
                     + " on the validation rows")
    if hasattr(sel, "k_scores_"):
        curve = ", ".join(f"{k}: {v:.3f}" for k, v in sel.k_scores_.items())
        lines.append(f"K = {len(chosen)}, the smallest within {sel.k_tol:g} of the best "
                     f"validation score ({curve})")
    if repeats:
        st = sel.stability_
        lines.append(f"stability over {st.n_repeats} repeats (Nogueira): {st.estimate:.3f}, "
                     f"{100 * (1 - st.alpha):.0f}% CI [{st.lower:.3f}, {st.upper:.3f}]")
    return "\n".join(lines)

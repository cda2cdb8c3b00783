"""Readable output of the commands: byte counts and the ``train`` summary table."""


def format_bytes(n):
    """Human-readable byte count: ``2.9 MB`` (powers of 1000, the unit the README uses)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000


def format_train_summary(r):
    """The readable table ``sparsefs train`` prints."""
    fl, mem = r["flops"], r["memory"]
    lines = [
        f"{r['dataset']}: {r['n_train']} train / {r['n_test']} test samples, "
        f"{r['n_features']} features, {r['n_classes']} classes",
        f"{r['method'].upper()} density {r['density']:g}, seed {r['seed']}: best epoch "
        f"{r['best_epoch']} of {r['epochs_run']} ({r['stopped_by'].replace('_', ' ')}), "
        f"training {r['seconds']['train']:.1f} s",
        "",
        f"{'metric':<10}{'K':>5}{'SVC accuracy':>15}   top features",
    ]
    for m in ("attr", "strength"):
        mark = " *" if m == r["metric"] else ""
        top = ", ".join(str(i) for i in r["rankings"][m][:8])
        lines.append(f"{m + mark:<10}{r['k']:>5}{r['accuracy'][m]:>15.4f}   {top}, ...")
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

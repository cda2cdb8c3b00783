"""Files suite: wide data from files, end to end, the way a user runs it (issue 14).

Cases, each in fresh processes (wall time and peak RSS are per process; the Numba cache is
warmed once before anything is measured):

- **read**: the 1,000 x 20,000 gene-expression CSV (a ``diagnosis`` column of strings
  first, 3 decimals per value, about 120 MB), read by ``sparsefs.data.readers.read_delimited``
  and by ``pandas.read_csv`` (its defaults), in interleaved rounds. Measured inside each
  child: seconds of the call, and the peak RSS growth during it (VmHWM after, reset to
  VmRSS just before through ``/proc/self/clear_refs``; both readers first read a tiny CSV,
  so module and JIT loading are not counted), next to the float32 table's size.
- **select**: ``sparsefs select genes.csv --target diagnosis --k 100 --epochs 5 -o top.csv``
  as a command (wall time and its peak RSS, :mod:`bench.command_peak`), next to the fit alone
  (``SparseFeatureSelector.fit`` on the same table in memory, the command's settings, timed
  in a child after it has read the table); the written CSV is checked against the input
  (its columns are the ranking's top 100 with their header names, every row with its label)
  and the planted genes are looked up in it.
- **npy**: the same table converted once (``sparsefs convert genes.csv genes.npy``) and
  selected from the memory map (``sparsefs select genes.npy ...``): wall and peak RSS.
- **svmlight**: ``sparsefs train --data text.svm --epochs 20`` on a generated text corpus,
  2,000 documents x 1,000,000 hashed terms (Zipf term counts, about 1% of the entries
  stored) in which 10 planted terms mark the positive class: wall, peak RSS (next to the
  size a dense float32 X would have) and how many planted terms the ranking's top K holds.

Generated files are kept in ``<out>/files_data`` (made once, reused while their recipe is
unchanged).
"""

import json
import os
import subprocess
import sys
import time

from . import command_peak
from .machine import reset_peak, wait_quiet
from .training_bench import ROOT, clean_env
from .wide_files import GENES, TEXT, make_genes_csv, make_text_svm, text_planted

#: Epochs of the text run (the command's own default trains up to 200, with early stopping).
#: At the default L2 (1e-2) the network's validation loss stays at chance (0.693) for the
#: first six epochs and flattens from about epoch 15 (best epoch 16 of a 25-epoch run): 6
#: epochs ranked the terms of an untrained network.
TEXT_EPOCHS = 20

MIB = 1 << 20


# ---- measurements in child processes ---------------------------------------------------------

def _status():
    """VmRSS and VmHWM of this process, bytes."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1]) * 1024
    return out


def _child_read(spec):
    """Read the CSV with one reader, after a warm-up read of a tiny CSV with the same one."""
    from pathlib import Path

    if spec["reader"] == "pandas":
        import pandas as pd

        def read(path):
            return pd.read_csv(path)
    else:
        import sparsefs

        sparsefs.configure_threads()
        from sparsefs.data.readers import read_delimited

        def read(path):
            return read_delimited(Path(path), ",", spec["target"] if path == spec["path"]
                                  else None)
    read(spec["tiny"])
    reset = reset_peak()
    before = _status()
    t0 = time.perf_counter()
    table = read(spec["path"])
    seconds = time.perf_counter() - t0
    after = _status()
    shape = list(table.shape) if hasattr(table, "shape") else list(table.X.shape)
    return {"seconds": seconds, "rss_before": before["VmRSS"], "hwm": after["VmHWM"],
            "growth": after["VmHWM"] - before["VmRSS"], "peak_reset": reset, "shape": shape}


def _child_fit(spec):
    """The fit alone: the table as ``sparsefs select`` loads it, then the timed fit with the
    command's settings (its defaults and the spec's k, epochs, seed)."""
    import sparsefs

    sparsefs.configure_threads()
    from sparsefs import _config as C
    from sparsefs._selector import SparseFeatureSelector
    from sparsefs.data.load import load_table

    tb = load_table(spec["path"], target=spec.get("target"))
    before = _status()
    sel = SparseFeatureSelector(
        spec["k"], method=C.METHOD, density=C.DENSITY, metric=C.METRIC,
        hidden_layer_sizes=C.HIDDEN, max_iter=spec["epochs"], batch_size=tb.batch_size,
        l2=C.L2, importance=C.IMPORTANCE, learning_rate_init=C.LEARNING_RATE,
        softmax_axis="class", standardize=tb.scaling == "standard", random_state=spec["seed"])
    t0 = time.perf_counter()
    sel.fit(tb.X, tb.y)
    seconds = time.perf_counter() - t0
    after = _status()
    return {"seconds": seconds, "rss_before_fit": before["VmRSS"], "hwm": after["VmHWM"],
            "ranking_top": sel.feature_order_[:spec["k"]].tolist()}


def child_main(argv):
    spec = json.loads(argv[0])
    out = {"read": _child_read, "fit": _child_fit}[spec["kind"]](spec)
    print(json.dumps(out))
    return 0


def _python_child(spec, timeout=1800):
    p = subprocess.run([sys.executable, "-m", "bench.files_bench", json.dumps(spec)], cwd=ROOT,
                       env=clean_env(), capture_output=True, text=True, timeout=timeout)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        raise RuntimeError(" | ".join((p.stderr or "").strip().splitlines()[-4:]))
    return json.loads(lines[-1])


def run_command(args, cwd, timeout=3600):
    """Run a command as a user would (the checkout's ``sparsefs``, a clean environment) from
    a small launcher, so its peak RSS is its own (:mod:`bench.command_peak`)."""
    return command_peak.run_command(args, cwd, clean_env(), timeout=timeout)


def _sparsefs():
    exe = os.path.join(os.path.dirname(sys.executable), "sparsefs")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "sparsefs"]


# ---- the suite -------------------------------------------------------------------------------

def _median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _check_top_csv(path, genes_csv, k, target):
    """The written CSV against the input, read back independently (csv, numpy.loadtxt): its
    header is k input column names + the target, and every value and label is the input's.
    Returns the checks and the chosen columns (0-based feature indices)."""
    import csv

    import numpy as np

    with open(genes_csv) as f:
        header = next(csv.reader(f))
    with open(path) as f:
        out_header = next(csv.reader(f))
    names = out_header[:-1]
    cols = [header.index(n) for n in names if n in header]
    ok_header = len(names) == k and len(cols) == k and out_header[-1] == target
    if not ok_header:
        return {"header_ok": False}, None
    src = np.loadtxt(genes_csv, delimiter=",", skiprows=1, usecols=cols, dtype=np.float32)
    got = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(k), dtype=np.float32)
    labels_in = np.loadtxt(genes_csv, delimiter=",", skiprows=1, usecols=[0], dtype=str)
    labels_out = np.loadtxt(path, delimiter=",", skiprows=1, usecols=[k], dtype=str)
    return ({"header_ok": True, "values_ok": bool(np.array_equal(src, got)),
             "labels_ok": bool(np.array_equal(labels_in, labels_out)), "rows": int(len(got))},
            [c - 1 for c in cols])


def run(mode, log=print, out_dir=None, seed=0):
    """The files suite; ``out_dir`` holds the generated inputs (``files_data``)."""
    quick = mode == "quick"
    data = os.path.join(out_dir or os.path.join(ROOT, "bench", "results"), "files_data")
    os.makedirs(data, exist_ok=True)
    res = {"genes": dict(GENES), "text": dict(TEXT)}
    t0 = time.perf_counter()
    genes = make_genes_csv(os.path.join(data, "genes.csv"))
    res["genes"].update(path=genes, bytes=os.path.getsize(genes),
                        float32_bytes=4 * GENES["n"] * GENES["d"])
    tiny = os.path.join(data, "tiny.csv")
    with open(tiny, "w") as f:
        f.write("a,b,y\n1,2,x\n3,4,z\n")
    log(f"  genes.csv {res['genes']['bytes'] / 1e6:.0f} MB ({time.perf_counter() - t0:.0f} s)")
    cmd = _sparsefs()
    # Warm the Numba cache (and the page cache) once, outside every measurement.
    run_command(cmd + ["select", genes, "--target", "diagnosis", "--k", "5", "--epochs", "1",
                       "--hidden", "8", "--quiet"], data)

    # (a) the reader alone vs pandas.read_csv, interleaved
    rounds = 2 if quick else 3
    reads = {"sparsefs": [], "pandas": []}
    for r in range(rounds):
        for reader in (("sparsefs", "pandas") if r % 2 == 0 else ("pandas", "sparsefs")):
            wait_quiet(10, log=log)
            spec = {"kind": "read", "reader": reader, "path": genes, "tiny": tiny,
                    "target": "diagnosis"}
            try:
                reads[reader].append(_python_child(spec))
            except Exception as exc:  # noqa: BLE001 - recorded, the suite goes on
                reads[reader].append({"error": str(exc)})
    res["read"] = {name: {"runs": runs,
                          "seconds": _median([x.get("seconds") for x in runs]),
                          "growth": _median([x.get("growth") for x in runs])}
                   for name, runs in reads.items()}
    rd = res["read"]
    log(f"  read: sparsefs {rd['sparsefs']['seconds']:.2f} s / pandas "
        f"{rd['pandas']['seconds']:.2f} s; growth {rd['sparsefs']['growth'] / MIB:.0f} / "
        f"{rd['pandas']['growth'] / MIB:.0f} MiB")

    # (b) the whole command vs the fit alone, interleaved
    k, epochs = 100, 5
    top = os.path.join(data, "top.csv")
    select_args = cmd + ["select", genes, "--target", "diagnosis", "--k", str(k), "--epochs",
                         str(epochs), "-o", top]
    fit_spec = {"kind": "fit", "path": genes, "target": "diagnosis", "k": k, "epochs": epochs,
                "seed": 0}
    selects, fits = [], []
    for r in range(1 if quick else 2):
        for what in (("cli", "fit") if r % 2 == 0 else ("fit", "cli")):
            wait_quiet(10, log=log)
            if what == "cli":
                selects.append(run_command(select_args, data))
            else:
                try:
                    fits.append(_python_child(fit_spec))
                except Exception as exc:  # noqa: BLE001
                    fits.append({"error": str(exc)})
    check, chosen = (_check_top_csv(top, genes, k, "diagnosis") if os.path.exists(top)
                     else (None, None))
    fit_top = fits[-1].get("ranking_top") if fits else None
    if check is not None and fit_top is not None:
        check["same_as_fit_alone"] = chosen == fit_top
    planted = list(GENES["planted"])
    res["select"] = {"command": selects[0]["command"], "runs": selects, "fits": fits,
                     "seconds": _median([s["seconds"] for s in selects]),
                     "peak_rss": max(s["peak_rss"] for s in selects),
                     "fit_seconds": _median([f.get("seconds") for f in fits]),
                     "fit_hwm": max((f.get("hwm") or 0) for f in fits) or None,
                     "output_check": check,
                     "planted_in_top": (sum(p in chosen for p in planted)
                                        if chosen is not None else None),
                     "planted": planted}
    s = res["select"]
    log(f"  select: {s['seconds']:.1f} s, peak {s['peak_rss'] / MIB:.0f} MiB; fit alone "
        f"{s['fit_seconds']:.1f} s, peak {s['fit_hwm'] / MIB:.0f} MiB; output {check}")

    # the same table converted once and selected from the memory map
    npy = os.path.join(data, "genes.npy")
    wait_quiet(10, log=log)
    conv = run_command(cmd + ["convert", genes, npy, "--target", "diagnosis"], data)
    wait_quiet(10, log=log)
    sel_npy = run_command(cmd + ["select", npy, "--k", str(k), "--epochs", str(epochs),
                                 "-o", os.path.join(data, "top_npy.csv")], data)
    res["npy"] = {"convert": conv, "select": sel_npy, "npy_bytes": os.path.getsize(npy)
                  if os.path.exists(npy) else None}
    log(f"  convert {conv['seconds']:.1f} s, peak {conv['peak_rss'] / MIB:.0f} MiB; select "
        f"genes.npy {sel_npy['seconds']:.1f} s, peak {sel_npy['peak_rss'] / MIB:.0f} MiB")

    # (c) text: svmlight, 1,000,000 hashed terms
    t0 = time.perf_counter()
    text = make_text_svm(os.path.join(data, "text.svm"))
    res["text"].update(path=text, bytes=os.path.getsize(text),
                       dense_float32_bytes=4 * TEXT["n"] * TEXT["d"])
    log(f"  text.svm {res['text']['bytes'] / 1e6:.0f} MB ({time.perf_counter() - t0:.0f} s)")
    planted_cols = text_planted()[0].tolist()
    res["text"]["planted"] = planted_cols
    runs = []
    for density in TEXT_DENSITIES[mode]:
        record = os.path.join(data, f"text_{density}.json")
        args = cmd + ["train", "--data", text, "--epochs", str(TEXT_EPOCHS)]
        if density is not None:
            args += ["--density", str(density)]
        wait_quiet(10, log=log)
        out = run_command(args + ["-o", record], data)
        out["density"], out["epochs"] = density, TEXT_EPOCHS
        if out["returncode"] == 0 and os.path.exists(record):
            with open(record) as f:
                rec = json.load(f)
            out["k"] = rec["k"]
            out["accuracy"] = rec["accuracy"]
            out["train_seconds"] = rec["seconds"]["train"]
            out["param_bytes"] = rec["memory"]["param_bytes"]
            out["planted_in_top"] = {m: sum(c in r[:rec["k"]] for c in planted_cols)
                                     for m, r in rec["rankings"].items()}
        runs.append(out)
        log(f"  train text.svm density {density or 'default'}: {out['seconds']:.0f} s, peak "
            f"{out['peak_rss'] / 1e9:.2f} GB, planted in top K {out.get('planted_in_top')}")
    res["text"]["runs"] = runs
    return res


def section(f):
    """Markdown for the report: what was run, per case, with the numbers."""
    from sparsefs.experiments.tables import markdown_table

    g, t = f.get("genes", {}), f.get("text", {})
    out = [f"Inputs (generated, `{os.path.basename(g.get('path', 'genes.csv'))}`, "
           f"`{os.path.basename(t.get('path', 'text.svm'))}`): a {g.get('n', 0):,} x "
           f"{g.get('d', 0):,} gene-expression CSV, {g.get('bytes', 0) / 1e6:.0f} MB "
           f"(`diagnosis` first, three classes of strings; float32 table "
           f"{g.get('float32_bytes', 0) / MIB:.0f} MiB; genes {list(g.get('planted', []))} "
           f"planted); a svmlight corpus of {t.get('n', 0):,} documents x {t.get('d', 0):,} "
           f"hashed terms, {t.get('bytes', 0) / 1e6:.0f} MB (Zipf({t.get('zipf')}) term "
           f"counts, {t.get('tokens', 0):,} tokens a document, about 1% of the entries "
           f"stored; {t.get('n_planted')} planted terms in half of the documents).", ""]
    rows = []
    for name, r in (f.get("read") or {}).items():
        runs = [x for x in r.get("runs", []) if "seconds" in x]
        rows.append([name, _fmt(r.get("seconds"), "{:.2f}"),
                     " / ".join(f"{x['seconds']:.2f}" for x in runs),
                     _fmt(None if r.get("growth") is None else r["growth"] / MIB, "{:.0f}"),
                     _fmt(runs[0]["rss_before"] / MIB if runs else None, "{:.0f}")])
    out += ["**The reader alone** (one fresh process per read; `read_delimited(path, ',', "
            "'diagnosis')` vs `pandas.read_csv(path)`; growth = VmHWM after the call minus "
            "VmRSS before it, the peak reset first; both read a tiny CSV first, so imports and "
            "JIT loading are not counted):", "",
            markdown_table(["Reader", "Median s", "Runs s", "Peak growth MiB",
                            "RSS before MiB"], rows), ""]
    s = f.get("select") or {}
    rows = [[x["command"].replace(os.path.dirname(g.get("path", "")) + "/", ""),
             f"{x['seconds']:.1f}", f"{x['peak_rss'] / MIB:.0f}", x["returncode"],
             _fmt(x.get("others_cores"), "{:.1f}")] for x in s.get("runs", [])]
    rows += [["SparseFeatureSelector.fit alone (same settings, table in memory)",
              f"{x['seconds']:.1f}", f"{x['hwm'] / MIB:.0f} (process)", 0, "-"]
             for x in s.get("fits", []) if "seconds" in x]
    npy = f.get("npy") or {}
    for key in ("convert", "select"):
        x = npy.get(key)
        if x:
            rows.append([x["command"].replace(os.path.dirname(g.get("path", "")) + "/", ""),
                         f"{x['seconds']:.1f}", f"{x['peak_rss'] / MIB:.0f}", x["returncode"],
                         _fmt(x.get("others_cores"), "{:.1f}")])
    for x in t.get("runs", []):
        rows.append([x["command"].replace(os.path.dirname(t.get("path", "")) + "/", ""),
                     f"{x['seconds']:.1f}", f"{x['peak_rss'] / MIB:.0f}", x["returncode"],
                     _fmt(x.get("others_cores"), "{:.1f}")])
    out += ["**Commands as a user runs them** (wall time of the process, its own peak RSS "
            "measured from a small launcher, warm Numba cache):", "",
            markdown_table(["Command", "Wall s", "Peak RSS MiB", "Exit", "Others' cores"],
                           rows), ""]
    check = s.get("output_check")
    if check is not None:
        out += [f"`top.csv` read back against `genes.csv` (csv + numpy.loadtxt): header = "
                f"100 input names + `diagnosis`: {check.get('header_ok')}; values equal: "
                f"{check.get('values_ok')}; labels equal: {check.get('labels_ok')}; rows: "
                f"{check.get('rows')}; same top 100 as the fit alone: "
                f"{check.get('same_as_fit_alone')}. Planted genes in it: "
                f"{s.get('planted_in_top')} of {len(s.get('planted') or [])}.", ""]
    for x in t.get("runs", []):
        if "planted_in_top" in x:
            acc = ", ".join(f"{m} {a:.3f}" for m, a in (x.get("accuracy") or {}).items())
            out += [f"Text run, density {x['density'] or '0.2 (default)'}: planted terms in "
                    f"the top {x.get('k')}: {x['planted_in_top']}; SVC test accuracy {acc}; "
                    f"training {x.get('train_seconds', 0):.0f} s of {x['seconds']:.0f} s; "
                    f"network {x.get('param_bytes', 0) / 1e9:.2f} GB.", ""]
    return "\n".join(out)


def _fmt(x, fmt):
    return "-" if x is None else fmt.format(x)


#: Densities of the text runs: None is the command's default (0.2).
TEXT_DENSITIES = {"quick": (0.01,), "full": (0.01, None)}


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))

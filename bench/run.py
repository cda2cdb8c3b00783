"""Benchmark sparsefs: sparse kernels and training against dense NumPy/BLAS (and PyTorch).

    python bench/run.py --quick                       # < 3 minutes on 2 cores
    python bench/run.py                               # full suite, < 30 minutes
    python bench/run.py --suite kernels,scaling --out /tmp/b
    python bench/run.py --suite million --name million   # the 1M-input epoch alone

Writes ``<out>/<name>.json`` (every measurement: median, quartiles, min/max of interleaved
repetitions, the machine and the command), ``<out>/<name>.md`` (tables, including the issue's
targets with PASS/MISS) and, when matplotlib is importable, ``<out>/<name>_*.png``.
"""

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Before numpy loads, as the CLI means to: OpenBLAS and OpenMP read their wait settings once.
# This process's own measurements (kernels, scaling) run with them; the training children
# start without any thread-wait variable and get their row's settings (bench/training_bench.py).
import sparsefs  # noqa: E402

THREADS_APPLIED = sparsefs.configure_threads()

# fit: whole SparseFeatureSelector.fit calls, sparse vs dense, one process each (fit_bench.py);
# busy: whole fits beside busy loops, thread budget vs fixed threads (busy_bench.py)
SUITES = ("kernels", "training", "scaling", "peer", "fit", "files", "busy", "million")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark sparsefs's truly sparse MLP against dense NumPy/BLAS and, when "
                    "installed, PyTorch masked dense weights.")
    p.add_argument("--quick", action="store_true",
                   help="a subset of shapes and cases (< 3 minutes on 2 cores)")
    p.add_argument("--suite", default=",".join(SUITES[:-1]),
                   help=f"comma-separated suites to run, from {','.join(SUITES)} (default all "
                        "but million: the full training suite holds the 1M-input case, and "
                        "million runs it alone)")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"),
                   help="output folder (default bench/results)")
    p.add_argument("--name", default=None,
                   help="base name of the output files (default 'quick' or 'full')")
    p.add_argument("--seed", type=int, default=0, help="random seed of data and topologies")
    p.add_argument("--no-wait", action="store_true",
                   help="never wait for other processes to go quiet (by default the run "
                        "waits up to 20 s in all (quick) or 120 s (full) for quiet moments)")
    args = p.parse_args(argv)
    suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    bad = [s for s in suites if s not in SUITES]
    if bad:
        p.error(f"unknown suite(s) {', '.join(bad)}; choose from {', '.join(SUITES)}")
    args.suites = suites
    return args


def log(msg):
    print(msg, flush=True)


def main(argv=None):
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    name = args.name or mode
    os.makedirs(args.out, exist_ok=True)
    t_start = time.perf_counter()

    from bench import machine, report, targets

    machine.WAIT_BUDGET["seconds"] = 0.0 if args.no_wait else (20.0 if args.quick else 120.0)
    quiet = machine.wait_quiet
    quiet(20, log=log)
    total = machine.CpuMonitor().start()
    results = {"name": name, "mode": mode, "suites": args.suites,
               "machine": machine.machine_info(ROOT)}
    results["machine"]["configure_threads_applied"] = THREADS_APPLIED
    log(f"sparsefs bench ({mode}): {results['machine']['cpu_model']}, "
        f"{results['machine']['cores_usable']} cores, numba "
        f"{results['machine']['numba']['threading_layer']} x "
        f"{results['machine']['numba']['num_threads']}")
    timings = {}
    for suite in args.suites:
        t0 = time.perf_counter()
        log(f"[{suite}]")
        quiet(10, log=log)
        if suite == "kernels":
            from bench import kernels_bench
            results["kernels"] = kernels_bench.run(mode, log=log, seed=args.seed)
            from bench import efficiency_bench
            results["kernels"]["efficiency"] = efficiency_bench.run(mode, log=log,
                                                                    seed=args.seed + 1)
        elif suite == "training":
            from bench import training_bench
            results["training"] = training_bench.run(mode, log=log, seed=args.seed)
        elif suite == "scaling":
            from bench import scaling_bench
            results["scaling"] = scaling_bench.run(mode, log=log, seed=args.seed)
        elif suite == "peer":
            from bench import peer_torch
            results["peer"] = peer_torch.run(mode, log=log)
        elif suite == "fit":
            from bench import fit_bench
            results["fit"] = fit_bench.run(mode, log=log, seed=args.seed)
        elif suite == "million":
            from bench import training_bench
            results["million"] = training_bench.run_one_million(log=log, seed=args.seed)
        elif suite == "busy":
            from bench import busy_bench
            results["busy"] = busy_bench.run(mode, log=log, seed=args.seed)
        elif suite == "files":
            from bench import files_bench
            results["files"] = files_bench.run(mode, log=log, out_dir=args.out, seed=args.seed)
        timings[suite] = time.perf_counter() - t0
        log(f"  ({timings[suite]:.1f} s)")
    busy = total.stop()
    m = results["machine"]
    m["loadavg_end"] = machine.loadavg()
    m["others_cores_total"] = busy["others_cores"]
    results["suite_seconds"] = timings
    results["wall_seconds"] = time.perf_counter() - t_start
    results["targets"] = targets.evaluate(results)
    results["notes"] = notes(results, mode)
    pngs = render(results, args.out, name)
    log("")
    log(report.targets_section(results["targets"]))
    log(f"\nwrote {os.path.join(args.out, name)}.json/.md"
        + (f" and {len(pngs)} plot(s)" if pngs else " (no plots)")
        + f"; wall time {results['wall_seconds']:.0f} s")
    return 0


def render(results, out_dir, name):
    """Write ``<name>.json``, the plots and ``<name>.md``; returns the plot file names."""
    from bench import report

    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(results, f, indent=1, default=float)
    pngs = report.plots(results, out_dir, name)
    md = report.markdown(results, results["targets"])
    if pngs:
        md += "\n## Plots\n\n" + "\n".join(f"![{p}]({p})" for p in pngs) + "\n"
    md += f"\nWall time of this run: {results['wall_seconds']:.0f} s.\n"
    with open(os.path.join(out_dir, f"{name}.md"), "w") as f:
        f.write(md)
    return pngs


def notes(results, mode):
    out = []
    busy = results["machine"].get("others_cores_total")
    if busy is not None and busy > 0.2:
        out.append(f"Other processes kept {busy:.2f} cores busy on average during this run; "
                   "timings (especially of 2-thread parallel kernels) are inflated and noisy. "
                   "Per-measurement 'Others' cores' columns show where.")
    th = results.get("training", {}).get("threading", {})
    if "cli" in th and "configure_threads" in th \
            and th["cli"]["settings"] != th["configure_threads"]["settings"]:
        from bench.machine import env_str
        out.append(f"The sparsefs CLI policy ({env_str(th['cli']['settings'])}) differs from "
                   "what configure_threads() sets in a fresh process before numpy "
                   f"({env_str(th['configure_threads']['settings'])}): the training rows ran "
                   "with the former, this process's kernels and scaling suites with "
                   f"{env_str(results['machine'].get('env') or {})}.")
    if mode == "quick":
        out.append("Quick mode: a subset of shapes/densities; the 3072-1024-512-10 epoch is "
                   "extrapolated from 10% of the samples; the 1M-input case is full-suite only.")
    return out


if __name__ == "__main__":
    sys.exit(main())

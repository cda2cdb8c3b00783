"""What the cheaper attribution schedule (attribution on every k-th mini-batch) costs and
changes, against every batch (the paper's schedule), on many-class data sets.

For each data set, seed and k: one ``run_job`` (SET at ``--density`` or the paper's density,
the paper's protocol otherwise), its training seconds, the attribution share of its training
FLOPs, the SVC accuracy of the attribution top K on the network's validation rows and on the
test split, and the overlap (Jaccard) of that top K with the same seed's every-batch top K.

    python bench/attribution_schedule.py --datasets yale,coil20 --every 1,4,10 --seeds 0,1 \\
        --density 0.2 --data-dir ../shared/data --out bench/results/attribution_schedule
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _one(dataset, every, seed, density, epochs):
    from sparsefs.experiments.protocol import run_job

    rec = run_job(dataset, method="set", density=density, seed=seed, epochs=epochs,
                  attribution_every=every).to_dict()
    phases = rec["flops"]["by_phase"]
    return {"dataset": dataset.name, "every": every, "seed": seed,
            "seconds": rec["seconds"]["train"], "epochs_run": rec["epochs_run"],
            "attribution_flop_share": phases.get("attribution", 0.0) / rec["flops"]["train"],
            "val": rec["variants"]["sum_to_best"]["attr"]["val"],
            "test": rec["accuracy"]["attr"], "top": rec["rankings"]["attr"][:rec["k"]]}


def _table(rows, everies):
    lines = ["| data set | k | train s | attribution share of FLOPs | SVC val (test) [%] | "
             "top-K overlap with k=1 (Jaccard) |", "|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["dataset"] for r in rows):
        base = {r["seed"]: set(r["top"]) for r in rows if r["dataset"] == name
                and r["every"] == 1}
        for k in everies:
            cell = [r for r in rows if r["dataset"] == name and r["every"] == k]
            jac = [len(set(r["top"]) & base[r["seed"]]) / len(set(r["top"]) | base[r["seed"]])
                   for r in cell if r["seed"] in base]
            lines.append(
                f"| {name} | {k} | {np.mean([r['seconds'] for r in cell]):.1f} | "
                f"{100 * np.mean([r['attribution_flop_share'] for r in cell]):.0f}% | "
                f"{100 * np.mean([r['val'] for r in cell]):.1f} "
                f"({100 * np.mean([r['test'] for r in cell]):.1f}) | "
                f"{np.mean(jac):.2f} |")
    return "\n".join(lines)


def main():
    from sparsefs.data import load_dataset
    from sparsefs.experiments.grid import paper_density

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default="yale,coil20")
    p.add_argument("--every", default="1,4,10")
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--density", type=float, default=None,
                   help="SET density [default: the paper's per data set, else 0.2]")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="bench/results/attribution_schedule")
    args = p.parse_args()
    everies = [int(k) for k in args.every.split(",")]
    rows = []
    for name in args.datasets.split(","):
        dataset = load_dataset(name, data_dir=args.data_dir)
        density = args.density or paper_density(name, "set") or 0.2
        for seed in (int(s) for s in args.seeds.split(",")):
            for k in everies:
                rows.append(_one(dataset, k, seed, density, args.epochs))
                r = rows[-1]
                print(f"{name} seed {seed} k={k}: {r['seconds']:.1f} s, val {r['val']:.3f}, "
                      f"test {r['test']:.3f}", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "runs.json"), "w") as f:
        json.dump(rows, f, indent=1)
    command = "python bench/attribution_schedule.py " + " ".join(sys.argv[1:])
    text = f"```text\n{command}\n```\n\n{_table(rows, everies)}\n"
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

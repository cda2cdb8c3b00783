"""Smoke run of a tiny study and its report: madelon (bundled), 2 methods, 2 seeds, tiny net.

Usage: python scripts/study_smoke.py [OUT_DIR] [--dask]
Prints the paper-layout table; a second call with the same OUT_DIR resumes (computes nothing).
"""

import sys
import tempfile

from sparsefs.report import write_report
from sparsefs.study import run_study


def main(argv):
    out = next((a for a in argv if not a.startswith("--")), None) or tempfile.mkdtemp()
    res = run_study(["madelon"], ("set", "dense"), (0.5, 0.2), (1e-4,), "0-1", out,
                    epochs=3, hidden=(32,), jobs=2, scheduler="local" if "--dask" in argv else None,
                    k_sweep=(10, 20, 50), baselines=("lasso", "random"),
                    progress=lambda e: print(e["event"], e.get("key", ""), flush=True))
    print(f"{len(res['computed'])} computed, {len(res['skipped'])} skipped, "
          f"{len(res['failed'])} failed in {res['seconds']:.1f} s -> {out}")
    report = write_report(out)
    print(report["text"])
    print("\n".join(report["files"]))
    return 1 if res["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run a command as a user would and measure its wall time and its own peak RSS.

``ru_maxrss`` from ``wait4`` is not the command's peak when the command is started by a large
process: Linux carries the old image's high-water mark into ``ru_maxrss`` across exec, and a
forked (or vforked) child starts with its parent's resident pages. A command started straight
from the benchmark harness (700+ MiB after it has generated its inputs) therefore reported the
harness's size, not its own: ``sparsefs select`` read 757 MiB for both the CSV and the .npy
input while the same commands run from a shell peaked at 508-524 MiB. So the command is
started from a fresh, small launcher process (this module, ``python -m bench.command_peak``),
whose own high-water mark (~10 MiB) is far below any command measured here; the launcher
waits for it and writes its ``ru_maxrss`` (bytes), wall seconds and exit code as JSON.
"""

import json
import os
import subprocess
import sys
import time

from .machine import CpuMonitor


def run_command(args, cwd, env, timeout=3600):
    """Run ``args`` in ``cwd`` with environment ``env`` through the launcher: wall seconds,
    the command's peak RSS (bytes), exit code and the tails of its output."""
    mon = CpuMonitor().start()
    record = os.path.join(cwd, ".peak.json")
    if os.path.exists(record):
        os.remove(record)
    launcher = [sys.executable, "-m", "bench.command_peak", record, str(timeout), "--", *args]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(env, PYTHONPATH=root + os.pathsep + env.get("PYTHONPATH", ""))
    with open(os.path.join(cwd, ".out.txt"), "w+") as out, \
            open(os.path.join(cwd, ".err.txt"), "w+") as err:
        subprocess.run(launcher, cwd=cwd, env=env, stdout=out, stderr=err,
                       timeout=timeout + 60)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    with open(record) as f:
        measured = json.load(f)
    return {"command": " ".join(os.path.basename(a) if i == 0 else a
                                for i, a in enumerate(args)),
            **measured,
            "stdout_tail": stdout.strip().splitlines()[-12:],
            "stderr_tail": stderr.strip().splitlines()[-3:],
            "others_cores": mon.stop()["others_cores"]}


def launch(record, timeout, args):
    """In the launcher: start ``args`` (inheriting stdout and stderr), wait for it, write
    ``{"seconds", "peak_rss", "returncode", "launcher_hwm"}`` to ``record``."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args)
    _, status, usage = os.wait4(p.pid, 0) if timeout <= 0 else _wait(p, timeout)
    wall = time.perf_counter() - t0
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))
    with open(record, "w") as f:
        json.dump({"seconds": wall, "peak_rss": usage.ru_maxrss * 1024,
                   "returncode": os.waitstatus_to_exitcode(status), "launcher_hwm": hwm}, f)


def _wait(p, timeout):
    deadline = time.time() + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            return pid, status, usage
        if time.time() > deadline:
            p.kill()
            return os.wait4(p.pid, 0)
        time.sleep(0.05)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    launch(sys.argv[1], float(sys.argv[2]), sys.argv[sep + 1:])

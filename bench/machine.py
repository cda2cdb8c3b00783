"""What the numbers were measured on: CPU, threads, library versions, and how busy the machine was.

The machine is shared and has 2 cores, so every suite also records how much CPU *other*
processes used while it ran (:class:`CpuMonitor`): a timing taken while another process held a
core is not comparable with one taken on a quiet machine, and the report says so.
"""

import datetime
import os
import platform
import subprocess
import sys
import time

# How the thread pools wait after parallel work (and which OpenMP layer Numba uses): every
# measured child process starts with none of these and gets exactly its variant's settings.
WAIT_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "KMP_LIBRARY",
             "OPENBLAS_THREAD_TIMEOUT", "NUMBA_THREADING_LAYER")
# Everything threading-related the results record (thread counts are left as the user set them).
ENV_KEYS = WAIT_VARS + ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                        "NUMBA_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                        "NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")


def thread_env(environ=None):
    """The :data:`ENV_KEYS` set in ``environ`` (default ``os.environ``): name -> value."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in ENV_KEYS if k in environ}


def env_str(env):
    """``A=1 B=2`` (sorted), or "none" for an empty mapping."""
    return " ".join(f"{k}={v}" for k, v in sorted(env.items())) or "none"


def cpu_model():
    """The ``model name`` line of /proc/cpuinfo (or the platform's processor string)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def numba_threading():
    """Threading layer (after a parallel kernel actually ran) and thread count of Numba."""
    import numba
    import numpy as np

    from sparsefs.nn.kernels import products

    a = np.ones((4, 8), dtype=np.float32)
    products.relu_backward(a, a.copy())  # any parallel kernel: makes the layer known
    try:
        layer = numba.threading_layer()
    except ValueError:
        layer = "not initialised"
    return {"threading_layer": layer, "num_threads": int(numba.get_num_threads()),
            "config_threading_layer": str(numba.config.THREADING_LAYER)}


def blas_info():
    """BLAS library, its thread count and kernel, via threadpoolctl when it is installed."""
    try:
        import threadpoolctl
        return [{k: v for k, v in d.items() if k != "filepath"}
                for d in threadpoolctl.threadpool_info()]
    except Exception as exc:  # noqa: BLE001 - optional, informative only
        return f"unavailable ({exc.__class__.__name__})"


def versions():
    """Versions from package metadata: nothing is imported (importing torch would load its
    own OpenMP runtime into this process and change what the kernels are measured with).
    sparsefs's is the running code's ``__version__`` (an editable install's metadata keeps
    the version it was installed at)."""
    from importlib import metadata

    import sparsefs

    out = {"python": platform.python_version()}
    for mod, dist in (("numpy", "numpy"), ("scipy", "scipy"), ("numba", "numba"),
                      ("llvmlite", "llvmlite"), ("sklearn", "scikit-learn"),
                      ("torch", "torch"), ("matplotlib", "matplotlib"),
                      ("threadpoolctl", "threadpoolctl")):
        try:
            out[mod] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[mod] = None
    out["sparsefs"] = sparsefs.__version__
    return out


def git_state(root):
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return {"commit": head or None, "dirty": bool(dirty)}
    except Exception:  # noqa: BLE001
        return {"commit": None, "dirty": None}


def machine_info(root=None):
    """Everything about the machine and software a reader needs to judge the numbers."""
    return {
        "cpu_model": cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_total_bytes": mem_total_bytes(),
        "platform": platform.platform(),
        "numba": numba_threading(),
        "blas": blas_info(),
        "versions": versions(),
        "env": thread_env(),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_start": loadavg(),
        "git": git_state(root) if root else None,
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def _machine_busy_ticks():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


def _own_ticks():
    """CPU jiffies of this process (all threads) plus its waited-for children."""
    t = os.times()
    return (t.user + t.system + t.children_user + t.children_system) * os.sysconf("SC_CLK_TCK")


class CpuMonitor:
    """CPU time used by *other* processes between :meth:`start` and :meth:`stop`.

    ``others_cores`` is the average number of cores other processes kept busy (0 on a quiet
    machine, up to the core count); ``others_share`` is that over the core count.
    """

    def __init__(self):
        self.result = None

    def start(self):
        try:
            self._m0, self._o0, self._t0 = _machine_busy_ticks(), _own_ticks(), time.time()
        except OSError:
            self._m0 = None
        return self

    def stop(self):
        if getattr(self, "_m0", None) is None:
            self.result = {"others_cores": None, "others_share": None}
            return self.result
        (b1, t1), o1 = _machine_busy_ticks(), _own_ticks()
        busy, total = b1 - self._m0[0], t1 - self._m0[1]
        own = o1 - self._o0
        ncpu = os.cpu_count() or 1
        share = max(0.0, (busy - own) / total) if total > 0 else 0.0
        self.result = {"others_share": round(share, 3), "others_cores": round(share * ncpu, 2),
                       "seconds": round(time.time() - self._t0, 2)}
        return self.result


# Seconds the whole run may spend in wait_quiet (run.py sets it from the mode), so a machine
# that stays busy cannot push the run past its time limit.
WAIT_BUDGET = {"seconds": 60.0}


def wait_quiet(max_wait=60.0, threshold=0.15, window=1.0, log=print):
    """Wait (at most ``max_wait`` s) until other processes use < ``threshold`` of the CPUs.

    Returns the share seen in the last window. The bench calls it before each suite and case
    so a burst of someone else's work is not measured as ours; all waits together stay within
    ``WAIT_BUDGET``.
    """
    max_wait = min(max_wait, WAIT_BUDGET["seconds"])
    t_begin = time.time()
    t_end = t_begin + max_wait
    share = None
    while True:
        mon = CpuMonitor().start()
        time.sleep(window)
        share = mon.stop()["others_share"]
        if share is None or share < threshold or time.time() >= t_end:
            break
        log(f"  (machine busy: other processes use {share:.0%} of the CPUs; waiting)")
    WAIT_BUDGET["seconds"] = max(0.0, WAIT_BUDGET["seconds"] - (time.time() - t_begin))
    return share


def reset_peak():
    """Reset this process's VmHWM to its current VmRSS (Linux 4.0+), so a later VmHWM is the
    peak of what follows; True when the kernel allowed it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

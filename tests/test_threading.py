"""``import sparsefs`` has no side effects on the environment; ``configure_threads`` sets the
documented wait policy (README, "Performance") only where the user has not, and only when
asked. Each case runs in a fresh interpreter, the only place "before numpy loads" exists."""

import json
import os
import subprocess
import sys
import textwrap

POLICY_VARIABLES = ("OPENBLAS_THREAD_TIMEOUT", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY")


def _python(code):
    """Run ``code`` in a fresh interpreter; return the JSON it prints last."""
    # Without the policy variables, so none is "already set by the user" by accident (the CLI
    # tests run configure_threads in this process).
    env = {k: v for k, v in os.environ.items() if k not in POLICY_VARIABLES}
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


_DIFF = """
def diff(before, after):
    return {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
            "changed": sorted(k for k in before.keys() & after.keys() if before[k] != after[k])}
"""


def test_import_sparsefs_leaves_the_environment_alone():
    out = _python(_DIFF + """
import json, os, sys
before = dict(os.environ)
import sparsefs
print(json.dumps({"diff": diff(before, dict(os.environ)), "numpy": "numpy" in sys.modules}))
""")
    assert out["diff"] == {"added": [], "removed": [], "changed": []}
    # Nothing heavy loads either, so configure_threads can still run before numpy.
    assert out["numpy"] is False


def test_importing_every_entry_point_leaves_the_environment_alone():
    # scikit-learn sets KMP_* variables when it loads: import the dependencies first, then
    # check that sparsefs itself adds nothing.
    out = _python(_DIFF + """
import json, os
import numpy, scipy, scipy.sparse, sklearn, sklearn.svm, numba, click
before = dict(os.environ)
import sparsefs
from sparsefs import SparseFeatureSelector
import sparsefs.cli
import sparsefs.experiments.study
import sparsefs.experiments.report
print(json.dumps(diff(before, dict(os.environ))))
""")
    assert out == {"added": [], "removed": [], "changed": []}


def test_configure_threads_before_numpy_sets_short_spins():
    out = _python("""
import json, os, sys
from sparsefs import configure_threads
assert "numpy" not in sys.modules
env = {}
applied = configure_threads(env)
user = {"GOMP_SPINCOUNT": "7"}
applied_user = configure_threads(user)
before = dict(os.environ)
applied_os = configure_threads()
print(json.dumps({"env": env, "applied": applied, "user": user, "applied_user": applied_user,
                  "os": {k: os.environ.get(k) for k in applied_os}, "applied_os": applied_os,
                  "others_kept": all(os.environ[k] == v for k, v in before.items())}))
""")
    short_spins = {"OPENBLAS_THREAD_TIMEOUT": "4", "GOMP_SPINCOUNT": "30000"}
    assert out["env"] == short_spins and out["applied"] == short_spins
    # The user's own value is never overridden, and is not reported as set.
    assert out["user"] == {"GOMP_SPINCOUNT": "7", "OPENBLAS_THREAD_TIMEOUT": "4"}
    assert out["applied_user"] == {"OPENBLAS_THREAD_TIMEOUT": "4"}
    # Without an argument it is os.environ that changes, by exactly these variables.
    assert out["applied_os"] == short_spins and out["os"] == short_spins
    assert out["others_kept"] is True


def test_configure_threads_after_numpy_sets_a_passive_openmp_wait():
    out = _python("""
import json
import numpy
from sparsefs import configure_threads
env = {}
applied = configure_threads(env)
user = {"OMP_WAIT_POLICY": "ACTIVE"}
applied_user = configure_threads(user)
print(json.dumps({"env": env, "applied": applied, "user": user, "applied_user": applied_user}))
""")
    assert out["env"] == {"OMP_WAIT_POLICY": "PASSIVE"} and out["applied"] == out["env"]
    assert out["user"] == {"OMP_WAIT_POLICY": "ACTIVE"} and out["applied_user"] == {}


def test_the_cli_sets_short_spins_before_numpy_loads():
    # The console script imports sparsefs.cli, then the group callback calls configure_threads:
    # numpy must not be loaded by then, or the policy falls back to a passive wait (a madelon
    # step at density 0.2 measured 2.71 ms instead of 1.51 ms when it did).
    out = _python("""
import json, os, sys
import sparsefs.cli
loaded_at_import = "numpy" in sys.modules
import click
seen = {}

@click.command()
def probe():
    seen.update({k: os.environ.get(k) for k in ("OPENBLAS_THREAD_TIMEOUT", "GOMP_SPINCOUNT",
                                              "OMP_WAIT_POLICY")})
    seen["numpy"] = "numpy" in sys.modules

sparsefs.cli.main.add_command(probe)
try:
    sparsefs.cli.main(["probe"])
except SystemExit:
    pass
print(json.dumps({"loaded_at_import": loaded_at_import, **seen}))
""")
    assert out["loaded_at_import"] is False and out["numpy"] is False
    assert out["OPENBLAS_THREAD_TIMEOUT"] == "4" and out["GOMP_SPINCOUNT"] == "30000"
    assert out["OMP_WAIT_POLICY"] is None


def test_thread_map_returns_the_sequential_results_in_order():
    import threading
    import time

    import numpy as np
    from sklearn.svm import SVC

    from sparsefs._threading import thread_map

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(int)

    def fit(j):  # SVC fits release the GIL: what the evaluation spreads over threads
        time.sleep(0.01 * (1 + j % 2))  # busy when the next is submitted; out of order
        cols = [j, (j + 1) % 6]
        return float(SVC().fit(X[:, cols], y).score(X[:, cols], y)), threading.get_ident()

    sequential = [fit(j)[0] for j in range(6)]
    pooled = thread_map(fit, range(6), threads=2)
    assert [a for a, _ in pooled] == sequential
    assert len({t for _, t in pooled}) == 2
    assert {t for _, t in thread_map(fit, range(3), threads=1)} == {threading.get_ident()}
    assert thread_map(fit, [], threads=2) == []

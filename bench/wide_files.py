"""The files suite's generated inputs: a gene-expression CSV and a hashed-term svmlight corpus
with planted signal, written once and reused while their recipe is unchanged."""

import json
import os

GENES = {"n": 1000, "d": 20000, "classes": ("healthy", "tumour_a", "tumour_b"),
         "planted": (11, 222, 3333, 4444, 15555), "seed": 0, "version": 1}
TEXT = {"n": 2000, "d": 1_000_000, "tokens": 20000, "zipf": 1.0, "n_planted": 10,
        "seed": 1, "version": 1}


def _stamp(path, recipe):
    return path + ".recipe.json", json.dumps(recipe, sort_keys=True)


def _fresh(path, recipe):
    stamp, text = _stamp(path, recipe)
    return os.path.exists(path) and os.path.exists(stamp) and open(stamp).read() == text


def _mark(path, recipe):
    stamp, text = _stamp(path, recipe)
    with open(stamp, "w") as f:
        f.write(text)


def make_genes_csv(path, spec=GENES):
    """A gene-expression-like CSV: ``diagnosis`` (strings) then g0..g{d-1}, log-normal
    values with 3 decimals; the planted genes are raised by 2 in one class each."""
    import numpy as np

    if _fresh(path, spec):
        return path
    rng = np.random.default_rng(spec["seed"])
    n, d = spec["n"], spec["d"]
    y = rng.integers(0, len(spec["classes"]), n)
    names = np.array(spec["classes"])
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("diagnosis," + ",".join(f"g{j}" for j in range(d)) + "\n")
        for i in range(n):
            x = rng.lognormal(1.0, 0.8, size=d)
            for c, g in enumerate(spec["planted"]):
                if y[i] == c % len(names):
                    x[g] += 2.0
            # three decimals as integers: much faster than formatting floats
            milli = np.round(x * 1000).astype(np.int64)
            f.write(names[y[i]] + "," + ",".join(f"{v // 1000}.{v % 1000:03d}" for v in milli)
                    + "\n")
    os.replace(tmp, path)
    _mark(path, spec)
    return path


def text_planted(spec=TEXT):
    """Hashed indices (0-based columns) of the planted terms, and their Zipf ranks."""
    import numpy as np

    rng = np.random.default_rng(spec["seed"])
    perm = rng.permutation(spec["d"])
    ranks = np.linspace(2000, 20000, spec["n_planted"]).astype(np.int64)
    return perm[ranks], ranks, perm


def make_text_svm(path, spec=TEXT):
    """A svmlight corpus: each document draws ``tokens`` terms from a Zipf(``zipf``) law over
    ``d`` ranks, hashed to columns by a fixed permutation, and stores the counts (about 1%
    of the columns per document). Positive documents (label 1, half of them) also hold each
    planted term with probability 0.7, 1 + Poisson(2) times."""
    import numpy as np

    if _fresh(path, spec):
        return path
    planted, _, perm = text_planted(spec)
    rng = np.random.default_rng(spec["seed"] + 1)
    p = 1.0 / np.arange(1, spec["d"] + 1) ** spec["zipf"]
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    y = rng.permutation(np.arange(spec["n"]) % 2)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for i in range(spec["n"]):
            ranks = np.searchsorted(cdf, rng.random(spec["tokens"]))
            cols = perm[ranks]
            if y[i] == 1:
                hit = planted[rng.random(len(planted)) < 0.7]
                cols = np.concatenate([cols, np.repeat(hit, 1 + rng.poisson(2, len(hit)))])
            idx, cnt = np.unique(cols, return_counts=True)
            f.write(f"{y[i]} " + " ".join(f"{a}:{b}" for a, b in zip((idx + 1).tolist(),
                                                                       cnt.tolist())) + "\n")
    os.replace(tmp, path)
    _mark(path, spec)
    return path

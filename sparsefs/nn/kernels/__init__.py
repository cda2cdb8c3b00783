"""Numba kernels over raw CSR arrays, by domain: products, the fused backward + optimizer
step, and topology changes. Free functions only; the layer objects above call them.

Every kernel is compiled with ``cache=True``: the first run of a fresh install compiles them
once (seconds per parallel kernel), later runs load the cache.
"""

#: Reductions may be reordered and fused (3-4x faster SDDMM); NaN/inf semantics stay intact,
#: so ``nnan``/``ninf`` are never set. Sums then differ in the last bits across thread counts.
FASTMATH = {"reassoc", "contract"}

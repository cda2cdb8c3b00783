"""Benchmark harness of sparsefs: sparse vs dense kernels, training, scaling and peers.

Run ``python bench/run.py --help``. Nothing in the package imports this folder.
"""

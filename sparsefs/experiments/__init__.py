"""Experiments: one run of the paper's protocol (``protocol``), its record (``records``), the
classical baselines, grid studies on local processes or Dask (``study``), and the report set
beside the paper's published numbers (``report``, ``paper``, ``variants``, ``plots``).

Built on the estimator and ``sparsefs.data``; the CLI's study/report commands sit on top.
"""

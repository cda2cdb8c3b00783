"""Data files bundled with the package (madelon, the paper's result tables)."""

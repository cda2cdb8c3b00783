"""Data files bundled with the package: madelon and the paper's result tables."""

"""``python cli.py ...`` is ``sparsefs ...``, for a checkout that is not installed."""

from sparsefs.cli import main

if __name__ == "__main__":
    main()

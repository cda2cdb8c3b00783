"""``python -m sparsefs ...`` is ``sparsefs ...`` (for an environment without the script)."""

from sparsefs.cli import main

if __name__ == "__main__":
    main()

"""Errors the user can act on.

Every exception raised for bad input derives from :class:`InputError` and carries one sentence
that names the problem and the fix; the CLI prints it and exits with code 1.
"""


class InputError(ValueError):
    """Bad user input: a missing file, an unknown name, a value out of range, unusable data."""

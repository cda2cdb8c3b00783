"""Markdown tables and number formatting shared by the report, the CLI and ``bench/``."""


def markdown_table(header, lines):
    """A GitHub-flavoured Markdown table: ``header`` (list of str), ``lines`` (rows of cells)."""
    out = ["| " + " | ".join(str(c) for c in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in line) + " |" for line in lines]
    return "\n".join(out)


def fmt(value, digits=2, missing="–"):
    return missing if value is None else f"{value:.{digits}f}"

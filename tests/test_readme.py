"""The README stays true: its Python example runs, and its two commands are the documented ones."""

import re

from helpers import REPO

README = (REPO / "README.md").read_text()


def test_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README lost its Python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert "True (5,)" in capsys.readouterr().out


def test_quick_start_commands_match_ci():
    bash = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    assert bash[0].strip() == "pip install . && sparsefs train --data madelon --density 0.2"
    ci = (REPO / ".ci" / "run").read_text()
    assert bash[1].strip() in ci

"""bench/swap_rule.py's side-by-side ranks: the new folder's columns join the whole table's and
every column is ranked per data set and K, ties averaged, then averaged over data sets and K."""

from bench.swap_rule import side_by_side_ranks


def _row(dataset, column, method, sweep):
    return {"dataset": dataset, "column": column, "method": method, "sweep": sweep}


def test_ranks_match_a_hand_worked_case():
    main_rows = [
        _row("a", "SET-Attr", "set", {25: 0.9, 50: 0.8}),
        _row("a", "ExtraTrees", "extratrees", {25: 0.7, 50: 0.8}),
        _row("b", "SET-Attr", "set", {25: 0.5, 50: 0.6}),
        _row("b", "ExtraTrees", "extratrees", {25: 0.6, 50: 0.4}),
        _row("c", "SET-Attr", "set", {25: 1.0, 50: 1.0}),  # not in the shared data sets
    ]
    new_rows = [
        _row("a", "Guided-Prune-Attr", "guided-prune", {25: 0.8, 50: 0.9}),
        _row("b", "Guided-Prune-Attr", "guided-prune", {25: 0.7, 50: 0.6}),
        _row("a", "SET-Attr", "set", {25: 0.0, 50: 0.0}),  # another method: left out
    ]
    lines = side_by_side_ranks(main_rows, new_rows, ["a", "b"], "guided-prune", "[new]")
    table = {line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ")[1:]
             for line in "\n".join(lines).splitlines()
             if line.startswith("| ") and "---" not in line}
    # K=25: a -> SET 1, new 2, ET 3; b -> new 1, ET 2, SET 3.
    # K=50: a -> new 1, SET and ET tie 2.5; b -> SET and new tie 1.5, ET 3.
    assert table["SET-Attr"] == ["2.00", "2.00", "2.00"]
    assert table["ExtraTrees"] == ["2.50", "2.75", "2.62"]
    assert table["Guided-Prune-Attr [new]"] == ["1.50", "1.25", "1.38"]
    assert set(table) == {"Column", "SET-Attr", "ExtraTrees", "Guided-Prune-Attr [new]"}

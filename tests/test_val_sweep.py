"""bench/val_sweep.py rebuilds each run's validation rows exactly: its validation accuracy at the
run's own K equals the one the run stored."""

import numpy as np

from bench.val_sweep import main
from sparsefs.experiments.study import StudySpec, run_study


def test_rebuilt_validation_rows_reproduce_the_stored_validation_accuracy(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 150)
    X = rng.normal(size=(150, 40)).astype(np.float32)
    X[:, :3] += y[:, None]
    np.savez(tmp_path / "toy.npz", X=X, y=y)
    for name, floor in (("a", None), ("b", 10)):
        spec = StudySpec(datasets=[str(tmp_path / "toy.npz")], methods=("guided-prune",),
                         densities=(0.2,), l2s=(1e-4,), seeds="0-1", epochs=4, hidden=(16,),
                         k=5, k_sweep=(5, 20), prune_floor=floor, out_dir=tmp_path / name)
        assert run_study(spec)["failed"] == []
    out = tmp_path / "cmp.md"
    main([str(tmp_path / "a"), str(tmp_path / "b"), "--data-dir", str(tmp_path),
          "--out", str(out)])
    text = out.read_text()
    assert "stored validation accuracy at the run's K: 0.000 points" in text
    assert "| toy | guided-prune-Attr | 2 |" in text and "| QS | all |" in text
    assert capsys.readouterr().out.startswith(f"wrote {out}")

"""RunRecord, the one layout every run file is written and read in."""

import dataclasses
import json

import pytest

from sparsefs.experiments.records import RunRecord


def _full_record(kind="nn"):
    return RunRecord(
        dataset="madelon", method="rigl", kind=kind, sparsefs_version="0.2.0", density=0.05,
        metric="attr", k=20, seed=3, l2=1e-4, n_samples=2600, n_features=500, n_classes=2,
        hidden=[64, 16], ranking=[2, 0, 1], rankings={"attr": [2, 0, 1], "strength": [0, 2, 1]},
        scores={"attr": [0.5, 0.1, 0.9]}, accuracy={"attr": 0.75, "strength": 0.5},
        sweep={"attr": {"5": 0.7}}, best_epoch=2, epochs_run=4, stopped_by="early_stopping",
        best_val_loss=0.6931, history={"val_loss": [0.8, 0.6931, 0.7, 0.71]},
        flops={"train": 1.5e9, "ratio": 0.2}, memory={"param_bytes": 1000},
        seconds={"train": 1.0, "total": 2.5}, task={"key": "madelon/rigl_d0.05_l2-0.0001_s3.json"})


@pytest.mark.parametrize("kind", ["nn", "baseline", "select"])
def test_to_dict_from_dict_round_trip_through_json(kind):
    rec = _full_record(kind)
    d = rec.to_dict()
    assert d["kind"] == kind and d["dataset"] == "madelon" and d["flops"]["train"] == 1.5e9
    assert RunRecord.from_dict(d) == rec
    assert RunRecord.from_dict(json.loads(json.dumps(d))) == rec
    # Declaration order, so files diff well.
    order = [f.name for f in dataclasses.fields(RunRecord)]
    assert list(d) == [name for name in order if name in d]


def test_none_fields_are_left_out():
    d = RunRecord(dataset="toy", method="lasso", kind="baseline").to_dict()
    # Only the fields with a non-None default remain: kind, seed and the rankings dict.
    assert d == {"dataset": "toy", "method": "lasso", "kind": "baseline", "seed": 0,
                 "rankings": {}}
    d = _full_record().to_dict()
    assert None not in d.values()
    for missing in ("n_train", "n_test", "selected", "feature_names", "task_unknown"):
        assert missing not in d
    assert RunRecord.from_dict(d).n_train is None


def test_unknown_keys_are_ignored():
    d = {**_full_record().to_dict(), "written_by_a_newer_version": {"x": 1}, "zzz": None}
    rec = RunRecord.from_dict(d)
    assert rec == _full_record()
    assert "written_by_a_newer_version" not in rec.to_dict()


def test_bad_kind_raises():
    with pytest.raises(ValueError, match="kind"):
        RunRecord(dataset="toy", method="set", kind="bogus")
    with pytest.raises(ValueError, match="bogus"):
        RunRecord.from_dict({"dataset": "toy", "method": "set", "kind": "bogus"})


def test_get_follows_a_path_or_gives_none():
    rec = _full_record()
    assert rec.get("flops", "train") == 1.5e9
    assert rec.get("sweep", "attr", "5") == 0.7
    assert rec.get("best_epoch") == 2
    assert rec.get("flops", "missing") is None
    assert rec.get("n_train", "anything") is None
    assert rec.get("best_epoch", "deeper") is None
    assert rec.get("no_such_field") is None

"""``RunRecord``: what one run writes and what the report reads, in one declared layout.

The run protocol (:func:`~sparsefs.experiments.protocol.run_job`), the baselines and
``sparsefs select`` fill one; ``sparsefs train --output`` and the study write it as JSON; the
report loads it back. Fields a kind of run has no value for stay None and are left out of the
JSON, so a baseline record carries no training history and a select record no test accuracy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

#: Kinds of record: a network run of the paper's protocol, a classical baseline, a selection.
KINDS = ("nn", "baseline", "select")


@dataclass
class RunRecord:
    """One run. Rankings are feature indices, most important first; accuracies in [0, 1].

    ``rankings``, ``scores``, ``accuracy`` and ``sweep`` are keyed by metric ("attr",
    "strength", or "score" for a baseline; ``rankings`` and ``accuracy`` of a run made with
    ``metric="combined"`` also hold "combined"); ``sweep[metric]`` maps str(K) to accuracy.
    ``flops`` holds ``train``, ``train_dense``, ``ratio``, ``by_phase``, ``by_phase_dense``;
    ``memory`` holds ``param_bytes``, ``param_bytes_dense``, ``peak_rss_bytes`` (bytes);
    ``seconds`` holds ``train`` and ``total``. A regression run (``learning_task``
    "regression") holds the SVR's R^2 in ``r2`` instead of ``accuracy``. A selection made with
    ``--k auto`` holds ``k_scores`` (str(K) to validation score); one of several repeats
    ``stability`` (Nogueira's estimate, its CI and variance), ``selection_frequency`` and
    ``mean_rank`` (per feature). ``variants[variant][metric]`` holds the SVC
    accuracy of that importance variant's top K on the validation rows ("val") and on the
    test split ("test"). ``eval_train_rows``, set only where the training part has more rows,
    is how many of them each downstream model was fitted on (``EVAL_TRAIN_ROWS``). With
    importance "validated", ``windows`` holds the variant chosen per metric ("chosen") and the
    validation score of every variant ("scores"). ``prune_floor`` (guided-prune only) is the
    fewest inputs input pruning left active.
    """

    dataset: str
    method: str
    kind: str = "nn"
    sparsefs_version: str | None = None
    density: float | None = None
    metric: str | None = None
    k: int | None = None
    seed: int = 0
    l2: float | None = None
    n_samples: int | None = None
    n_train: int | None = None
    n_test: int | None = None
    n_features: int | None = None
    n_classes: int | None = None
    hidden: list | None = None
    batch_size: int | None = None
    ranking: list | None = None
    rankings: dict = field(default_factory=dict)
    scores: dict | None = None
    selected: list | None = None
    selected_names: list | None = None
    image_shape: list | None = None
    feature_names: list | None = None
    accuracy: dict | None = None
    r2: dict | None = None
    learning_task: str | None = None
    eval_train_rows: int | None = None
    importance: str | None = None
    learning_rate: float | None = None
    softmax_axis: str | None = None
    attribution_every: int | None = None
    prune_floor: int | None = None
    variants: dict | None = None
    windows: dict | None = None
    sweep: dict | None = None
    best_epoch: int | None = None
    published_best_epoch: int | None = None
    epochs_run: int | None = None
    stopped_by: str | None = None
    best_val_loss: float | None = None
    history: dict | None = None
    importance_history: dict | None = None
    nnz: list | None = None
    flops: dict | None = None
    memory: dict | None = None
    seconds: dict | None = None
    task: dict | None = None
    k_scores: dict | None = None
    stability: dict | None = None
    selection_frequency: list | None = None
    mean_rank: list | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def to_dict(self):
        """The JSON form: every field that has a value, in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data):
        """A record from its JSON form; unknown keys (from newer versions) are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def get(self, *path):
        """A nested value such as ``get("flops", "train")``, or None where any step is missing."""
        value = self
        for key in path:
            if isinstance(value, RunRecord):
                value = getattr(value, key, None)
            elif isinstance(value, dict):
                value = value.get(key)
            else:
                return None
        return value

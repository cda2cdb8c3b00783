"""One source of truth: the names and defaults the estimator, the CLI and the study share.

The estimator's ``_parameter_constraints``, the CLI's choices and defaults and the study's grid
all read these, so a new method or a changed default is written once. No imports beyond the
standard library: the CLI reads this before numpy loads.
"""

#: Training methods: dynamic sparse training rules, and the dense baseline. "guided" is SET
#: whose first layer regrows where the running attribution is high (nn/topology/grow.py).
#: "guided-prune" is the guided rule with input pruning (nn/topology/inputs.py).
METHODS = ("set", "rigl", "guided", "guided-prune", "dense")
#: The methods whose networks are sparse (they take a density and a topology rule).
SPARSE_METHODS = ("set", "rigl", "guided", "guided-prune")
#: Importance metrics: neuron attribution, neuron strength (the paper's "QS").
METRICS = ("attr", "strength")
#: What a ranking may be read from: a metric, or "combined", the mean of a feature's two ranks
#: (sparsefs/_ranking.py; README "Attribution and strength together" compares the three).
RANKING_METRICS = (*METRICS, "combined")
#: How the per-mini-batch importance is accumulated. "sum_to_best":
#: epochs 1..best (lowest validation loss); "best_epoch": that epoch only; "last_batch": the
#: final mini-batch; "published": the published code's window, epochs before its best epoch,
#: whose rule forces the best to be at least the fifth epoch; "all_epochs": every epoch run.
IMPORTANCE_VARIANTS = ("sum_to_best", "best_epoch", "last_batch", "published", "all_epochs")
#: The published code takes every epoch before this one (1-based) as the best, whatever its
#: validation loss: ``val_loss < best or epoch < 5`` with 0-based epochs.
PUBLISHED_FORCED_EPOCHS = 5
#: Optimizers the kernels implement.
SOLVERS = ("adam", "sgd")
#: Floating types of weights and activations.
DTYPES = ("float32", "float64")
#: Classical baselines of the study: name -> the label its report uses.
BASELINES = {"lasso": "Lasso", "mi": "MI", "extratrees": "ExtraTrees", "random": "Random",
             "extratrees500": "ExtraTrees-500", "lasso_cv": "Lasso-CV"}
#: L1-logistic strengths ``lasso_cv`` chooses from, by cross-validation on the training part.
LASSO_CV_CS = (0.01, 0.1, 1.0, 10.0)
#: Folds of that cross-validation.
LASSO_CV_FOLDS = 3

# The paper's protocol (Atashgahi et al., 2024, Sec. 5 and its published code).
METHOD = "set"
DENSITY = 0.2
METRIC = "attr"
#: The fixed rule: per metric, the variant of highest mean validation accuracy in the variant
#: study (README "Which epochs' importance", bench/results/variants/default/report.md: five
#: data sets, dense and SET, seeds 0-4): attribution is best summed up to the best epoch,
#: strength summed over every epoch run. Ties of a per-fit choice go to it.
FIXED_IMPORTANCE = {"attr": "sum_to_best", "strength": "all_epochs"}
#: What "auto" means per metric. "validated" chooses the variant per fit: the one whose top K
#: scores best on the fit's validation rows (sparsefs/_window_choice.py). On held-out halves
#: of those rows (bench/results/variants/validated_window.json, 30 runs, no test split) the
#: per-fit choice beat the fixed rule for strength (76.3 -> 78.4 with the SVC as chooser,
#: 74.2 -> 78.0 with 5-NN) but not for attribution (79.2 -> 78.7, 77.2 -> 75.2).
AUTO_IMPORTANCE = {"attr": "sum_to_best", "strength": "validated"}
IMPORTANCE_CHOICES = ("auto", "validated", *IMPORTANCE_VARIANTS)
IMPORTANCE = "auto"
HIDDEN = (1000, 100)
EPOCHS = 200
LEARNING_RATE = 1e-3
#: Coupled weight decay. 1e-2, not the paper's 1e-4: chosen on validation accuracy (madelon,
#: lymphoma, PCMAC, Prostate_GE; dense and SET), where it raised strength by 5.5 points on the
#: mean and attribution by 1.8 (bench/results/variants, README "Why neuron strength was weak").
L2 = 1e-2
#: The paper's weight decay, which the study of its Table 6 uses.
PAPER_L2 = 1e-4
ZETA = 0.3
ZETA_END = 0.005
UPDATE_EVERY = 10
PATIENCE = 50
#: The guided rule's running attribution: decay per mini-batch of its moving average, and the
#: share of regrowth probability spread uniformly over the inputs (so none is starved).
GUIDED_DECAY = 0.9
GUIDED_FLOOR = 0.2
#: Input pruning ("guided-prune"): each epoch the bottom PRUNE_FRACTION of the active inputs
#: by running attribution get a strike; PRUNE_PATIENCE strikes in a row make an input due,
#: and at most PRUNE_RATE of the active inputs (lowest first) are pruned in one epoch. The
#: floor is PRUNE_FLOOR_PER_K x the K to select, and never below PRUNE_MIN_INPUTS.
PRUNE_FRACTION = 0.5
PRUNE_PATIENCE = 3
PRUNE_RATE = 0.2
PRUNE_FLOOR_PER_K = 2
PRUNE_MIN_INPUTS = 100
VALIDATION_FRACTION = 0.2
N_FEATURES_TO_SELECT = 100

# Mini-batch size rule: the paper uses 100, and 32 for its small data sets (< 200 samples here).
BATCH_SIZE = 100
SMALL_BATCH_SIZE = 32
SMALL_DATA_SAMPLES = 200

#: Most training rows a downstream SVC (or SVR) of the evaluation is fitted on: above it, a
#: fixed class-stratified subsample of that many rows (the same for every method, seed and
#: K). libsvm's fit grows about quadratically with rows: on Fashion-MNIST's 60,000 it made
#: the ~20 evaluations of one run take hours. Every data set of the paper's table trains on
#: fewer rows here, so their protocol is untouched.
EVAL_TRAIN_ROWS = 10_000

#: The study's default grid and K sweep.
STUDY_DENSITIES = (0.5, 0.2, 0.05)
STUDY_SEEDS = "0-9"
K_SWEEP = (25, 50, 75, 100, 200)


def resolve_importance(importance, metric):
    """What ``importance`` means for ``metric``: a variant of IMPORTANCE_VARIANTS, or
    "validated" (chosen per fit, see sparsefs/_window_choice.py)."""
    return AUTO_IMPORTANCE[metric] if importance == "auto" else importance


def uses_validation_choice(importance):
    """Whether ``importance`` makes some metric's variant a per-fit validated choice."""
    return "validated" in (resolve_importance(importance, m) for m in METRICS)


def prune_floor(k, n_features, floor=None):
    """Fewest inputs "guided-prune" leaves active: ``floor`` when given, else PRUNE_FLOOR_PER_K
    x K (K unknown, as for "auto": a tenth of the features) and at least PRUNE_MIN_INPUTS; at
    most every feature."""
    if floor is not None:
        return int(min(n_features, max(1, floor)))
    want = PRUNE_FLOOR_PER_K * k if k else n_features // 10
    return int(min(n_features, max(PRUNE_MIN_INPUTS, want)))


def default_batch_size(n_samples):
    """The paper's mini-batch size for ``n_samples`` training samples."""
    return BATCH_SIZE if n_samples >= SMALL_DATA_SAMPLES else SMALL_BATCH_SIZE

#: Tasks the estimator and the CLI accept; "auto" decides from y (``type_of_target``).
TASKS = ("auto", "classification", "regression")

#: Most values (features x epochs) the per-epoch importance history may hold per metric:
#: 10 million float32 values are 40 MB.
IMPORTANCE_HISTORY_LIMIT = 10_000_000

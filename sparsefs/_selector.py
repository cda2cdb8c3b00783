"""``SparseFeatureSelector``: the scikit-learn face of sparsefs.

Fits a truly sparse MLP (SET or RigL; or the dense baseline) with the paper's protocol and keeps
the ``n_features_to_select`` inputs the trained network relies on most, by neuron attribution or
neuron strength. Parameter names follow ``MLPClassifier`` where the meaning is the same.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _config as C
from ._choose_k import choose_k, default_k_estimator
from ._ranking import metric_order, metric_scores
from ._selector_params import PARAMETER_CONSTRAINTS
from ._stability import (
    combine_scores,
    nogueira_stability,
    repeat_seeds,
    run_fits,
    selection_table,
)
from ._targets import make_targets, resolve_task
from ._window_choice import fit_windows
from .data.scaling import network_input
from .data.splits import split_train_validation
from .nn.losses import make_loss
from .nn.network import build_mlp
from .nn.optim import Optimizer
from .nn.training import TrainConfig, train_mlp


class SparseFeatureSelector(SelectorMixin, BaseEstimator):
    """Feature selection with a dynamically sparse-trained MLP (Atashgahi et al., 2024).

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default=100
        Number of features to keep; a float in (0, 1] is a fraction of the input features.
        "auto" chooses it after training: the smallest K on a geometric grid whose top-K
        features score, with ``k_estimator`` trained on the network's training rows, within
        ``k_tol`` of the best score on its validation rows.
    method : {"set", "rigl", "guided", "guided-prune", "dense"}, default="set"
        Dynamic sparse training rule, or the dense baseline. "guided": SET whose first layer
        regrows at inputs drawn by running attribution (attribution on every mini-batch);
        "guided-prune" also removes inputs whose running attribution stays low, keeping at
        least ``prune_floor`` (README "Attribution-guided topology").
    density : float in (0, 1], default=0.2
        Fraction of all weights stored (Erdos-Renyi-Kernel spread over layers).
    metric : {"attr", "strength", "combined"}, default="attr"
        Importance used for the selection: neuron attribution, neuron strength, or both:
        "combined" orders features by the mean of their two ranks (ties by attribution; it
        needs attribution). README "Attribution and strength together" compares the three.
    importance : {"auto", "validated", "sum_to_best", "best_epoch", "last_batch", \
            "published", "all_epochs"}, default="auto"
        Which accumulation of the per-mini-batch importance decides: summed over epochs 1 to
        the best (lowest validation loss), the best epoch only, the last mini-batch, the
        published code's window (the epochs before its best epoch, which is never earlier
        than the fifth), or every epoch run. "validated" chooses per fit and metric: the
        window whose top K features ``k_estimator``, trained on the network's training rows,
        scores best on its validation rows (K = ``n_features_to_select``, or 100 with
        "auto"; ties go to "sum_to_best" for attribution, "all_epochs" for strength). "auto"
        takes "sum_to_best" for attribution and "validated" for strength, what won on
        held-out validation rows (see the README).
    hidden_layer_sizes : tuple of int, default=(1000, 100)
    max_iter : int, default=200
        Maximum number of epochs.
    batch_size : int or None, default=None
        None means 100, or 32 when fewer than 200 samples are given.
    solver : {"adam", "sgd"}, default="adam"
    learning_rate_init : float, default=1e-3
    l2 : float, default=1e-2
        Coupled L2 weight decay: ``l2 * w`` is added to every weight's gradient (unlike
        ``MLPClassifier.alpha``, it is not divided by the number of samples). The paper used
        1e-4; 1e-2 won on validation accuracy (see the README).
    beta_1, beta_2, epsilon : float
        Adam's parameters. momentum : float, SGD's momentum.
    update_every : int, default=10
        Optimizer steps between topology updates.
    zeta : float, default=0.3
        Initial drop fraction, cosine-decayed to ``zeta_end`` over the planned steps.
    zeta_end : float, default=0.005
    n_iter_no_change : int, default=50
        Early-stopping patience in epochs, on the validation loss.
    validation_fraction : float in [0, 1), default=0.2
    standardize : bool, default=True
        Standardize features (training statistics) before the network sees them; sparse input
        is scaled without centring so it stays sparse. The selection applies to the raw X.
    attribution : bool, default=True
        Compute neuron attribution; False saves its cost when ``metric="strength"`` (it is
        computed whatever this says for "attr" and "combined").
    attribution_every : int, default=1
        Compute attribution on every k-th mini-batch only; 1 is the paper's every batch. A
        cheaper schedule for many classes (see the README for what it changes).
    max_time : float or None, default=None
        Seconds of training after which the current epoch is the last.
    callback : callable or None, default=None
        ``callback(row)`` after each epoch with the history row (dict); True stops training.
    dtype : {"float32", "float64"}, default="float32"
    task : {"auto", "classification", "regression"}, default="auto"
        "auto" reads it from y (scikit-learn's ``type_of_target``: continuous values are
        regression). Regression trains on mean squared error with linear outputs, y of shape
        (n_samples,) or (n_samples, n_outputs), each target standardized on the training rows;
        attribution is then ``sum_o mean_k |d f_o / d x_j|`` over the outputs, strength is
        unchanged.
    k_tol : float in [0, 1], default=0.01
        With "auto": how far below the best validation score a smaller K may be.
    k_estimator : estimator or None, default=None
        With "auto" K or "validated" importance: the model that scores each K or window
        (``fit``/``score``); None is a scaled 5-nearest-neighbours classifier or regressor.
    prune_floor : int or None, default=None
        With "guided-prune": the fewest inputs pruning leaves active (at most every feature).
        None is max(100, 2 K), or a tenth of the features with "auto" K. Set it to at least
        twice the largest K you will read from ``feature_order_``: beyond the inputs kept
        the order is no longer the trained network's choice.
    importance_history : bool, default=False
        Keep every epoch's importance in ``importance_history_``; refused (ValueError) when
        ``n_features * max_iter`` is above ``IMPORTANCE_HISTORY_LIMIT`` values.
    n_repeats : int, default=1
        Train this many networks from independent seeds (the first is ``random_state``'s):
        the scores are then the mean of each repeat's scores normalized to sum 1, and the
        selection frequency, mean rank and stability attributes are set.
    n_jobs : int or None, default=None
        Repeats in parallel worker processes (joblib); None runs them one after another.
    softmax_axis : {"class", "batch"}, default="class"
        "batch" reproduces the published code's training loss, a softmax over the samples of
        each mini-batch followed by cross-entropy (a bug, kept only to study its effect on
        the importance; attribution is always taken on the class softmax, as there).
    random_state : int, RandomState or None, default=None
        Fixes the validation split, initialisation, batch order and topology updates.
    verbose : int, default=0
        Print one line per epoch when > 0.

    Attributes
    ----------
    scores_ : dict of str to ndarray of shape (n_features_in_,)
        Importance per metric ("attr", "strength") in the chosen ``importance`` variant.
    all_scores_ : dict of str to dict of str to ndarray
        Every metric in every variant (``sparsefs._config.IMPORTANCE_VARIANTS``).
    importance_ : dict of str to str
        The variant each metric's ``scores_`` come from (the first repeat's where chosen).
    window_scores_ : dict of str to dict of str to float
        For each metric chosen per fit: the validation score of every variant's top K (the
        first repeat's); empty when no metric was chosen so.
    feature_importances_ : ndarray of shape (n_features_in_,)
        ``scores_[metric]``; for "combined" the mean Borda count of the two metrics, d + 1
        minus the mean of a feature's two ranks (``sparsefs._ranking.combined_scores``).
    ranking_ : ndarray of int of shape (n_features_in_,)
        Rank of each feature, 1 for the most important (as ``RFE.ranking_``).
    feature_order_ : ndarray of int of shape (n_features_in_,)
        Feature indices from most to least important.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X has string column names.
    task_ : {"classification", "regression"}
    classes_ : ndarray of shape (n_classes,)
        Classification only.
    n_outputs_ : int
        Classes, or regression targets.
    network_ : sparsefs.nn.MLP
        The trained network at its best epoch; it standardizes its input itself, so
        ``network_.predict_proba(X)`` takes the raw X.
    history_ : dict of str to list
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``nnz``, ``zeta``, ``seconds``,
        ``threads`` (the Numba threads in use at the epoch's end; fewer than the pool while other
        processes hold the cores, see ``sparsefs.nn.thread_budget``).
    best_epoch_ : int
        Epoch of lowest validation loss, whose weights the network keeps.
    n_iter_ : int
        Epochs run.
    n_features_to_select_ : int
        With "auto": the K chosen.
    importance_history_ : dict of str to ndarray of shape (n_iter_, n_features_in_)
        With ``importance_history=True``: each epoch's summed importance per metric, float32.
    k_scores_ : dict of int to float
        With "auto": the validation score of every K tried.
    selection_frequency_ : ndarray of shape (n_features_in_,)
        With ``n_repeats > 1``: share of repeats that put the feature in their top
        ``n_features_to_select`` (by ``metric``).
    mean_rank_ : ndarray of shape (n_features_in_,)
        With ``n_repeats > 1``: the feature's rank (1 = first) averaged over repeats.
    stability_ : Stability
        With ``n_repeats > 1``: Nogueira et al.'s stability index of the repeats' selections
        (``estimate``, ``lower``/``upper`` of its 95% confidence interval, ``variance``).
    repeat_results_ : list of TrainResult
        With ``n_repeats > 1``: every repeat's training outcome (network_ is the first's).
    train_indices_, validation_indices_ : ndarray of int
        Rows of X the network was trained on and validated on (the seeded split).
    result_ : sparsefs.nn.TrainResult
        Counters for FLOP accounting and the stop reason.
    """

    _parameter_constraints = PARAMETER_CONSTRAINTS

    def __init__(self, n_features_to_select=C.N_FEATURES_TO_SELECT, *, method=C.METHOD,
                 density=C.DENSITY, metric=C.METRIC, importance=C.IMPORTANCE,
                 hidden_layer_sizes=C.HIDDEN, max_iter=C.EPOCHS, batch_size=None,
                 solver="adam", learning_rate_init=C.LEARNING_RATE, l2=C.L2, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, momentum=0.9, update_every=C.UPDATE_EVERY,
                 zeta=C.ZETA, zeta_end=C.ZETA_END, n_iter_no_change=C.PATIENCE,
                 validation_fraction=C.VALIDATION_FRACTION, standardize=True, attribution=True,
                 attribution_every=1, max_time=None, callback=None, dtype="float32",
                 softmax_axis="class", task="auto", importance_history=False, n_repeats=1,
                 prune_floor=None, n_jobs=None, k_tol=0.01, k_estimator=None, random_state=None,
                 verbose=0):
        self.n_features_to_select = n_features_to_select
        self.method = method
        self.density = density
        self.metric = metric
        self.importance = importance
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.l2 = l2
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.momentum = momentum
        self.update_every = update_every
        self.zeta = zeta
        self.zeta_end = zeta_end
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.attribution = attribution
        self.attribution_every = attribution_every
        self.max_time = max_time
        self.callback = callback
        self.dtype = dtype
        self.softmax_axis = softmax_axis
        self.task = task
        self.importance_history = importance_history
        self.n_repeats = n_repeats
        self.prune_floor = prune_floor
        self.n_jobs = n_jobs
        self.k_tol = k_tol
        self.k_estimator = k_estimator
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y) -> SparseFeatureSelector:
        """Train the network on (X, y) and rank the features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of any type, or continuous targets (see ``task``).

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"),
                             dtype=(np.float64, np.float32), multi_output=True)
        self.task_ = resolve_task(self.task, y)
        targets = make_targets(self.task_, y)
        if self.task_ == "classification":
            self.classes_ = targets.classes
        self.n_outputs_ = targets.n_outputs
        n_select = self._n_select(X.shape[1]) if self.n_features_to_select != "auto" else 1
        if n_select > X.shape[1]:
            raise ValueError(f"n_features_to_select={n_select} is larger than the number of "
                             f"features ({X.shape[1]}); choose at most {X.shape[1]}.")
        if self.importance_history and X.shape[1] * self.max_iter > C.IMPORTANCE_HISTORY_LIMIT:
            raise ValueError(
                f"importance_history would keep {X.shape[1]:,} features x {self.max_iter} "
                f"epochs, above the limit of {C.IMPORTANCE_HISTORY_LIMIT:,} values; lower "
                "max_iter or leave importance_history off.")
        Xn, scaler = network_input(X, np.dtype(self.dtype), self.standardize)
        seeds = repeat_seeds(self._seed(), self.n_repeats)
        fits = run_fits(self, Xn, scaler, targets, seeds)
        network, result, (tr, va) = fits[0]
        self.network_, self.result_ = network, result
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.n_iter_ = result.epochs_run
        self.train_indices_, self.validation_indices_ = tr, va
        self.all_scores_ = result.scores
        if result.importance_history is not None:
            self.importance_history_ = result.importance_history
        estimator = self.k_estimator or default_k_estimator(self.task_, sp.issparse(X))
        y_k = targets.classes[targets.codes] if self.task_ == "classification" else y
        computed = C.METRICS if self._needs_attribution() else ("strength",)
        k_window = n_select if self.n_features_to_select != "auto" else min(
            C.N_FEATURES_TO_SELECT, X.shape[1])
        windows = [fit_windows(self.importance, X, y_k, r, rows, k_window, estimator, computed)
                   for _, r, rows in fits]
        self.importance_, self.window_scores_ = windows[0]
        per_repeat = [{m: r.scores[m][w[m]] for m in C.METRICS}
                      for (_, r, _), (w, _) in zip(fits, windows)]
        self.scores_ = (per_repeat[0] if len(fits) == 1 else
                        {m: combine_scores([s[m] for s in per_repeat]) for m in C.METRICS})
        self.feature_importances_ = metric_scores(self.scores_, self.metric)
        self.feature_order_ = metric_order(self.scores_, self.metric)
        self.ranking_ = np.empty(X.shape[1], dtype=np.int64)
        self.ranking_[self.feature_order_] = np.arange(1, X.shape[1] + 1)
        if self.n_features_to_select == "auto":
            self.n_features_to_select_, self.k_scores_ = choose_k(
                X, y_k, self.feature_order_, tr, va, estimator, self.k_tol)
            n_select = self.n_features_to_select_
        if len(fits) > 1:
            orders = [metric_order(s, self.metric) for s in per_repeat]
            self.selection_frequency_, self.mean_rank_, chosen = selection_table(orders,
                                                                                 n_select)
            self.stability_ = nogueira_stability(chosen)
            self.repeat_results_ = [r for _, r, _ in fits]
        return self

    def _fit_network(self, Xn, scaler, targets, seed):
        """Train one network from ``seed``: (network, TrainResult, (train rows, val rows))."""
        rng = np.random.default_rng(seed)
        n, d = Xn.shape
        batch = self.batch_size or C.default_batch_size(n)
        known_k = None if self.n_features_to_select == "auto" else self._n_select(d)
        network, (tr, va) = self._network_and_split(n, d, targets, batch, rng)
        if scaler is not None:
            network.set_input_scaling(scaler.mean_, scaler.scale_)
        y_net = targets.for_network(tr)
        config = TrainConfig(method=self.method, epochs=self.max_iter, batch_size=batch,
                             update_every=self.update_every, zeta=self.zeta,
                             zeta_end=self.zeta_end, patience=self.n_iter_no_change,
                             max_time=self.max_time,
                             attribution=self._needs_attribution(),
                             keep_importance_history=self.importance_history,
                             attribution_every=self.attribution_every,
                             prune_min_inputs=C.prune_floor(known_k, d, self.prune_floor))
        result = train_mlp(network, Xn, y_net, Xn, y_net, config, rng, progress=self._progress,
                           train_rows=tr, val_rows=va)
        return network, result, (tr, va)

    def _needs_attribution(self):
        return bool(self.attribution) or self.metric != "strength"

    def _network_and_split(self, n, d, targets, batch, rng):
        """The untrained network and the (train rows, validation rows) split of ``n`` rows,
        drawn from ``rng`` in this order (so a seed fixes both, and a study's validation rows
        can be rebuilt without training)."""
        hidden = tuple(int(h) for h in np.atleast_1d(self.hidden_layer_sizes))
        optimizer = Optimizer(self.solver, self.learning_rate_init, self.l2, self.beta_1,
                              self.beta_2, self.epsilon, self.momentum)
        network = build_mlp(d, targets.n_outputs, hidden, self.method, self.density,
                            optimizer, rng, np.dtype(self.dtype),
                            loss=make_loss(self.softmax_axis, batch, self.task_))
        return network, split_train_validation(n, targets.stratify, self.validation_fraction,
                                               rng)

    def _get_support_mask(self):
        check_is_fitted(self, "feature_order_")
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.feature_order_[: self._n_select(self.n_features_in_)]] = True
        return mask

    def top_features(self, k: int, metric: str | None = None) -> np.ndarray:
        """Indices of the ``k`` most important features by ``metric`` (default: ``self.metric``)."""
        check_is_fitted(self, "scores_")
        return metric_order(self.scores_, metric or self.metric)[:k]

    def importance_frame(self):
        """The fitted scores as a pandas DataFrame, one row per feature, most important first:
        ``feature`` (names from a DataFrame X, else x0, x1, ...), ``attr``, ``strength``,
        ``rank``, ``selected``, and with ``n_repeats > 1`` ``frequency`` and ``mean_rank``."""
        from ._frames import importance_frame

        check_is_fitted(self, "feature_order_")
        return importance_frame(self)

    def _n_select(self, n_features):
        n = self.n_features_to_select
        if n == "auto":
            return self.n_features_to_select_
        if isinstance(n, numbers.Integral):
            return int(n)
        return max(1, int(round(n * n_features)))

    def _seed(self):
        rs = self.random_state
        if rs is None or isinstance(rs, numbers.Integral):
            return rs
        return int(rs.randint(2**31 - 1))  # a RandomState instance

    def _progress(self, row):
        if self.verbose:
            print(f"epoch {row['epoch']}: train loss {row['train_loss']:.4f}, "
                  f"val loss {row['val_loss']:.4f}, nnz {row['nnz']}, zeta {row['zeta']:.3f}")
        return bool(self.callback(row)) if self.callback is not None else False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = self.task == "regression"
        return tags

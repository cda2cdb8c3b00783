"""``EvaluationSVC``: the protocol's ``SVC()``, fitted on at most ``EVAL_TRAIN_ROWS`` rows.

Its own module so that importing :mod:`sparsefs.experiments.evaluate` does not import
scikit-learn's SVM code; the class must live at module level for ``clone`` and pickling.
"""

from sklearn.svm import SVC

from .evaluate import fit_rows


class EvaluationSVC(SVC):
    """``SVC()`` whose ``fit`` keeps :func:`~sparsefs.experiments.evaluate.evaluation_rows`
    of ``(X, y)``: all of them up to ``EVAL_TRAIN_ROWS``, else a fixed stratified
    subsample. Parameters and everything else as ``sklearn.svm.SVC``."""

    def fit(self, X, y, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("EvaluationSVC takes no sample_weight; use sklearn.svm.SVC.")
        X, y = fit_rows(X, y)
        return super().fit(X, y)

"""A linear SVM whose scores are turned into calibrated probabilities.

LinearSVC was both faster and more accurate than logistic regression on this corpus, but
it gives scores, not probabilities. Like scikit-learn's
``CalibratedClassifierCV(ensemble=False)``, the calibration is learned on out-of-fold
scores; here it is a single temperature: the probability of class k is
``softmax(scale_ * scores)_k``. One scalar keeps the model linear, so the data-only
predictor reproduces it exactly with ``coef_ * scale_``.

Its import path is part of the saved-model format.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores.

    >>> softmax(np.array([[0.0, 0.0], [0.0, np.log(3.0)]])).round(2).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    """
    shifted = scores - scores.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def fit_temperature(scores: np.ndarray, y_index: np.ndarray) -> float:
    """The scale a > 0 minimising the negative log-likelihood of softmax(a * scores)."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(y_index))

    def nll(log_a: float) -> float:
        z = np.exp(log_a) * scores
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y_index]))

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(200.0)), method="bounded")
    return float(np.exp(res.x))


class CalibratedLinearSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC (one-vs-rest) whose scores become probabilities ``softmax(scale * scores)``.

    With ``scale=None``, ``fit`` learns the temperature on ``cv`` inner folds (self-contained,
    like ``CalibratedClassifierCV``). Training passes the ``scale`` it learned on the
    out-of-fold scores of its cross-validation instead, which is the same held-out
    calibration without fitting the inner folds again.

    With two classes, scikit-learn's convention holds: ``coef_`` has one row and
    ``decision_function`` returns one score ``s`` per sample (positive: ``classes_[1]``);
    the probabilities are ``softmax(scale * [-s, s])``. Passes ``check_estimator``
    (``tests/training/test_estimator.py``).

    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [0.4], [1.0], [1.2], [1.4]] * 2)
    >>> clf = CalibratedLinearSVC(cv=2).fit(X, ["no", "no", "no", "yes", "yes", "yes"] * 2)
    >>> clf.predict([[0.1], [1.3]]).tolist()
    ['no', 'yes']
    """

    def __init__(
        self,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        cv: int = 3,
        random_state: int = 0,
        scale: float | None = None,
    ):
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state
        self.scale = scale

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # TF-IDF features are sparse
        return tags

    def _svc(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)

    def fit(self, X, y, sample_weight=None):
        """Fit the SVM on ``X`` (dense or sparse), learning the temperature if ``scale`` is None.

        ``sample_weight`` multiplies each sample's loss (a bureau's own labelled messages
        weigh more than the corpus; see ``TrainConfig.added_weight``).
        """
        started = time.perf_counter()
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (X.shape[0],) or not np.all(np.isfinite(sample_weight)):
                raise ValueError("sample_weight must be one finite number per sample")
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got {len(self.classes_)} class"
            )
        if self.scale is None:
            self.scale_ = self._learn_scale(X, y, y_index, sample_weight)
        else:
            self.scale_ = float(self.scale)
        calibrated = time.perf_counter()
        final = self._svc().fit(X, y, sample_weight=sample_weight)
        self.coef_ = final.coef_
        self.intercept_ = final.intercept_
        self.seconds_ = {"calibrate": calibrated - started, "fit": time.perf_counter() - calibrated}
        return self

    def _learn_scale(self, X, y: np.ndarray, y_index: np.ndarray, sample_weight=None) -> float:
        """The temperature fitted on out-of-fold scores of ``cv`` inner folds."""
        folds_n = min(self.cv, int(np.bincount(y_index).min()))
        if folds_n < 2:  # a class too small to hold out: no calibration data
            return 1.0
        oof = np.zeros((X.shape[0], len(self.classes_)))
        folds = StratifiedKFold(n_splits=folds_n, shuffle=True, random_state=self.random_state)
        for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
            if len(np.unique(y[train_idx])) < len(self.classes_):
                return 1.0
            weights = None if sample_weight is None else sample_weight[train_idx]
            svc = self._svc().fit(X[train_idx], y[train_idx], sample_weight=weights)
            oof[test_idx] = _as_columns(svc.decision_function(X[test_idx]))
        return fit_temperature(oof, y_index)

    def set_scale(self, scale: float) -> CalibratedLinearSVC:
        """Set the temperature of a fitted model (its coefficients do not depend on it)."""
        self.scale = self.scale_ = float(scale)
        return self

    def decision_function(self, X) -> np.ndarray:
        """SVM scores: shape (n,) for two classes, (n, n_classes) otherwise."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = np.asarray(safe_sparse_dot(X, self.coef_.T)) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities ``softmax(scale_ * scores)``, columns in ``classes_`` order."""
        scores = _as_columns(self.decision_function(X))
        return softmax(self.scale_ * scores)

    def predict(self, X) -> np.ndarray:
        """The class with the highest score."""
        best = _as_columns(self.decision_function(X)).argmax(axis=1)
        return self.classes_[best]


def _as_columns(scores: np.ndarray) -> np.ndarray:
    """One column per class: a two-class score ``s`` becomes ``[-s, s]``."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        return np.column_stack([-scores, scores])
    return scores

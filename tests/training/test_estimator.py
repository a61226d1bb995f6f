"""CalibratedLinearSVC keeps scikit-learn's estimator contract and works on any number of classes."""

import doctest

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from nlp_pipeline.training import estimator as estimator_module
from nlp_pipeline.training.estimator import CalibratedLinearSVC

# Checks that cannot apply, with the reason (scikit-learn declares the same for LinearSVC).
EXPECTED_FAILED = {
    # liblinear's dual solver: a weight of 2 is not the same optimum as a repeated sample,
    # and the inner calibration folds split repeated samples differently from weighted ones.
    "check_sample_weight_equivalence_on_dense_data": "liblinear: weights are not repetitions",
    "check_sample_weight_equivalence_on_sparse_data": "liblinear: weights are not repetitions",
}


@parametrize_with_checks(
    [CalibratedLinearSVC(), CalibratedLinearSVC(scale=2.0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_sample_weight_moves_the_decision():
    """A heavy sample pulls the boundary: what a bureau's own labels rely on."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.where(X[:, 0] > 0, "a", "b")
    probe = np.array([[0.05, 0, 0, 0]])  # near the boundary, on the "a" side
    plain = CalibratedLinearSVC(scale=1.0).fit(X, y)
    X2, y2 = np.vstack([X, probe]), np.append(y, "b")
    w = np.append(np.ones(60), 50.0)
    weighted = CalibratedLinearSVC(scale=1.0).fit(X2, y2, sample_weight=w)
    assert plain.predict(probe)[0] == "a"
    assert weighted.predict(probe)[0] == "b"
    with pytest.raises(ValueError):
        CalibratedLinearSVC(scale=1.0).fit(X, y, sample_weight=np.ones(3))


def two_class_data(seed=0, n=120):
    rng = np.random.default_rng(seed)
    y = np.array(["criticism", "praise"] * (n // 2))
    X = rng.normal(size=(n, 5))
    X[:, 0] += np.where(y == "praise", 2.0, -2.0)
    return X, y


@pytest.mark.parametrize("scale", [None, 3.0])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_two_class_target_predicts_both_classes(scale, as_sparse):
    X, y = two_class_data()
    if as_sparse:
        X = sparse.csr_matrix(X)
    clf = CalibratedLinearSVC(scale=scale).fit(X, y)
    pred = clf.predict(X)
    assert set(pred) == {"criticism", "praise"}
    assert (pred == y).mean() > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (clf.classes_[proba.argmax(axis=1)] == pred).all()
    assert clf.decision_function(X).shape == (len(y),)


def test_multiclass_probabilities_follow_the_scores():
    rng = np.random.default_rng(1)
    y = np.repeat(["a", "b", "c"], 40)
    X = rng.normal(size=(120, 4))
    X[np.arange(120), np.searchsorted(["a", "b", "c"], y)] += 3
    clf = CalibratedLinearSVC().fit(X, y)
    assert clf.decision_function(X).shape == (120, 3)
    assert (clf.predict(X) == clf.classes_[clf.predict_proba(X).argmax(axis=1)]).all()
    assert clf.scale_ > 0


def test_doctests():
    assert doctest.testmod(estimator_module).failed == 0

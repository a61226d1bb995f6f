"""CalibratedLinearSVC keeps scikit-learn's estimator contract and works on any number of classes."""

import doctest

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from nlp_pipeline.training import estimator as estimator_module
from nlp_pipeline.training.estimator import CalibratedLinearSVC


@parametrize_with_checks([CalibratedLinearSVC(), CalibratedLinearSVC(scale=2.0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


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

"""Training internals: the cross-validation shortcut equals a vectorizer fitted per fold."""

import numpy as np
import pytest

from nlp_pipeline.text.normalize import prepare_many
from nlp_pipeline.training.config import FeatureConfig
from nlp_pipeline.training.fit import build_features, count_blocks, fold_tfidf

from ..conftest import small_corpus_lines


@pytest.mark.parametrize(
    "cfg",
    [
        FeatureConfig(),
        FeatureConfig(
            word_ngram_max=1, char_ngram_min=2, char_ngram_max=3, min_df=1, sublinear_tf=False
        ),
    ],
)
def test_fold_tfidf_equals_a_vectorizer_fitted_on_the_fold(cfg):
    import json

    texts = prepare_many([json.loads(x)["text"] for x in small_corpus_lines(8)])
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(texts))
    train_idx, test_idx = np.sort(idx[: len(idx) * 3 // 4]), np.sort(idx[len(idx) * 3 // 4 :])
    X_train, X_test = fold_tfidf(count_blocks(texts, cfg), train_idx, test_idx, cfg)

    features = build_features(cfg)
    ref_train = features.fit_transform([texts[i] for i in train_idx])
    ref_test = features.transform([texts[i] for i in test_idx])
    assert X_train.shape == ref_train.shape and X_test.shape == ref_test.shape
    # Same values up to a permutation of columns: compare each row's sorted values and the
    # column sums (a permutation-invariant fingerprint of every column).
    for ours, ref in ((X_train, ref_train), (X_test, ref_test)):
        for i in range(ours.shape[0]):
            np.testing.assert_allclose(np.sort(ours[i].data), np.sort(ref[i].data), atol=1e-12)
        np.testing.assert_allclose(
            np.sort(np.asarray(ours.sum(axis=0)).ravel()),
            np.sort(np.asarray(ref.sum(axis=0)).ravel()),
            atol=1e-9,
        )

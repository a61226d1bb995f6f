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
    # Same matrices, entry by entry: same columns in the same order (both vocabularies are
    # the block's terms sorted, kept when their document frequency reaches min_df), same
    # values. A permutation-invariant fingerprint would miss swapped columns.
    for ours, ref in ((X_train, ref_train), (X_test, ref_test)):
        assert ours.shape == ref.shape
        assert abs(ours - ref).max() < 1e-12
        assert (ours != 0).nnz == (ref != 0).nnz

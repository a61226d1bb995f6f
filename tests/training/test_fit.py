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


def test_review_thresholds_keep_the_promise_in_every_group():
    """The strictest group's thresholds win: a hard register is not averaged away."""
    import numpy as np

    from nlp_pipeline.training.fit import review_thresholds

    rng = np.random.default_rng(1)
    n = 400
    groups = ["easy"] * n + ["hard"] * n
    conf = {h: rng.uniform(0.3, 1.0, 2 * n) for h in ("topic", "stance")}
    # easy: right whenever fairly confident; hard: right only when very confident
    right_easy = conf["topic"][:n] > 0.4
    right_hard = conf["topic"][n:] > 0.85
    correct = {
        "topic": np.concatenate([right_easy, right_hard]),
        "stance": np.ones(2 * n, dtype=bool),
    }
    thresholds, report = review_thresholds(groups, conf, correct, 0.95)
    assert report["hard"]["joint_precision"] >= 0.95
    assert report["easy"]["joint_precision"] >= 0.95
    assert thresholds["topic"] >= report["hard"]["own_thresholds"]["topic"]


def test_added_samples_weigh_as_configured():
    from nlp_pipeline.data.corpus import Record
    from nlp_pipeline.training.config import TrainConfig
    from nlp_pipeline.training.fit import sample_weights

    recs = [
        Record("a", "traffic", "praise", source="written"),
        Record("b", "traffic", "praise", source="added:x.xlsx#2"),
    ]
    assert sample_weights(recs, TrainConfig()) is None
    assert sample_weights(recs, TrainConfig(added_weight=5.0)) == [1.0, 5.0]

"""TF-IDF is computed three ways, each where it is needed; they give the same matrix.

- the scikit-learn pipelines' ``TfidfVectorizer`` blocks (training, ``pipeline.joblib``);
- ``training.fit.fold_tfidf``: cross-validation counts terms once and derives each fold's
  TF-IDF from the counts (retraining speed);
- ``model.predictor.Predictor.features``: numpy over the exported vocabularies and idf
  (the CLI's path, no scikit-learn, no pickle).
"""

import numpy as np
from scipy.sparse import csr_matrix

from nlp_pipeline.data.corpus import read_jsonl
from nlp_pipeline.model.format import load_pipelines, read_meta
from nlp_pipeline.model.predictor import Predictor
from nlp_pipeline.text.normalize import prepare_many
from nlp_pipeline.training.config import TrainConfig
from nlp_pipeline.training.fit import count_blocks, fold_tfidf


def test_pipeline_fold_and_predictor_tfidf_are_the_same_matrix(small_model, small_corpus):
    config = TrainConfig.from_dict(read_meta(small_model)["config"])
    train = prepare_many([r.text for r in read_jsonl(small_corpus / "train.jsonl")])
    new = prepare_many([r.text for r in read_jsonl(small_corpus / "test.jsonl")[:80]])

    pipeline = load_pipelines(small_model, trust=True)["topic"].named_steps["features"]
    by_pipeline = pipeline.transform(new).tocsr()

    f = Predictor(small_model).features(new)
    by_predictor = csr_matrix((f.val, (f.doc, f.col)), shape=by_pipeline.shape)

    blocks = count_blocks(train + new, config.features)
    train_idx = np.arange(len(train))
    new_idx = np.arange(len(train), len(train) + len(new))
    _, by_folds = fold_tfidf(blocks, train_idx, new_idx, config.features)

    assert by_pipeline.nnz > 0
    for other in (by_predictor, by_folds):
        assert other.shape == by_pipeline.shape
        assert abs(other - by_pipeline).max() < 1e-12

"""The naive baseline the benchmarks compare against: what one would write first.

A scikit-learn pipeline per head with a plain ``jieba.lcut`` tokenizer (jieba's global
dictionary, HMM on), word and character TF-IDF and logistic regression, saved with joblib.
Its tokenizer lives at module level here so joblib can pickle it by reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jieba


def plain_tokenize(text: str) -> list[str]:
    return jieba.lcut(text)


def build(records: list[dict], head: str):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    pipe = Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "word",
                            TfidfVectorizer(
                                tokenizer=plain_tokenize, token_pattern=None, ngram_range=(1, 2)
                            ),
                        ),
                        ("char", TfidfVectorizer(analyzer="char", ngram_range=(1, 3))),
                    ]
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )
    return pipe.fit([r["text"] for r in records], [r[head] for r in records])


def triage_main(model_path: str, text: str) -> None:
    """Cold-process triage with the baseline: load joblib, predict both heads, print."""
    import joblib

    heads = joblib.load(model_path)
    for head, pipe in heads.items():
        proba = pipe.predict_proba([text])[0]
        print(head, pipe.classes_[proba.argmax()], round(float(proba.max()), 3))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    triage_main(sys.argv[1], sys.argv[2])

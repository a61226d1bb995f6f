"""Feature analyzers shared by the scikit-learn pipelines and the data-only predictor.

Both paths call these same objects on the same normalised text, which is what lets the
data-only predictor reproduce the pipeline's probabilities exactly. Their import path is
part of the saved-model format (see ``nlp_pipeline.text.tokens``).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import add

from nlp_pipeline.text.tokens import tokenize


class WordAnalyzer:
    """jieba word n-grams: unigrams, and bigrams joined by a space when ``ngram_max`` is 2."""

    def __init__(self, ngram_max: int = 2) -> None:
        self.ngram_max = ngram_max

    def __call__(self, text: str) -> list[str]:
        return word_ngrams(tokenize(text), self.ngram_max)

    def __repr__(self) -> str:
        return f"WordAnalyzer(ngram_max={self.ngram_max})"

    def config(self) -> dict:
        return {"kind": "word", "ngram_max": self.ngram_max}


class CharAnalyzer:
    """Character n-grams from ``ngram_min`` to ``ngram_max`` over the lower-cased text."""

    def __init__(self, ngram_min: int = 1, ngram_max: int = 3) -> None:
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max

    def __call__(self, text: str) -> list[str]:
        return char_ngrams(text.lower(), self.ngram_min, self.ngram_max)

    def __repr__(self) -> str:
        return f"CharAnalyzer(ngram_min={self.ngram_min}, ngram_max={self.ngram_max})"

    def config(self) -> dict:
        return {"kind": "char", "ngram_min": self.ngram_min, "ngram_max": self.ngram_max}


def word_ngrams(tokens: list[str], ngram_max: int) -> list[str]:
    """Tokens plus their n-grams up to ``ngram_max`` (joined by spaces, as scikit-learn does)."""
    grams = list(tokens)
    for n in range(2, ngram_max + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_ngrams(text: str, ngram_min: int, ngram_max: int) -> list[str]:
    """All character n-grams of ``text`` with ``ngram_min <= n <= ngram_max``.

    Same list as slicing ``text[i:i+n]`` for each n in turn, built with C-level ``map``
    (this runs once per comment in batch classification).
    """
    grams: list[str] = []
    prev: Iterable[str] = text
    for n in range(1, ngram_max + 1):
        if n > 1:
            prev = list(map(add, prev, text[n - 1 :]))
        if n >= ngram_min:
            grams.extend(prev)
    return grams


def analyzer_from_config(config: dict) -> WordAnalyzer | CharAnalyzer:
    """Rebuild an analyzer from the dict saved in a model's ``features.json``."""
    if config["kind"] == "word":
        return WordAnalyzer(ngram_max=int(config["ngram_max"]))
    if config["kind"] == "char":
        return CharAnalyzer(ngram_min=int(config["ngram_min"]), ngram_max=int(config["ngram_max"]))
    raise ValueError(f"unknown analyzer kind {config['kind']!r}")

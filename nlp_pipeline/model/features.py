"""Feature analyzers shared by the scikit-learn pipelines and the data-only predictor.

Both paths call these same objects on the same normalised text, which is what lets the
data-only predictor reproduce the pipeline's probabilities exactly. Their import path is
part of the saved-model format (see ``nlp_pipeline.text.tokens``).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import add

from nlp_pipeline.text.structure import REQUEST, TITLE, substance
from nlp_pipeline.text.structure import section as section_text
from nlp_pipeline.text.tokens import tokenize

# Sections an analyzer may read (see ``_section``).
SECTIONS = ("substance", TITLE, REQUEST)


def _section(text: str, section: str | None) -> str:
    """The part of a message an analyzer reads (``nlp_pipeline.text.structure``).

    ``None`` is the whole text (models before format 3); ``"substance"`` leaves out the
    salutation, courtesy formulas and sign-off; ``"title"`` and ``"request"`` are those
    segments alone, so a long letter's title line and request weigh as much as its story.
    """
    if section is None:
        return text
    if section == "substance":
        return substance(text)
    return section_text(text, section)


class WordAnalyzer:
    """jieba word n-grams of a section: unigrams, and bigrams joined by a space."""

    section: str | None = None  # analyzers pickled before sections existed read it here

    def __init__(self, ngram_max: int = 2, section: str | None = None) -> None:
        self.ngram_max = ngram_max
        self.section = section

    def __call__(self, text: str) -> list[str]:
        return word_ngrams(tokenize(_section(text, self.section)), self.ngram_max)

    def __repr__(self) -> str:
        return f"WordAnalyzer(ngram_max={self.ngram_max}, section={self.section!r})"

    def config(self) -> dict:
        out: dict = {"kind": "word", "ngram_max": self.ngram_max}
        if self.section is not None:
            out["section"] = self.section
        return out


class CharAnalyzer:
    """Character n-grams from ``ngram_min`` to ``ngram_max`` over the lower-cased section."""

    section: str | None = None  # analyzers pickled before sections existed read it here

    def __init__(self, ngram_min: int = 1, ngram_max: int = 3, section: str | None = None) -> None:
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.section = section

    def __call__(self, text: str) -> list[str]:
        return char_ngrams(_section(text, self.section).lower(), self.ngram_min, self.ngram_max)

    def __repr__(self) -> str:
        return (
            f"CharAnalyzer(ngram_min={self.ngram_min}, ngram_max={self.ngram_max}, "
            f"section={self.section!r})"
        )

    def config(self) -> dict:
        out: dict = {"kind": "char", "ngram_min": self.ngram_min, "ngram_max": self.ngram_max}
        if self.section is not None:
            out["section"] = self.section
        return out


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
    section = config.get("section")
    if section is not None and section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    if config["kind"] == "word":
        return WordAnalyzer(ngram_max=int(config["ngram_max"]), section=section)
    if config["kind"] == "char":
        return CharAnalyzer(
            ngram_min=int(config["ngram_min"]), ngram_max=int(config["ngram_max"]), section=section
        )
    raise ValueError(f"unknown analyzer kind {config['kind']!r}")

"""Word tokens of a normalised comment: segmenter pieces, lower-cased, without punctuation or stopwords.

The import path ``nlp_pipeline.text.tokens.tokenize`` (and the analyzers in
``nlp_pipeline.model.features``) are part of the saved-model format: moving or renaming
them breaks pipelines saved with joblib.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from functools import lru_cache

from nlp_pipeline.text.segment import USER_DICT, data_path, get_segmenter

STOPWORDS = "stopwords.txt"
# Part of every model's config: changing it changes the tokens a model was trained on.
TOKENIZER_CONFIG = {
    "library": "jieba",
    "hmm": False,
    "user_dict": USER_DICT,
    "stopwords": STOPWORDS,
}


def _jieba_version() -> str:
    import jieba  # imported by the segmenter anyway; importlib.metadata is slower

    return str(jieba.__version__)


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tokenizer_identity() -> dict[str, object]:
    """Everything that decides the tokens a model sees, recorded in its ``meta.json``.

    The segmentation algorithm and its settings (``TOKENIZER_CONFIG``), jieba's version
    (its dictionary and rules) and the sha256 of the user dictionary and stopword list: a
    model is loaded only when these are what it was trained with.
    """
    return {
        **TOKENIZER_CONFIG,
        "jieba_version": _jieba_version(),
        "user_dict_sha256": _sha256(data_path(USER_DICT)),
        "stopwords_sha256": _sha256(data_path(STOPWORDS)),
    }


def tokenizer_changes(saved: dict[str, object]) -> list[str]:
    """What differs between a recorded :func:`tokenizer_identity` and today's, in words."""
    now = tokenizer_identity()
    files = {
        "user_dict_sha256": ("user dictionary", USER_DICT),
        "stopwords_sha256": ("stopword list", STOPWORDS),
    }
    changes = []
    for key in sorted(set(saved) | set(now)):
        before, after = saved.get(key), now.get(key)
        if before == after:
            continue
        if key in files:
            what, name = files[key]
            changes.append(
                f"{what} {data_path(name)}: sha256 {str(before)[:12]}… at training, "
                f"{str(after)[:12]}… now"
            )
        elif key == "jieba_version":
            changes.append(f"jieba {before} at training, {after} now")
        else:
            changes.append(f"{key}: {before!r} at training, {after!r} now")
    return changes


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopword list shipped with the package (``#`` lines are comments)."""
    lines = data_path(STOPWORDS).read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _is_word(token: str) -> bool:
    # Punctuation and spaces carry stance signal, but the character features see them;
    # as words they only add noise.
    return token.isalnum() or any(ch.isalnum() for ch in token)


def tokenize(text: str) -> list[str]:
    """Word tokens of a normalised comment: lower-cased, no punctuation, no stopwords."""
    cache = _cache
    if cache is not None:
        hit = cache.get(text)
        if hit is None:
            hit = cache[text] = _tokenize(text)
        return list(hit)
    return _tokenize(text)


def _tokenize(text: str) -> list[str]:
    stop = stopwords()
    return [t.lower() for t in get_segmenter().cut(text) if _is_word(t) and t not in stop]


_cache: dict[str, list[str]] | None = None


@contextmanager
def token_cache(seed: dict[str, list[str]] | None = None):
    """Memoise ``tokenize`` inside the block (training re-reads the same texts per fold).

    ``seed`` pre-fills it (training sends the tokens it computed to its worker processes).
    Off by default so that batch throughput is measured without it.
    """
    global _cache
    previous = _cache
    _cache = {} if _cache is None else _cache
    if seed:
        _cache.update(seed)
    try:
        yield _cache
    finally:
        _cache = previous

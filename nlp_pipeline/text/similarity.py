"""Near-duplicate detection by character-bigram Jaccard similarity.

Used by the corpus checks (no near-duplicates across train/test), ``opinions audit`` and
``opinions suggest`` (collapse near-duplicates so a labelling batch is diverse).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp_pipeline.text.normalize import normalize


def bigrams(text: str) -> set[str]:
    """Character bigrams of the normalised text, ignoring spaces (a 1-char text is its own gram)."""
    t = normalize(text).replace(" ", "")
    if len(t) < 2:
        return {t} if t else set()
    return {t[i : i + 2] for i in range(len(t) - 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| of two gram sets; 0.0 when either is empty.

    ``similar_pairs`` computes the same number for many pairs at once.

    >>> jaccard(bigrams("希望加强巡逻"), bigrams("希望加强夜间巡逻"))
    0.5
    """
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _matrix(gram_sets: Sequence[set[str]], vocab: dict[str, int]):
    indptr: list[int] = [0]
    indices: list[int] = []
    for grams in gram_sets:
        indices.extend(vocab.setdefault(g, len(vocab)) for g in grams)
        indptr.append(len(indices))
    return indptr, indices


def similar_pairs(
    texts_a: Sequence[str], texts_b: Sequence[str] | None = None, threshold: float = 0.6
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) with similarity >= threshold.

    With one list: pairs i < j within it. With two lists: i indexes ``texts_a``, j ``texts_b``.
    Computed with one sparse product, so a few thousand texts take well under a second.
    """
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    sets_a = [bigrams(t) for t in texts_a]
    sets_b = sets_a if texts_b is None else [bigrams(t) for t in texts_b]
    pa = _matrix(sets_a, vocab)
    pb = pa if texts_b is None else _matrix(sets_b, vocab)

    def build(p, n):
        indptr, indices = p
        data = np.ones(len(indices), dtype=np.float32)
        return csr_matrix((data, indices, indptr), shape=(n, len(vocab)))

    A = build(pa, len(sets_a))
    B = A if texts_b is None else build(pb, len(sets_b))
    inter = (A @ B.T).tocoo()
    size_a = np.array([len(s) for s in sets_a], dtype=np.float64)
    size_b = np.array([len(s) for s in sets_b], dtype=np.float64)
    union = size_a[inter.row] + size_b[inter.col] - inter.data
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter.data / union, 0.0)
    keep = jac >= threshold
    if texts_b is None:
        keep &= inter.row < inter.col
    return sorted(
        (
            (int(i), int(j), float(s))
            for i, j, s in zip(inter.row[keep], inter.col[keep], jac[keep], strict=True)
        ),
        key=lambda x: (-x[2], x[0], x[1]),
    )

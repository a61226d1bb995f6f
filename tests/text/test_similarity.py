"""Jaccard similarity of character bigrams: one definition, computed pairwise or in bulk."""

import doctest

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_pipeline.text import similarity
from nlp_pipeline.text.similarity import bigrams, jaccard, similar_pairs

TEXTS = st.lists(
    st.text(alphabet="希望加强巡逻夜间小区电动车被偷 ab1", max_size=12), min_size=1, max_size=8
)


@settings(max_examples=100, deadline=None)
@given(texts=TEXTS, threshold=st.sampled_from([0.0001, 0.3, 0.6, 1.0]))
def test_bulk_pairs_equal_pairwise_jaccard(texts, threshold):
    grams = [bigrams(t) for t in texts]
    expected = {
        (i, j): jaccard(grams[i], grams[j])
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if jaccard(grams[i], grams[j]) >= threshold
    }
    got = {(i, j): s for i, j, s in similar_pairs(texts, threshold=threshold)}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(got[key] - value) < 1e-6


def test_empty_sets_are_not_similar():
    assert jaccard(set(), set()) == 0.0
    assert jaccard({"ab"}, set()) == 0.0


def test_doctests():
    assert doctest.testmod(similarity).failed == 0

"""The inlined segmenter cuts exactly like jieba (HMM off, user dictionary loaded).

It re-implements jieba's no-HMM algorithm and reads jieba's internals (its regular
expressions, its dictionary file, ``Tokenizer.FREQ``), so it is verified against the jieba
versions pyproject.toml allows. Every check uses a *fresh* segmenter, with nothing loaded:
the lazy, shard-by-shard loading is what a one-comment triage runs, and a segmenter
warmed by an earlier test would hide a shard that is loaded wrongly.
"""

import json
from importlib.metadata import version

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_pipeline.text.normalize import normalize
from nlp_pipeline.text.segment import _Segmenter, build_full_tokenizer, data_path

from ..conftest import CORPUS

VERIFIED_JIEBA = ("0.42.1",)


@pytest.fixture(scope="module")
def jieba_tokenizer():
    return build_full_tokenizer()  # a fresh jieba.Tokenizer with the user dictionary


def user_dict_words() -> list[str]:
    lines = data_path("userdict.txt").read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip()]


def test_installed_jieba_is_a_verified_version():
    assert version("jieba") in VERIFIED_JIEBA, (
        f"jieba {version('jieba')} is not one the inlined segmenter was verified against "
        f"{VERIFIED_JIEBA}: run this file's tests, then add it here and to pyproject.toml"
    )


def test_every_corpus_text_cuts_like_jieba(jieba_tokenizer):
    fresh = _Segmenter()
    for name in ("train.jsonl", "test.jsonl"):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            text = normalize(json.loads(line)["text"])
            assert fresh.cut(text) == list(jieba_tokenizer.cut(text, HMM=False)), text


PIECES = st.one_of(
    st.sampled_from(user_dict_words()),
    st.sampled_from(["派出所", "电动车", "小区", "巡逻", "希望", "民警", "交通", "不", "了", "的"]),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK unified ideographs
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),  # extension A (rare)
    st.text(alphabet="abcXYZ0123456789", min_size=1, max_size=6),
    st.sampled_from(list(" ，。！？、：；“”（）.%+#&_-\n\t〈〉…·１２ＡＢ😀")),
)
TEXTS = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_generated_text_cuts_like_jieba(jieba_tokenizer, text):
    assert _Segmenter().cut(text) == list(jieba_tokenizer.cut(text, HMM=False))

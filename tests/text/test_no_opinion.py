"""No-opinion answers are recognised; real opinions, however short, are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp_pipeline.text.no_opinion import is_no_opinion


@pytest.mark.parametrize(
    "text",
    [
        "无",
        "无。",
        "没有",
        "暂无",
        "无意见",
        "没有意见，谢谢",
        "同上",
        "/",
        "—",
        "——",
        "无。谢谢",
        "没什么说的",
        "  无  ",
        "暂时没有什么意见",
        "没啥意见哈",
        "N/A",
    ],
)
def test_no_opinion_answers(text: str) -> None:
    assert is_no_opinion(text)


@pytest.mark.parametrize(
    "text",
    [
        "满意",
        "还行吧",
        "不满意",
        "没有人管",
        "无人巡逻",
        "没有路灯",
        "谢谢",
        "👍",
        "同上，路灯不亮",
        "无语",
        "建议无人机巡逻",
        "没意见，挺好的",
        "",
    ],
)
def test_opinions_are_not_no_opinion(text: str) -> None:
    assert not is_no_opinion(text)


@given(st.text(min_size=41))
def test_long_texts_are_never_no_opinion(text: str) -> None:
    assert not is_no_opinion(text)


CORPORA = Path(__file__).resolve().parents[2] / "corpora"


def _records(name: str) -> list[dict]:
    path = CORPORA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_corpus_no_opinion_answers_are_mostly_recognised() -> None:
    """The hand-written no-opinion file (148 answers): at least 70% recognised.

    The rule was written with the first 54 answers in view; of the other 94 it recognises
    59 (63%). Circumlocutions (一时想不起来, 我不太懂这些) are missed and go to the heads,
    and the shipped model sends all 38 of them to review. Measured, not tuned.
    """
    answers = _records("no_opinion.jsonl")
    assert len(answers) >= 100
    found = sum(is_no_opinion(a["text"]) for a in answers)
    assert found >= 0.70 * len(answers), found


def test_no_corpus_opinion_is_taken_for_no_opinion() -> None:
    """Not one labelled opinion of the corpus is swallowed by the rule."""
    for name in ("train.jsonl", "test.jsonl"):
        wrong = [r["text"] for r in _records(name) if is_no_opinion(r["text"])]
        assert wrong == []

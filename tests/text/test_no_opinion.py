"""No-opinion answers are recognised; real opinions, however short, are not."""

from __future__ import annotations

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

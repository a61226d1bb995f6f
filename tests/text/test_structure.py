"""Message structure: segments cover the text exactly, and the parts are found."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_pipeline.text.normalize import normalize
from nlp_pipeline.text.structure import (
    COURTESY,
    KINDS,
    REQUEST,
    SALUTATION,
    SIGNOFF,
    STORY,
    TITLE,
    parse,
    substance,
)

# Pieces of letters, hotline records and form answers; hypothesis glues them in any order.
PIECES = [
    "关于小区电动车被盗的问题。",
    "咨询户口迁移。",
    "尊敬的领导：您好！",
    "尊敬的局长，",
    "您好！",
    "感谢您百忙之中阅读我的来信！",
    "本人是城东的居民，",
    "2025年3月5日晚上，",
    "车被偷了，但是派出所一直没有消息。",
    "为什么没人管？",
    "请问需要带什么材料？",
    "恳请领导尽快处理。",
    "望给予答复。",
    "诉求：",
    "来电人反映：",
    "谢谢！",
    "此致敬礼",
    "电话：138****5678",
    "，",
    "。",
    "?",
    " ",
    "谢谢民警帮我找回了车",
]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_segments_concatenate_to_the_text(raw: str) -> None:
    """No character is dropped, added or moved: the segments are the text, in order."""
    text = normalize(raw)
    segments = parse(text)
    assert "".join(s.text for s in segments) == text
    assert all(s.text for s in segments)
    assert all(s.kind in KINDS for s in segments)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_parse_is_idempotent(raw: str) -> None:
    """Parsing a segment's concatenation again gives the same segments."""
    text = normalize(raw)
    first = parse(text)
    assert parse("".join(s.text for s in first)) == first


def kinds(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in parse(normalize(text)):
        out[s.kind] = out.get(s.kind, "") + s.text
    return out


def test_message_board_letter() -> None:
    k = kinds(
        "关于东环路路口拥堵的问题。尊敬的领导：您好！感谢您百忙之中阅读我的留言。"
        "我每天早上开车经过这个路口，但是最近两个月一次都没见过交警，电动车逆行随处可见，"
        "打过12345也没有下文，这么重要的路口怎么就没人管呢？恳请领导关注，尽快解决。谢谢！"
        "电话：139****2716"
    )
    assert k[TITLE] == "关于东环路路口拥堵的问题。"
    assert k[SALUTATION].startswith("尊敬的领导")
    assert "感谢您百忙之中" in k[COURTESY]
    assert "恳请领导关注" in k[REQUEST]
    assert "139" in k[SIGNOFF]
    assert "没人管" in k[STORY]


def test_hotline_work_order_request() -> None:
    k = kinds("市民来电反映：小区门口每晚有人聚众赌博，噪音很大。诉求：请公安部门查处。")
    assert k[REQUEST].startswith("诉求")
    assert "赌博" in k[STORY]


def test_thanks_for_a_deed_is_not_courtesy() -> None:
    """Thanks for reading is a formula; thanks for what an officer did is the opinion."""
    k = kinds("谢谢民警帮我找回了电动车，太负责了！")
    assert COURTESY not in k
    assert "谢谢民警" in substance(normalize("谢谢民警帮我找回了电动车，太负责了！"))


def test_courtesy_leaves_the_substance() -> None:
    text = normalize("尊敬的领导您好，感谢您百忙之中看我的信。小区里天天有人偷车，没人管。")
    assert "感谢" not in substance(text)
    assert "偷车" in substance(text)


def test_short_answer_is_one_story() -> None:
    assert [s.kind for s in parse("晚上多转转")] == [STORY]
    assert parse("") == []

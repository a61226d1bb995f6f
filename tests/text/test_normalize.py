import re

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_pipeline.text.normalize import (
    MAX_FEATURE_CHARS,
    has_chinese,
    mask_personal_data,
    normalize,
    prepare,
)

chinese = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=30)
anything = st.text(max_size=200)
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@settings(max_examples=500)
@given(anything)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_normalize_output_has_no_invisible_or_control_characters(text):
    out = normalize(text)
    assert not re.search(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", out)
    assert out == out.strip()
    assert "  " not in out


@st.composite
def mobile(draw):
    return "1" + draw(st.sampled_from("3456789")) + "".join(draw(digits) for _ in range(9))


@st.composite
def id_card(draw):
    body = draw(st.sampled_from("123456789")) + "".join(draw(digits) for _ in range(5))
    year = draw(st.sampled_from(["19", "20"])) + draw(digits) + draw(digits)
    rest = "".join(draw(digits) for _ in range(7))
    return body + year + rest + draw(st.sampled_from("0123456789X"))


@settings(max_examples=300)
@given(chinese, mobile(), chinese, id_card(), chinese)
def test_masking_never_leaks_phone_or_id_numbers(a, phone, b, idno, c):
    text = f"{a}我的电话{phone}{b}，身份证{idno}{c}"
    out = normalize(text)
    assert phone not in out
    assert idno not in out and idno[:17] not in out
    assert "〈电话〉" in out and "〈身份证号〉" in out


def test_masks_other_personal_data():
    text = "车牌苏K·12345，邮箱 zhang.san@163.com，网址 https://example.cn/a?b=1，座机0514-88123456"
    out = mask_personal_data(normalize(text))
    for leaked in ("12345", "zhang.san", "example.cn", "88123456"):
        assert leaked not in out
    for token in ("〈车牌〉", "〈邮箱〉", "〈网址〉", "〈电话〉"):
        assert token in out


def test_hotline_numbers_are_not_masked():
    assert "110" in normalize("打了110，又打12345")
    assert "12345" in normalize("打了110，又打12345")


def test_full_width_traditional_and_spaces():
    assert normalize("警察態度　很好！！ＡＢＣ１２３") == "警察态度 很好!!ABC123"


def test_prepare_truncates_long_text_quickly():
    text, truncated = prepare("偷" * 1_000_000)
    assert truncated and len(text) == MAX_FEATURE_CHARS
    assert prepare("短评")[1] is False


def test_has_chinese():
    assert has_chinese("交警辛苦了") and not has_chinese("hello 110 👍")

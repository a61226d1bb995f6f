"""Answers that state no opinion at all: 无、没有、暂无、无意见、同上、"/"、"—".

Consultation forms are full of them; the label guide gives them no topic and no stance and
reports count them on their own line (无实质意见). They are recognised by rule, before
the heads, because a classifier can only guess a label for them (it used to answer "无"
with 不属公安职责范围/批评 at 0.9 confidence).

The rule is deliberately narrow: the whole answer, once punctuation, spaces and filler
particles are gone, must be made of no-opinion phrases. "没有人管" or "无人巡逻" are
opinions; "满意" and "还行吧" are praise (docs/LABELS.md), never no-opinion.
"""

from __future__ import annotations

import re
import unicodedata

# Phrases that, alone or together, say "nothing to say". Longest first so the
# alternation prefers whole phrases.
_PHRASES = sorted(
    {
        "无",
        "无无",
        "没有",
        "没",
        "没了",
        "暂无",
        "暂时没有",
        "暂时无",
        "目前没有",
        "目前无",
        "目前暂无",
        "现在没有",
        "无意见",
        "没有意见",
        "没意见",
        "没啥意见",
        "没什么意见",
        "没有什么意见",
        "没有啥意见",
        "无任何意见",
        "没有任何意见",
        "暂无意见",
        "暂时没有意见",
        "无建议",
        "没有建议",
        "暂无建议",
        "没什么建议",
        "没啥建议",
        "无意见建议",
        "无意见和建议",
        "没有意见和建议",
        "没有意见建议",
        "无其他意见",
        "没有其他意见",
        "没有别的意见",
        "无其它意见",
        "同上",
        "同前",
        "如上",
        "没什么说的",
        "没啥说的",
        "没什么好说的",
        "没啥好说的",
        "没什么要说的",
        "没有要说的",
        "没有什么要说的",
        "没什么可说的",
        "无可奉告",
        "说不上来",
        "说不好",
        "不清楚",
        "不知道",
        "不了解",
        "没想法",
        "没什么想法",
        "没有想法",
        "没啥想法",
        "就这样",
        "就这些",
        "没别的",
        "没别的了",
        "没其他的",
        "没有其他",
        "暂时想不到",
        "想不到",
        "想不出来",
        "无所谓",
        "无话可说",
        "空白",
        "略",
        "none",
        "no",
        "nothing",
        "na",
        "n/a",
        "nil",
        "null",
        # dialect and chat forms
        "没得",
        "木有",
        "冇",
        "冇得",
        "没啥要说的",
        "没什么要讲的",
        "不知道说啥",
        "不知道说什么",
    },
    key=len,
    reverse=True,
)
# Words that may stand around them without adding an opinion.
_FILLERS = sorted(
    {
        "了",
        "的",
        "啊",
        "呀",
        "呢",
        "吧",
        "哈",
        "嗯",
        "哦",
        "噢",
        "嘛",
        "啦",
        "哎",
        "诶",
        "也",
        "都",
        "还",
        "真",
        "真的",
        "确实",
        "实在",
        "暂时",
        "目前",
        "现在",
        "我",
        "我们",
        "我这",
        "这边",
        "这里",
        "其他",
        "其它",
        "别的",
        "什么",
        "啥",
        "谢谢",
        "谢谢你们",
        "谢谢您",
        "多谢",
        "感谢",
        "没事",
        "哈哈",
        "呵呵",
        "啥子",
        "意见",
        "建议",
        "和",
    },
    key=len,
    reverse=True,
)
_CORE = re.compile("|".join(map(re.escape, _PHRASES)))
_WHOLE = re.compile("(?:" + "|".join(map(re.escape, _PHRASES + _FILLERS)) + ")+")
_MAX_CHARS = 40


def _strip_marks(text: str) -> str:
    """Drop punctuation, symbols (dashes, slashes, emoji) and spaces; lower-case."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC").lower()


def is_no_opinion(text: str) -> bool:
    """True when ``text`` (raw or normalised) states no opinion at all.

    >>> [is_no_opinion(t) for t in ["无", "无意见。谢谢", "—", "同上", "/", "没有人管", "满意"]]
    [True, True, True, True, True, False, False]
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or len(text) > _MAX_CHARS:
        return False
    if all(unicodedata.category(ch)[0] in "PZ" for ch in text):
        # Only punctuation: "/", "—", "……". (An emoji is a reaction, not "nothing".)
        return True
    core = _strip_marks(text)
    return _WHOLE.fullmatch(core) is not None and _CORE.search(core) is not None

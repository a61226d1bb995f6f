"""The parts of a citizen's message: title, salutation, courtesy, story, request, sign-off.

Message-board letters arrive as ``title。body`` (尊敬的领导：您好！… 望尽快答复。谢谢！
电话：***), hotline work orders as ``来电人反映：… 诉求：…``; a door-to-door answer is one
clause. ``parse`` cuts a normalised text into labelled, contiguous segments whose
concatenation is the text itself (no character is ever dropped), so features can weigh
the title and the request on their own and leave courtesy formulas out of the stance
evidence ("courtesy is not praise", docs/LABELS.md), while explanations still point at
words of the text.

Pure functions on strings, no jieba; runs on ``normalize``'s output (ASCII punctuation
after NFKC is expected as well as Chinese punctuation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Segment kinds, in the order they usually appear.
TITLE = "title"
SALUTATION = "salutation"
COURTESY = "courtesy"
STORY = "story"
REQUEST = "request"
SIGNOFF = "signoff"
KINDS = (TITLE, SALUTATION, COURTESY, STORY, REQUEST, SIGNOFF)

# What the features see: everything but the formulas that carry no opinion.
SUBSTANCE = frozenset({TITLE, STORY, REQUEST})

_END = "。！？!?；;"
# A sentence: the shortest run up to and including its end marks (or the end of text).
_SENTENCE = re.compile(rf"[^{_END}]*(?:[{_END}]+|$)")

# A title is a short first sentence that names a matter, joined to the body by 。/？/！.
_TITLE_MAX = 45
_TITLE_BODY_MIN = 120
_TITLE_START = re.compile(
    r"^(?:关于|咨询|举报|投诉|反映|请求|恳请|再次|又一次|第[一二三四五六七八九十0-9]+次|求助|建议|"
    r"申请|询问|请问|强烈|紧急|呼吁|表扬|感谢|致)"
)
_TITLE_LABEL = re.compile(r"^(?:标题|主题|留言标题)[:：]")
_TITLE_END = re.compile(
    r"(?:问题|情况|事宜|的事|一事|咨询|投诉|举报|反映|建议|求助|申请|请求|诉求|表扬|感谢信?)[。！？!?]*$"
)

_SALUTATION = re.compile(
    r"^(?:(?:尊敬的|敬爱的|亲爱的)[^，,。！!：:]{1,20}[，,：:！!]?\s?)?"
    r"(?:(?:各位)?(?:领导|书记|市长|局长|所长|同志|警官|工作人员)[们]?[，,：:！!]?\s?)?"
    r"(?:您们?好|你们?好)[！!，,。：:]?"
    r"|^(?:尊敬的|敬爱的)[^，,。！!：:]{1,20}[，,：:！!]"
    r"|^致[^，,。！!：:]{1,24}[：:]"
)

# Courtesy formulas next to the salutation or at the end; thanks for *reading* or for
# *attention*, never thanks for something done (that is praise and stays in the story).
_COURTESY = re.compile(
    r"^(?:首先|先)?(?:非常|十分|万分)?(?:感谢|谢谢)(?:您|你|领导|你们|各位)?(?:们)?"
    r"(?:在)?(?:百忙之中|百忙中|百忙之余)?(?:抽出?(?:宝贵的)?时间)?"
    r"(?:来)?(?:阅读|查看|看|关注|审阅|倾听|处理|回复)?(?:我的|我们的|本)?(?:这封|此)?"
    r"(?:信|来信|留言|信件|邮件|反映)?[!！。,，]*"
    r"|^(?:打扰了?|冒昧打扰|不好意思打扰(?:了|您了)?)[!！。,，]*"
)
_COURTESY_END = re.compile(
    r"(?:(?:非常|十分|万分)?(?:感谢|谢谢)(?:您|你们|领导|各位领导)?(?:的)?"
    r"(?:关注|阅读|支持|关心|帮助|回复|理解)?[!！。,，]*|不胜感激[!！。]*|"
    r"此致\s?敬礼[!！。]*|(?:辛苦了|麻烦了|拜托了)[!！。]*)$"
)

_SIGNOFF = re.compile(
    r"(?:(?:联系|来电|手机|本人)?(?:电话|方式|号码|手机)[:：]?\s?[0-9*〈＊×xX][^。！？!?]*|"
    r"(?:署名|落款)[:：][^。！？!?]*|"
    r"(?<=[。！!？?\s])(?:一位|一名|一个|全体|部分)?[^，,。！!？?\s]{0,10}"
    r"(?:市民|居民|群众|业主|村民|网友|老党员|职工|家长)(?:代表|们)?[。！!]?|"
    r"[0-9]{4}[年.\-/][0-9]{1,2}[月.\-/][0-9]{1,2}日?)[。！!]*$"
)

# A request: what the writer asks for, usually in the last sentences.
_REQUEST = re.compile(
    r"恳请|恳求|请求|望|希望|盼|要求|诉求|麻烦|劳烦|烦请|给个(?:说法|答复|回复|交代)|"
    r"(?:回复|答复|回个话)(?:一下)?[。！!?？]*$|请(?:你们|您|领导|有关部门|相关部门|贵局|局里|警方)?"
    r"(?:尽快|早日|及时|给予|予以|帮忙|帮助|核实|调查|处理|解决|答复|回复|查处|关注|重视|督促)"
)
_HOTLINE_REQUEST = re.compile(r"(?:诉求|要求|来电人要求|市民要求|请求)[:：]")


@dataclass(frozen=True)
class Segment:
    """A contiguous piece of the text and what it is."""

    kind: str
    text: str


def _sentences(text: str) -> list[str]:
    parts = [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)]
    return parts


def parse(text: str) -> list[Segment]:
    """Cut ``text`` into segments; ``"".join(s.text for s in parse(t)) == t`` always.

    >>> [(s.kind, s.text) for s in parse("关于小区停车的问题。尊敬的领导：您好！车位太少。望尽快解决。")]
    [('title', '关于小区停车的问题。'), ('salutation', '尊敬的领导：您好！'), ('story', '车位太少。'), ('request', '望尽快解决。')]
    """
    return list(_parse(text))


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[Segment, ...]:
    """``parse``, cached: every feature block of a comment reads the same segments."""
    if not text:
        return ()
    head: list[Segment] = []
    rest = text

    # Title: a labelled title, or a short first sentence that reads like one.
    m = _TITLE_LABEL.match(rest)
    first = _sentences(rest)[0]
    if m:
        head.append(Segment(TITLE, first))
        rest = rest[len(first) :]
    elif (
        len(first) <= _TITLE_MAX
        and len(first) < len(rest)
        and ":" not in first
        and "：" not in first
        and (
            # a long letter's short first sentence is its title line
            len(rest) - len(first) >= _TITLE_BODY_MIN
            or (
                "，" not in first
                and "," not in first
                and (_TITLE_START.search(first) or _TITLE_END.search(first))
            )
        )
    ):
        head.append(Segment(TITLE, first))
        rest = rest[len(first) :]

    # Salutation and courtesy formulas at the start of the body.
    m = _SALUTATION.match(rest)
    if m and m.group(0):
        head.append(Segment(SALUTATION, m.group(0)))
        rest = rest[m.end() :]
    while True:
        stripped = rest.lstrip()
        lead = rest[: len(rest) - len(stripped)]
        m = _COURTESY.match(stripped)
        # A courtesy formula is one of these words, not "谢谢民警帮我找回了车".
        if not m or not m.group(0) or not _is_formula(stripped, m.end()):
            break
        head.append(Segment(COURTESY, lead + m.group(0)))
        rest = stripped[m.end() :]

    # Sign-off and closing courtesy at the end, peeled off from the back.
    tail: list[Segment] = []
    while rest:
        kind, m = SIGNOFF, _SIGNOFF.search(rest)
        if not m:
            kind, m = COURTESY, _COURTESY_END.search(rest)
        if not m or m.start() == 0 and not tail and not head:
            break
        if m.start() == 0:
            tail.insert(0, Segment(kind, rest))
            rest = ""
            break
        # Only at a sentence boundary: the formula must not cut a sentence in two.
        if rest[m.start() - 1] not in _END + "，, ":
            break
        tail.insert(0, Segment(kind, rest[m.start() :]))
        rest = rest[: m.start()]

    body: list[Segment] = []
    if rest:
        h = _HOTLINE_REQUEST.search(rest)
        if h and h.start() > 0:
            body = [Segment(STORY, rest[: h.start()]), Segment(REQUEST, rest[h.start() :])]
        else:
            sentences = _sentences(rest)
            # The request: the last sentences (at most two) that ask for something.
            cut = len(sentences)
            for i in range(len(sentences) - 1, max(len(sentences) - 3, 0) - 1, -1):
                if _REQUEST.search(sentences[i]):
                    cut = i
                else:
                    break
            if cut < len(sentences):
                body = [
                    Segment(STORY, "".join(sentences[:cut])),
                    Segment(REQUEST, "".join(sentences[cut:])),
                ]
            else:
                body = [Segment(STORY, rest)]
    return tuple(s for s in head + body + tail if s.text)


def _is_formula(text: str, end: int) -> bool:
    """The courtesy match ends at a sentence or clause boundary (or the text's end)."""
    return end >= len(text) or text[end - 1] in _END + "，, " or text[end] in _END + "，, "


def substance(text: str) -> str:
    """The text without salutation, courtesy formulas and sign-off (title, story, request)."""
    return "".join(s.text for s in _parse(text) if s.kind in SUBSTANCE)


def section(text: str, kind: str) -> str:
    """The concatenated segments of one ``kind``."""
    return "".join(s.text for s in _parse(text) if s.kind == kind)

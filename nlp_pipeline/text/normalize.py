"""Text normalisation: pure functions, no jieba.

``normalize`` turns what a citizen typed (full-width letters, traditional characters,
zero-width marks, phone numbers…) into the canonical text every later step sees.
It is idempotent: ``normalize(normalize(t)) == normalize(t)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Text longer than this is cut before features (documented in the README); a 1 MB
# complaint is still answered, quickly, and the output says it was truncated.
MAX_FEATURE_CHARS = 5000

# Placeholders replace personal data before anything else sees the text. They use
# angle brackets (U+3008/U+3009) that NFKC leaves alone and no masking pattern matches.
PLACEHOLDERS = {
    "url": "〈网址〉",
    "email": "〈邮箱〉",
    "id_card": "〈身份证号〉",
    "bank_card": "〈银行卡号〉",
    "phone": "〈电话〉",
    "qq": "〈QQ号〉",
    "plate": "〈车牌〉",
}

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Their traditional forms too: normalize converts them first, but reports also mask text
# shown as written (mask_for_display), where 蘇A12345 must not slip through.
_PROVINCES += "滬遼魯蘇贛晉陝閩貴粵寧瓊雲"

# What people put between digit groups: spaces (also full-width), dots, and dashes of
# every width (hyphen, non-breaking hyphen, figure dash, en/em dash, bar, minus, small
# and full-width hyphen-minus). Up to three of them in a row ("138  1234  5678").
_SEP_CHARS = " \u00a0\u3000.\u00b7\u30fb\uff0e\u3002\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d_"
_S = rf"[{_SEP_CHARS}]{{0,3}}"


def _digits(n: int | str) -> str:
    """``n`` digits, each but the first optionally preceded by separators."""
    return rf"(?:{_S}[0-9]){{{n}}}"


# Order matters: URLs and e-mails first (they may contain digits), then the long numbers
# (an ID card contains 11-digit runs that look like phones), then phones, QQ, plates.
_URL = re.compile(r"(?i)(?<![A-Za-z0-9])(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&'*+;=%]+")
_ID_18 = re.compile(
    rf"(?<![0-9])[1-9]{_digits(5)}{_S}(?:1{_S}[89]|2{_S}0){_digits(9)}{_S}[0-9Xx](?![0-9A-Za-z])"
)
_ID_15 = re.compile(rf"(?<![0-9])[1-9]{_digits(14)}(?![0-9])")
_BANK_CARD = re.compile(rf"(?<![0-9])[1-9]{_digits('15,18')}(?![0-9])")
# Mobile numbers, optionally with a country code: +86, 0086, 86 (138-1234-5678, 138 1234 5678).
_COUNTRY = rf"(?:(?:\+|00){_S}86|(?<![0-9])86)[{_SEP_CHARS}()]{{0,3}}"
_MOBILE = re.compile(rf"(?:{_COUNTRY}|(?<![0-9]))1{_S}[3-9]{_digits(9)}(?![0-9])")
# Landlines with an area code: 0514-88123456, (0514)8812345, 0514 88123456, +86-514-88123456.
_LANDLINE = re.compile(
    rf"(?:{_COUNTRY}\(?0?|(?<![0-9])\(?0)[1-9]{_digits('1,2')}\)?{_S}[2-9]{_digits('6,7')}(?![0-9])"
)
_QQ = re.compile(
    rf"(?i)(?<![A-Za-z])(?:QQ|扣扣)\s*(?:号码?)?\s*[:：]?\s*[1-9]{_digits('4,11')}(?![0-9])"
)
_PLATE = re.compile(
    rf"[{_PROVINCES}]{_S}[A-Za-z]{_S}(?:[DFdf][A-Za-z0-9]{{5}}|[A-Za-z0-9]{{5}}|[A-Za-z0-9]{{4}}[挂学警港澳领])(?![A-Za-z0-9])"
)

# E-mail: found from each "@" outwards, so long runs of letters without one cost nothing
# (a regex starting at every letter of such a run is quadratic). The local part is ASCII;
# the domain may be Chinese (例子.中国).
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_MAX_LOCAL = 64
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9\-]+|[\u4e00-\u9fff]+)(?:\.(?:[A-Za-z0-9\-]+|[\u4e00-\u9fff]+))+"
)


def _mask_emails(text: str) -> str:
    if "@" not in text:
        return text
    out, last, at = [], 0, text.find("@")
    while at != -1:
        start = at
        while start > last and at - start < _MAX_LOCAL and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        domain = _DOMAIN.match(text, at + 1) if start < at else None
        if domain is None:
            at = text.find("@", at + 1)
            continue
        out.append(text[last:start])
        out.append(PLACEHOLDERS["email"])
        last = domain.end()
        at = text.find("@", last)
    out.append(text[last:])
    return "".join(out)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _bank_card(match: re.Match[str]) -> str:
    digits = "".join(ch for ch in match.group() if ch.isdigit())
    return PLACEHOLDERS["bank_card"] if _luhn_ok(digits) else match.group()


def _qq(match: re.Match[str]) -> str:
    return PLACEHOLDERS["qq"]


_MASKS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (_URL, PLACEHOLDERS["url"]),
    (_ID_18, PLACEHOLDERS["id_card"]),
    (_BANK_CARD, _bank_card),
    (_ID_15, PLACEHOLDERS["id_card"]),
    (_MOBILE, PLACEHOLDERS["phone"]),
    (_LANDLINE, PLACEHOLDERS["phone"]),
    (_QQ, _qq),
    (_PLATE, PLACEHOLDERS["plate"]),
]

_WHITESPACE = re.compile(r"\s+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef]")


@lru_cache(maxsize=1)
def _t2s():
    """The OpenCC converter, built once (loading its dictionaries costs a few ms)."""
    import opencc

    return opencc.OpenCC("t2s")


def _strip_invisible(text: str) -> str:
    """Drop control, format (zero-width, bidi, BOM) and surrogate code points.

    Whitespace controls (tab, newline, …) become spaces so words stay apart.
    """
    if text.isprintable():  # C-speed fast path: no Cc/Cf/Cs/Co/Cn (nor Z* but ASCII space)
        return text
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            out.append(" " if ch.isspace() else "")
        elif cat in ("Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


# Every mask needs one of these; a text without any skips the patterns.
_MASK_HINT = re.compile(rf"[0-9]{_digits(4)}|@|(?i:www\.|https?://)|[{_PROVINCES}]{_S}[A-Za-z]")


def mask_personal_data(text: str) -> str:
    """Replace phone, ID-card, bank-card and QQ numbers, plates, URLs and e-mails.

    Expects NFKC text (``normalize`` calls it last); :func:`mask_for_display` takes any.
    """
    if not _MASK_HINT.search(text):
        return text
    text = _URL.sub(PLACEHOLDERS["url"], text)
    text = _mask_emails(text)
    for pattern, replacement in _MASKS[1:]:
        text = pattern.sub(replacement, text)
    return text


def mask_for_display(value: object) -> str:
    """Any string a report or message shows (group values, errors, titles): masked.

    Invisible characters are dropped and NFKC applied first, so a number written with
    full-width digits or zero-width spaces between them is still found.
    """
    text = str(value)
    cleaned = unicodedata.normalize("NFKC", _strip_invisible(text))
    if not _MASK_HINT.search(cleaned):
        return text
    masked = mask_personal_data(cleaned)
    # Nothing to mask: show the text as written (NFKC would turn ，：（） into ,:()).
    return masked if masked != cleaned else text


def to_simplified(text: str) -> str:
    """Map traditional characters to simplified ones (OpenCC t2s)."""
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """Canonical form of a comment: NFKC, simplified, personal data masked, spaces collapsed.

    >>> normalize("警察態度很好！電話：13812345678")
    '警察态度很好!电话:〈电话〉'
    """
    text = _strip_invisible(text)
    if not unicodedata.is_normalized("NFKC", text):
        # NFKC can produce new format characters only in theory; strip once more so the
        # function stays idempotent on every input hypothesis finds.
        text = _strip_invisible(unicodedata.normalize("NFKC", text))
    text = to_simplified(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = mask_personal_data(text)
    return _WHITESPACE.sub(" ", text).strip()


def truncate_for_features(text: str) -> tuple[str, bool]:
    """Cut normalised text to ``MAX_FEATURE_CHARS``; return it and whether it was cut."""
    if len(text) <= MAX_FEATURE_CHARS:
        return text, False
    return text[:MAX_FEATURE_CHARS], True


def prepare(text: str) -> tuple[str, bool]:
    """Normalise a raw comment for features, bounding the work on huge inputs.

    Only a prefix a little longer than the feature limit is normalised, so a 1 MB
    comment costs the same as a 20 kB one. Returns (text, truncated).
    """
    raw_limit = MAX_FEATURE_CHARS * 4
    cut = len(text) > raw_limit
    if cut:
        text = text[:raw_limit]
    normalized, truncated = truncate_for_features(normalize(text))
    return normalized, truncated or cut


def has_chinese(text: str) -> bool:
    """True when the text holds at least one Han character."""
    return _HAN.search(text) is not None


def prepare_many(texts) -> list[str]:
    """``prepare`` over many texts, keeping only the text (the first step of every pipeline)."""
    return [prepare(t)[0] for t in texts]

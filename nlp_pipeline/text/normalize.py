"""Text normalisation: pure functions, no jieba.

``normalize`` turns what a citizen typed (full-width letters, traditional characters,
zero-width marks, phone numbers…) into the canonical text every later step sees.
It is idempotent: ``normalize(normalize(t)) == normalize(t)``.
"""

from __future__ import annotations

import re
import unicodedata
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
    "phone": "〈电话〉",
    "plate": "〈车牌〉",
}

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

# Order matters: URLs and e-mails first (they may contain digits), then the 18-digit ID
# card (it contains 11-digit runs that look like phones), then phones, then plates.
_MASKS: list[tuple[str, re.Pattern[str]]] = [
    # URL characters only (no comma: after NFKC a Chinese "，" is one and ends the URL).
    ("url", re.compile(r"(?i)\b(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&'*+;=%]+")),
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")),
    ("id_card", re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{9}[0-9Xx](?![0-9A-Za-z])")),
    ("id_card", re.compile(r"(?<![0-9])[1-9][0-9]{14}(?![0-9])")),  # old 15-digit cards
    # Mobile numbers, optionally with +86 and separators (138-1234-5678, 138 1234 5678).
    (
        "phone",
        re.compile(r"(?<![0-9])(?:\+?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?![0-9])"),
    ),
    # Landlines with an area code: 0514-88123456, (0514)8812345, 051488123456.
    (
        "phone",
        re.compile(
            r"(?<![0-9])(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2}-?)[2-9][0-9]{6,7}(?![0-9])"
        ),
    ),
    # Hotline-style numbers staff write without area code are not personal data (110, 12345).
    (
        "plate",
        re.compile(
            rf"[{_PROVINCES}][A-Za-z][ ·\-.]?(?:[A-Za-z0-9]{{5}}|[DFdf][A-Za-z0-9]{{5}}|[A-Za-z0-9]{{4}}[挂学警港澳领])(?![A-Za-z0-9])"
        ),
    ),
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


# Every mask needs one of these; a text without any skips the seven patterns.
_MASK_HINT = re.compile(rf"[0-9]{{3}}|@|(?i:www\.|https?://)|[{_PROVINCES}][A-Za-z]")


def mask_personal_data(text: str) -> str:
    """Replace phone and ID-card numbers, plates, URLs and e-mails with placeholders."""
    if not _MASK_HINT.search(text):
        return text
    for kind, pattern in _MASKS:
        text = pattern.sub(PLACEHOLDERS[kind], text)
    return text


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

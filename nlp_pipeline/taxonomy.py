"""The label set of docs/LABELS.md: ids, Chinese names, and parsing of either form."""

from __future__ import annotations

from nlp_pipeline.errors import LabelError

TOPICS: dict[str, str] = {
    "team_building": "队伍建设",
    "serving_economy": "服务经济",
    "law_enforcement": "执法办案",
    "public_order": "治安管理",
    "traffic": "交通管理",
    "outside_remit": "不属公安职责范围",
}

STANCES: dict[str, str] = {
    "praise": "表扬",
    "criticism": "批评",
    "suggestion": "建议",
    # Questions from hotlines and message boards (the 12345 standard's 咨询): the writer
    # wants to know something, not to complain or to propose (docs/LABELS.md).
    "inquiry": "咨询",
}

HEADS: dict[str, dict[str, str]] = {"topic": TOPICS, "stance": STANCES}

# Chinese spellings staff actually type in a spreadsheet, beyond the canonical names.
_ALIASES: dict[str, dict[str, str]] = {
    "topic": {
        "效劳经济": "serving_economy",
        "不属公安职责": "outside_remit",
        "不属于公安职责范围": "outside_remit",
        "非公安职责": "outside_remit",
    },
    "stance": {
        "表扬性意见": "praise",
        "批评性意见": "criticism",
        "建议性意见": "suggestion",
        "表扬性": "praise",
        "批评性": "criticism",
        "建议性": "suggestion",
        "咨询类": "inquiry",
        "咨询性意见": "inquiry",
        "询问": "inquiry",
    },
}


def zh_name(head: str, label: str) -> str:
    """Chinese name of a label id, e.g. ``zh_name("topic", "traffic") == "交通管理"``."""
    return HEADS[head][label]


def parse_label(head: str, value: object) -> str:
    """Return the label id for an id or a Chinese name; raise LabelError otherwise."""
    if head not in HEADS:
        raise LabelError(f"未知的标注字段 {head!r}（应为 topic 或 stance）")
    text = str(value).strip() if value is not None else ""
    names = HEADS[head]
    if text in names:
        return text
    if text.lower() in names:
        return text.lower()
    for label_id, zh in names.items():
        if text == zh:
            return label_id
    alias = _ALIASES[head].get(text)
    if alias:
        return alias
    allowed = "、".join(f"{k}（{v}）" for k, v in names.items())
    raise LabelError(f"未知的 {head} {text!r}；可用的值: {allowed}")


def describe(head: str, label: str) -> str:
    """``治安管理 (public_order)`` — how labels are shown to people."""
    return f"{HEADS[head][label]} ({label})"

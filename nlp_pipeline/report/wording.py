"""Shared wording of every report format: titles, numbers as printed, the headline, notes."""

from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path

from nlp_pipeline.report.compute import ROWS_SOURCE, Comment, Report, Section
from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.text.normalize import mask_for_display

MAX_HTML_REVIEW = 200
"""Rows of the review list shown in the HTML; the full list is in the XLSX report."""
MAX_EXAMPLE_SHOWN = 90
"""Representative comments are trimmed to their first sentences within this many characters."""
_SENTENCE_END = re.compile(r"[。！？!?；;]")
DEFAULT_TITLE = "群众意见分类汇总"
_ORDINALS = "一二三四五六七八九十"
_HEAD_ZH = {"topic": "主题", "stance": "立场"}


# ---------------------------------------------------------------------------------------
# Shared wording


def _e(value: object) -> str:
    """``value`` masked for display and escaped for HTML (pages and SVG labels)."""
    return html.escape(mask_for_display(value), quote=True)


def default_title(source: str | os.PathLike[str] | None = None) -> str:
    """``群众意见分类汇总（文件名）``, or the bare title for rows that came from no file."""
    if source is None or os.fspath(source) == ROWS_SOURCE:
        return DEFAULT_TITLE
    return f"{DEFAULT_TITLE}（{Path(source).stem}）"


def pct(part: float) -> str:
    """A share as ``12.5%``."""
    return f"{part * 100:.1f}%"


def conf(value: float | None) -> str:
    """A confidence as ``0.93``; ``—`` when unknown."""
    return "—" if value is None else f"{value:.2f}"


def num(n: int) -> str:
    """A count with thousands separators: ``12,345``."""
    return f"{n:,}"


def first_sentences(text: str, limit: int = MAX_EXAMPLE_SHOWN) -> str:
    """A long letter's first sentences within ``limit`` characters, then "…"; as written."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = 0
    for match in _SENTENCE_END.finditer(text, 0, limit):
        cut = match.end()
    if cut < limit // 3:
        cut = limit - 1
    return text[:cut].rstrip() + "…"


def headline(section: Section) -> str:
    """The summary sentence of a section, in Chinese."""
    parts = [f"共 {num(section.total)} 条意见"]
    if section.errors:
        parts.append(f"其中 {num(section.classified)} 条已分类，{num(section.errors)} 条无法分类")
    parts.append(  # always said, 0 included: the chief asks how many gave no opinion
        f"无实质意见（无、无意见、同上等）{num(section.no_opinion)} 条，不计入主题和立场"
    )
    text = "，".join(parts) + "。"
    if not section.classified:
        return text + "没有已分类的意见。"
    stances = "、".join(
        f"{zh} {num(section.stances[s])} 条（{pct(section.stance_shares[s])}）"
        for s, zh in STANCES.items()
    )
    topics = "、".join(
        f"{zh} {num(section.topics[t])} 条（{pct(section.topic_shares[t])}）"
        for t, zh in TOPICS.items()
    )
    text += f"按立场：{stances}。按主题：{topics}。"
    text += f"需人工复核 {num(section.needs_review)} 条（占已分类的 {pct(section.review_share)}）。"
    return text


def _ordinal(i: int) -> str:
    return _ORDINALS[i] if i < len(_ORDINALS) else str(i + 1)


def _source_name(report: Report) -> str:
    return "（程序内数据）" if report.source == ROWS_SOURCE else Path(report.source).name


def date_range(report: Report) -> str | None:
    """``2026年7月1日至9月30日`` from the report's date column, or None."""
    a, b = report.date_from, report.date_to
    if a is None or b is None:
        return None
    start = f"{a.year}年{a.month}月{a.day}日"
    if a == b:
        return start
    end = f"{b.month}月{b.day}日" if b.year == a.year else f"{b.year}年{b.month}月{b.day}日"
    return f"{start}至{end}"


def _meta_line(report: Report) -> str:
    parts = [f"数据文件：{_source_name(report)}"]
    span = date_range(report)
    if span:
        parts.append(f"数据时间：{span}（“{report.date_column}”列）")
    parts.append(f"模型版本：{report.model_version or '未记录'}")
    parts.append(f"生成时间：{time.strftime('%Y-%m-%d %H:%M')}")
    if report.by:
        parts.append(f"分组：按“{report.by}”")
    return "　".join(parts)


NOTES = [
    "分类由模型自动完成，置信度低于阈值的已标为“需复核”，请人工核对后再引用。",
    "文中的电话号码、身份证号、车牌号、电子邮箱和网址已替换为〈电话〉等占位符。",
    "占比以已分类的条数为分母；“行号”是分类结果文件中的行号，可据此查找原文。",
    "特征词：与其他主题相比，在该主题的意见中出现得特别多的词，括号内为出现的条数。",
]


def _groups_heading(report: Report) -> str:
    return f"分组情况（按“{report.by}”）"


def _review_rows(comments: list[Comment], grouped: bool) -> list[list[tuple[str, object]]]:
    rows = []
    for c in comments:
        row: list[tuple[str, object]] = [("num", c.number)]
        if grouped:
            row.append(("name", c.group or ""))
        row += [
            ("text", c.text),
            ("name", TOPICS[c.topic]),
            ("num", conf(c.topic_confidence)),
            ("name", STANCES[c.stance]),
            ("num", conf(c.stance_confidence)),
        ]
        rows.append(row)
    return rows


_REVIEW_HEADERS = ["行号", "意见（已脱敏）", "主题", "主题置信度", "立场", "立场置信度"]

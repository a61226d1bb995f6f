"""The report as Markdown: the same tables and lists as the HTML page, no charts (the
CLI's default output)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp_pipeline.report.compute import Comment, Report, Section
from nlp_pipeline.report.wording import (
    _REVIEW_HEADERS,
    NOTES,
    _groups_heading,
    _meta_line,
    _ordinal,
    _review_rows,
    conf,
    default_title,
    headline,
    pct,
)
from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.text.normalize import mask_for_display

# ---------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
# Line and paragraph breaks of every kind (a bare CR too) and other control characters
# would end a table row or a heading: each becomes a space.
_MD_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _md(value: object) -> str:
    return _MD_BREAKS.sub(" ", _MD_SPECIAL.sub(r"\\\1", mask_for_display(value)))


def _md_table(headers: list[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> list[str]:
    align = ["---:" if i in numeric else "---" for i in range(len(headers))]
    out = ["| " + " | ".join(_md(h) for h in headers) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
    return out + [""]


def _md_distribution(section: Section) -> list[str]:
    rows = [
        [zh, section.topics[t], pct(section.topic_shares[t]), section.review_by_topic[t]]
        for t, zh in TOPICS.items()
    ]
    rows.append(
        ["合计", section.classified, pct(1.0 if section.classified else 0.0), section.needs_review]
    )
    out = _md_table(["主题", "条数", "占比", "需复核"], rows, {1, 2, 3})
    rows = [[zh, section.stances[s], pct(section.stance_shares[s])] for s, zh in STANCES.items()]
    return out + _md_table(["立场", "条数", "占比"], rows, {1, 2})


def _md_crosstab(section: Section) -> list[str]:
    ct = section.crosstab
    rows = [[zh, *(ct.counts[t][s] for s in STANCES), ct.row_totals[t]] for t, zh in TOPICS.items()]
    rows.append(["合计", *(ct.column_totals[s] for s in STANCES), ct.total])
    return _md_table(["主题／立场", *STANCES.values(), "合计"], rows, {1, 2, 3, 4})


def _md_confidence(section: Section) -> list[str]:
    topic, stance = section.confidence["topic"], section.confidence["stance"]
    rows = [
        [f"{lo:.1f} – {hi:.1f}", topic.counts[i], stance.counts[i]]
        for i, (lo, hi) in enumerate(zip(topic.edges, topic.edges[1:], strict=False))
    ]
    return _md_table(["置信度区间", "主题（条）", "立场（条）"], rows, {1, 2})


def _md_terms(section: Section) -> list[str]:
    rows = [
        [zh, "、".join(f"{x.term}（{x.count}）" for x in section.terms[t]) or "—"]
        for t, zh in TOPICS.items()
    ]
    return _md_table(["主题", "特征词（出现条数）"], rows, set())


def _md_examples(section: Section, level: str) -> list[str]:
    out = []
    for t, zh in TOPICS.items():
        out.append(f"{level} {zh}")
        out.append("")
        comments = section.examples[t]
        if not comments:
            out += ["（无可信度高的示例）", ""]
            continue
        for i, c in enumerate(comments, 1):
            out.append(
                f"{i}. {_md(c.text)}（第 {c.number} 行；{STANCES[c.stance]}；"
                f"主题置信度 {conf(c.topic_confidence)}）"
            )
        out.append("")
    return out


def _md_review(comments: list[Comment]) -> list[str]:
    if not comments:
        return ["（没有需要复核的意见）", ""]
    rows = [[v for _, v in row] for row in _review_rows(comments, False)]
    return _md_table(_REVIEW_HEADERS, rows, {0, 3, 5})


def _md_errors(comments: list[Comment]) -> list[str]:
    rows = [[c.number, c.error, c.text or "—"] for c in comments]
    return _md_table(["行号", "原因", "意见（已脱敏）"], rows, {0})


def render_markdown(report: Report, title: str | None = None) -> str:
    """The report as Markdown: the same tables and lists as the HTML, without charts."""
    title = title or default_title(report.source)
    o = report.overall
    grouped = bool(report.by)
    out = [f"# {_md(title)}", "", _md(_meta_line(report)), ""]
    n = 0

    def h2(text: str) -> None:
        nonlocal n
        out.extend([f"## {_ordinal(n)}、{text}", ""])
        n += 1

    h2("总体情况")
    out += [_md(headline(o)), ""]
    out += ["### 主题与立场分布", ""] + _md_distribution(o)
    out += ["### 主题 × 立场 交叉表", ""] + _md_crosstab(o)
    out += ["### 置信度分布", ""] + _md_confidence(o)
    h2("各主题特征词")
    out += _md_terms(o)
    h2("代表性意见")
    out += _md_examples(o, "###")
    h2(f"待人工复核的意见（{o.needs_review} 条）")
    if grouped and o.review:
        out += [f"按分组列出，见“{_md(_groups_heading(report))}”。", ""]
    else:
        out += _md_review(o.review)
    if o.errors:
        h2(f"无法分类的行（{o.errors} 条）")
        out += _md_errors(o.error_rows)
    if grouped:
        h2(_md(_groups_heading(report)))
        headers = [report.by or "分组", "总数", *TOPICS.values(), "需复核", "无法分类"]
        rows = [
            [s.name, s.total, *(s.topics[t] for t in TOPICS), s.needs_review, s.errors]
            for s in report.groups.values()
        ]
        rows.append(["合计", o.total, *(o.topics[t] for t in TOPICS), o.needs_review, o.errors])
        out += _md_table(headers, rows, set(range(1, len(headers))))
        for i, section in enumerate(report.groups.values()):
            out += [f"### （{_ordinal(i)}）{_md(section.name)}", "", _md(headline(section)), ""]
            out += ["#### 主题 × 立场 交叉表", ""] + _md_crosstab(section)
            out += ["#### 特征词", ""] + _md_terms(section)
            out += ["#### 代表性意见", ""] + _md_examples(section, "#####")
            out += [f"#### 待人工复核（{section.needs_review} 条）", ""] + _md_review(
                section.review
            )
            if section.errors:
                out += [f"#### 无法分类的行（{section.errors} 条）", ""]
                out += _md_errors(section.error_rows)
    out += ["---", "", "说明：", ""]
    out += [f"{i}. {note}" for i, note in enumerate(NOTES, 1)]
    return "\n".join(out) + "\n"

"""The report as a workbook: one sheet per table, numbers as numbers, text cells neutralised
against formula injection, written atomically."""

from __future__ import annotations

import os

from nlp_pipeline.io.atomic import atomic_write
from nlp_pipeline.report.compute import Report, Section
from nlp_pipeline.report.wording import default_title
from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.text.normalize import mask_for_display

# ---------------------------------------------------------------------------------------
# XLSX

XLSX_SHEETS = ("汇总", "交叉表", "置信度", "特征词", "示例", "待复核", "出错行")
_ALL = "全部"


def _section_label(section: Section) -> str:
    return _ALL if section.name is None else section.name


def xlsx_tables(report: Report) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Every sheet of the XLSX report as (header, rows) with typed values: numbers stay numbers."""
    group = report.by or "分组"
    sections = report.sections()
    summary = []
    for s in sections:
        g = _section_label(s)
        summary += [
            [g, "合计", "总数", "total", s.total, None],
            [g, "合计", "已分类", "classified", s.classified, _ratio(s.classified, s.total)],
            [g, "合计", "无法分类", "errors", s.errors, _ratio(s.errors, s.total)],
            [g, "合计", "需复核", "needs_review", s.needs_review, s.review_share],
        ]
        summary += [[g, "主题", zh, t, s.topics[t], s.topic_shares[t]] for t, zh in TOPICS.items()]
        summary += [
            [g, "立场", zh, k, s.stances[k], s.stance_shares[k]] for k, zh in STANCES.items()
        ]
    crosstab = []
    for s in sections:
        g, ct = _section_label(s), s.crosstab
        crosstab += [
            [g, zh, *(ct.counts[t][k] for k in STANCES), ct.row_totals[t]]
            for t, zh in TOPICS.items()
        ]
        crosstab.append([g, "合计", *(ct.column_totals[k] for k in STANCES), ct.total])
    confidence = []
    for s in sections:
        h_topic, h_stance = s.confidence["topic"], s.confidence["stance"]
        for i, (lo, hi) in enumerate(zip(h_topic.edges, h_topic.edges[1:], strict=False)):
            confidence.append(
                [
                    _section_label(s),
                    f"{lo:.1f}–{hi:.1f}",
                    lo,
                    hi,
                    h_topic.counts[i],
                    h_stance.counts[i],
                ]
            )
    terms = [
        [_section_label(s), TOPICS[t], rank, x.term, x.count, x.score]
        for s in sections
        for t in TOPICS
        for rank, x in enumerate(s.terms[t], 1)
    ]
    examples: list[list[object]] = [
        [
            _section_label(s),
            TOPICS[t],
            c.number,
            c.text,
            STANCES[c.stance],
            c.topic_confidence,
            c.stance_confidence,
        ]
        for s in sections
        for t in TOPICS
        for c in s.examples[t]
    ]
    grouped = bool(report.by)
    lead = [group] if grouped else []
    review: list[list[object]] = [
        [
            *([c.group] if grouped else []),
            c.number,
            c.text,
            TOPICS[c.topic],
            c.topic_confidence,
            STANCES[c.stance],
            c.stance_confidence,
        ]
        for c in report.overall.review
    ]
    errors: list[list[object]] = [
        [*([c.group] if grouped else []), c.number, c.error, c.text]
        for c in report.overall.error_rows
    ]
    return {
        "汇总": ([group, "类别", "名称", "标识", "条数", "占比"], summary),
        "交叉表": ([group, "主题", *STANCES.values(), "合计"], crosstab),
        "置信度": ([group, "置信度区间", "下限", "上限", "主题（条）", "立场（条）"], confidence),
        "特征词": ([group, "主题", "排名", "特征词", "出现条数", "得分"], terms),
        "示例": (
            [group, "主题", "行号", "意见（已脱敏）", "立场", "主题置信度", "立场置信度"],
            examples,
        ),
        "待复核": (
            [*lead, "行号", "意见（已脱敏）", "主题", "主题置信度", "立场", "立场置信度"],
            review,
        ),
        "出错行": ([*lead, "行号", "原因", "意见（已脱敏）"], errors),
    }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


_NUMBER_FORMATS = {
    "占比": "0.0%",
    "主题置信度": "0.00",
    "立场置信度": "0.00",
    "得分": "0.000",
    "下限": "0.0",
    "上限": "0.0",
}
_WIDE_COLUMNS = {"意见（已脱敏）": 70, "原因": 30}


def write_xlsx(report: Report, path: str | os.PathLike[str], title: str | None = None) -> None:
    """Write the report as an XLSX workbook, one sheet per table, atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from nlp_pipeline.io.writers import xlsx_text

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = mask_for_display(title or default_title(report.source))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="ECEBE8")
    wrap = Alignment(wrap_text=True, vertical="top")
    for name, (headers, rows) in xlsx_tables(report).items():
        sheet = workbook.create_sheet(name)
        sheet.append([xlsx_text(mask_for_display(h)) for h in headers])
        for row in rows:
            sheet.append([xlsx_text(mask_for_display(v)) if isinstance(v, str) else v for v in row])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for index, header in enumerate(headers, 1):
            letter = get_column_letter(index)
            width = _WIDE_COLUMNS.get(header, max(10, min(24, 2 * len(header) + 4)))
            sheet.column_dimensions[letter].width = width
            number_format = _NUMBER_FORMATS.get(header)
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a text cell, never a formula
                    if header in _WIDE_COLUMNS:
                        cell.alignment = wrap
                elif number_format and isinstance(cell.value, float):
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
    from nlp_pipeline.io.xlsx_guard import save_workbook

    atomic_write(path, lambda temp: save_workbook(workbook, temp))

"""The report's renderers, one module per format, and :func:`write_report`, which picks one.

* :func:`~nlp_pipeline.report.html.render_html` (``report/html.py``) — one self-contained
  page that opens offline: inline CSS, charts as inline SVG (``report/charts.py``, matplotlib
  with ``svg.fonttype = "none"``: text stays text), no external URL, font, script or
  stylesheet; A4-friendly width and print CSS.
* :func:`~nlp_pipeline.report.markdown.render_markdown` (``report/markdown.py``) — the same
  tables and lists, no charts (the CLI's default output).
* :func:`~nlp_pipeline.report.xlsx.write_xlsx` (``report/xlsx.py``) — one sheet per table,
  numbers as numbers, text cells neutralised against formula injection, written atomically.
* :func:`write_report` — dispatch on the extension (.html .htm .md .xlsx).

Wording shared by every format (titles, numbers as printed, the headline, notes) is
``report/wording.py``. Every text shown comes from the report, where it was already
normalised (personal data masked); every string printed — titles, column names, group
values, errors — also goes through :func:`~nlp_pipeline.text.normalize.mask_for_display`,
then is escaped for its format.
"""

from __future__ import annotations

import os

from nlp_pipeline.errors import OutputError, where
from nlp_pipeline.io.atomic import write_text_atomic
from nlp_pipeline.report.compute import ROWS_SOURCE, Report
from nlp_pipeline.report.html import MAX_HTML_REVIEW, render_html
from nlp_pipeline.report.markdown import render_markdown
from nlp_pipeline.report.wording import default_title, first_sentences, headline
from nlp_pipeline.report.xlsx import XLSX_SHEETS, write_xlsx, xlsx_tables

__all__ = [
    "MAX_HTML_REVIEW",
    "REPORT_EXTENSIONS",
    "XLSX_SHEETS",
    "default_title",
    "first_sentences",
    "headline",
    "render_html",
    "render_markdown",
    "write_report",
    "write_xlsx",
    "xlsx_tables",
]

REPORT_EXTENSIONS = (".html", ".htm", ".md", ".xlsx")


def write_report(report: Report, path: str | os.PathLike[str], title: str | None = None) -> str:
    """Write the report in the format of ``path``'s extension; return the format written.

    .html/.htm: self-contained page; .md: Markdown; .xlsx: workbook. Anything else, or the
    classified file itself as the target, raises OutputError.
    """
    from nlp_pipeline.io.writers import same_file

    target = os.fspath(path)
    ext = os.path.splitext(target)[1].lower()
    if ext not in REPORT_EXTENSIONS:
        shown = repr(ext) if ext else "（没有扩展名）"
        pdf = (
            "；要 PDF：先生成 .html，用浏览器打开，打印（Ctrl+P）→ 目标选“另存为 PDF”，纸张 A4 "
            "(for PDF: open the .html report in a browser and print to PDF, A4)"
            if ext == ".pdf"
            else ""
        )
        raise OutputError(
            f"{where(target)}不支持的报告格式 {shown} (unsupported report format)；"
            f"可用 supported: {' '.join(REPORT_EXTENSIONS)}{pdf}"
        )
    if report.source != ROWS_SOURCE and same_file(report.source, target):
        raise OutputError(
            f"{where(target)}报告不能覆盖分类结果文件本身 (the report would overwrite its input)"
        )
    if ext == ".xlsx":
        write_xlsx(report, target, title)
        return "xlsx"
    if ext == ".md":
        write_text_atomic(target, render_markdown(report, title))
        return "md"
    write_text_atomic(target, render_html(report, title))
    return "html"

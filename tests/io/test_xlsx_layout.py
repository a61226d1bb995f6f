"""The classified .xlsx as an analyst opens it in Excel/WPS."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from nlp_pipeline.cli.main import cli

DATA = Path(__file__).resolve().parents[1] / "fixtures"


def classify_to_xlsx(tmp_path, *extra):
    out = tmp_path / "分类结果.xlsx"
    result = CliRunner().invoke(
        cli, ["classify", str(DATA / "bureau_title_rows.xlsx"), "-o", str(out), "-q", *extra]
    )
    assert result.exit_code == 0, result.output
    return load_workbook(out)["结果"]


def test_header_frozen_bold_filtered_text_wide_and_wrapped(default_model, tmp_path):
    sheet = classify_to_xlsx(tmp_path)
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}7"
    assert all(c.font.bold for c in sheet[1])
    text = header.index("意见内容") + 1
    letter = sheet.cell(1, text).column_letter
    assert sheet.column_dimensions[letter].width == 60
    assert sheet.cell(2, text).alignment.wrap_text


def test_confidences_are_percentages_and_dates_stay_dates(default_model, tmp_path):
    sheet = classify_to_xlsx(tmp_path)
    header = [c.value for c in sheet[1]]
    conf = sheet.cell(2, header.index("topic_confidence") + 1)
    assert isinstance(conf.value, float) and conf.number_format == "0%"
    day = sheet.cell(2, header.index("走访日期") + 1)
    assert day.value == dt.datetime(2026, 7, 1) and day.number_format == "yyyy-mm-dd"


def test_chinese_headers_in_xlsx(default_model, tmp_path):
    sheet = classify_to_xlsx(tmp_path, "--headers", "zh")
    header = [c.value for c in sheet[1]]
    assert header[-7:] == [
        "主题",
        "主题置信度",
        "立场",
        "立场置信度",
        "需人工复核",
        "无实质意见",
        "错误说明",
    ]
    assert sheet.cell(2, header.index("主题置信度") + 1).number_format == "0%"
    assert sheet.cell(2, header.index("需人工复核") + 1).value in ("是", "否")

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
    # the input's own format (2026年7月1日), not a format of ours
    assert day.value == dt.datetime(2026, 7, 1) and day.number_format == 'yyyy"年"m"月"d"日"'


def _with_builtin_cjk_date_format(src: Path, dst: Path) -> None:
    """``src`` with its one custom date format replaced by Excel's built-in id 31
    (年月日 in Chinese Excel), which Chinese Excel and WPS write without defining it."""
    import re
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/styles.xml":
                text = data.decode()
                custom = re.search(r'<numFmt numFmtId="(\d+)"[^>]*年[^>]*/>', text)
                assert custom, text
                text = text.replace(custom.group(0), "")
                text = text.replace(f'numFmtId="{custom.group(1)}"', 'numFmtId="31"')
                data = text.encode()
            zout.writestr(item, data)


def test_chinese_builtin_date_format_is_read_as_a_date_and_kept(default_model, tmp_path):
    src = tmp_path / "wps.xlsx"
    _with_builtin_cjk_date_format(DATA / "bureau_title_rows.xlsx", src)
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["classify", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    from nlp_pipeline.io.readers import open_table

    with open_table(src) as table:
        first = next(iter(table.rows()))
    assert first.values["走访日期"] == dt.datetime(2026, 7, 1)  # not the serial number 46204
    sheet = load_workbook(out)["结果"]
    header = [c.value for c in sheet[1]]
    day = sheet.cell(2, header.index("走访日期") + 1)
    # openpyxl itself does not know id 31 and shows the serial; Excel and WPS show 2026年7月1日
    assert day.value == 46204
    assert sheet.parent._cell_styles[day.style_id].numFmtId == 31


def test_dates_of_a_csv_input_show_as_yyyy_mm_dd(tmp_path):
    from nlp_pipeline.io.writers import XlsxLayout, open_writer

    out = tmp_path / "d.xlsx"
    layout = XlsxLayout(date_formats={1: {"date": "d/m/yyyy"}})
    with open_writer(out, ["a", "b"], layout=layout) as w:
        w.write_rows([{"a": dt.date(2026, 1, 2), "b": dt.date(2026, 1, 2)}])
    row = load_workbook(out).active[2]
    assert [c.number_format for c in row] == ["yyyy-mm-dd", "d/m/yyyy"]


def test_a_column_of_mixed_formats_never_hides_a_time_or_a_date(default_model, tmp_path):
    """The format is kept per kind of value: a plain date's format is not put on a cell
    with a time of day, and a time-only format is not put on a date."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日期", "时间", "意见"])
    cells = [
        (dt.datetime(2026, 7, 1), "yyyy-mm-dd", dt.time(14, 30), "h:mm"),
        (dt.datetime(2026, 7, 2, 14, 30), "yyyy-mm-dd hh:mm", dt.datetime(2026, 7, 2, 8), "m/d"),
        (dt.datetime(2026, 7, 3, 9, 5), "m/d/yy h:mm", dt.time(9, 0), "h:mm"),
    ]
    for day, day_fmt, clock, clock_fmt in cells:
        ws.append([day, clock, "派出所民警态度很好"])
        ws.cell(ws.max_row, 1).number_format = day_fmt
        ws.cell(ws.max_row, 2).number_format = clock_fmt
    wb.save(tmp_path / "in.xlsx")
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(
        cli, ["classify", str(tmp_path / "in.xlsx"), "-o", str(out), "-q", "--text-column", "意见"]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    formats = [(sheet.cell(r, 1).number_format, sheet.cell(r, 2).number_format) for r in (2, 3, 4)]
    assert formats == [
        ("yyyy-mm-dd", "h:mm"),  # each kind: the format of its first cell in the column
        ("yyyy-mm-dd hh:mm", "m/d"),
        ("yyyy-mm-dd hh:mm", "h:mm"),
    ]
    assert sheet.cell(2, 2).value == dt.time(14, 30)  # a time of day, not the text "14:30:00"


def test_serials_before_march_1900_follow_excel(tmp_path):
    """Excel counts a 1900-02-29 that never was: its serial 1 is 1900-01-01, 61 is 1900-03-01."""
    from nlp_pipeline.io.writers import open_writer

    out = tmp_path / "d.xlsx"
    days = [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(1899, 12, 1)]
    with open_writer(out, ["d"]) as w:
        w.write_rows([{"d": d} for d in days])
    import re
    import zipfile

    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert re.findall(r"<v>(\d+)</v>", xml) == ["1", "59", "61"]
    assert "1899-12-01" in xml  # before Excel's first day: kept as text


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

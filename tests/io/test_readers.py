"""Readers: golden files, hostile files, stdin, text-column choice, streaming."""

from __future__ import annotations

import io
import json
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from nlp_pipeline.errors import InputError
from nlp_pipeline.io import readers
from nlp_pipeline.io.readers import InputRow, find_text_column, header_names, open_table

DATA = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = {
    name: spec
    for name, spec in json.loads((DATA / "expected.json").read_text(encoding="utf-8")).items()
    if not name.startswith("_")
}


def read_all(path: Path | str, **kwargs) -> tuple[readers.TableReader, list[InputRow]]:
    with open_table(path, **kwargs) as table:
        rows = list(table.rows())
    return table, rows


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def errors_of(rows: list[InputRow]) -> list[int]:
    return [row.number for row in rows if row.error]


# ---------------------------------------------------------------------------------------
# Golden files (also used by the classify CLI tests)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_file(name):
    spec = EXPECTED[name]
    table, rows = read_all(DATA / name)
    assert table.format == spec["format"]
    assert table.encoding == spec["encoding"]
    assert table.columns == spec["columns"]
    assert len(rows) == spec["rows"]
    assert errors_of(rows) == spec["error_rows"]
    assert table.skipped_empty == spec["skipped_empty"]
    text_column = find_text_column(table.columns, path=name)
    assert text_column == spec["text_column"]
    assert rows[0].number == spec["first"]["number"]
    assert rows[0].values[text_column] == spec["first"]["text"]
    for row in rows:
        if row.error:
            assert row.values == {} and name in row.error and f"第 {row.number} 行" in row.error
        else:
            assert list(row.values) == table.columns


def test_golden_files_are_all_described():
    described = set(EXPECTED)
    on_disk = {p.name for p in DATA.iterdir() if p.name.startswith("comments")}
    assert described == on_disk


def test_golden_csv_keeps_quoted_line_break_and_quotes():
    _, rows = read_all(DATA / "comments_utf8_bom.csv")
    by_number = {row.number: row for row in rows}
    assert by_number[4].values["内容"].count("\r\n") == 1  # a quoted field over lines 4-5
    assert by_number[6].values["编号"] == "4"  # so the next record starts on line 6
    assert '"反诈中心"' in by_number[7].values["内容"]
    assert by_number[3].values["内容"].count(",") == 2


def test_golden_xlsx_merged_header_and_empty_cells():
    table, rows = read_all(DATA / "comments.xlsx")
    assert table.columns[3] == "未命名列4"  # D1 is covered by the merged C1:D1
    by_number = {row.number: row for row in rows}
    assert by_number[4].values["乡镇"] == ""
    assert by_number[6].values["日期"] == ""
    assert by_number[3].values["未命名列4"] == "已在12345反映过"
    assert by_number[2].values["编号"] == 1
    assert 5 not in by_number  # the empty row in the middle


def test_golden_jsonl_error_messages():
    _, rows = read_all(DATA / "comments_broken.jsonl")
    by_number = {row.number: row for row in rows}
    assert "第 3 行" in by_number[3].error and "不是合法的 JSON" in by_number[3].error
    assert "不是 JSON 对象" in by_number[4].error and "数组" in by_number[4].error


def test_golden_xlsx_other_sheet():
    table, rows = read_all(DATA / "comments.xlsx", sheet="说明")
    assert table.columns == ["本表由测试脚本生成"]
    assert rows == []


def test_missing_sheet_lists_the_sheets():
    with pytest.raises(InputError, match="意见汇总"):
        open_table(DATA / "comments.xlsx", sheet="Sheet9")


# ---------------------------------------------------------------------------------------
# CSV / TSV


def test_csv_nul_byte_makes_an_error_row(tmp_path):
    path = write(tmp_path, "nul.csv", "编号,内容\n1,正常的意见\n2,坏\x00数据\n3,也正常\n")
    _, rows = read_all(path)
    assert [r.number for r in rows] == [2, 3, 4]
    assert errors_of(rows) == [3]
    assert "NUL" in rows[1].error and "nul.csv 第 3 行" in rows[1].error
    assert rows[2].values["内容"] == "也正常"


def test_csv_field_of_200_kb_is_read(tmp_path):
    big = "警" * 200_000
    path = write(tmp_path, "big.csv", f'编号,内容\n1,{big}\n2,"{big}"\n3,短\n')
    _, rows = read_all(path)
    assert errors_of(rows) == []
    assert [len(r.values["内容"]) for r in rows] == [200_000, 200_000, 1]


def test_csv_field_over_the_limit_is_an_error_row(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_FIELD_CHARS", 1000)
    path = write(tmp_path, "huge.csv", "编号,内容\n1," + "长" * 2000 + "\n2,正常\n")
    _, rows = read_all(path)
    assert errors_of(rows) == [2]
    assert "字段过长" in rows[0].error
    assert rows[1].values == {"编号": "2", "内容": "正常"}


def test_csv_overlong_line_is_an_error_row(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_RECORD_CHARS", 1000)
    path = write(tmp_path, "long.csv", "编号,内容\n1," + "长" * 5000 + "\n2,正常\n")
    _, rows = read_all(path)
    assert errors_of(rows) == [2]
    assert "超过" in rows[0].error
    assert rows[1].values == {"编号": "2", "内容": "正常"}


def test_unbalanced_quote_at_end_of_file_costs_one_row(tmp_path):
    path = write(
        tmp_path, "q.csv", '编号,内容\n1,正常\n2,"引号没有闭合的意见\n3,第三条\n4,第四条\n'
    )
    _, rows = read_all(path)
    assert [r.number for r in rows] == [2, 3, 4, 5]
    assert errors_of(rows) == [3]
    assert "引号未闭合" in rows[1].error and "文件末尾" in rows[1].error
    assert rows[2].values == {"编号": "3", "内容": "第三条"}
    assert rows[3].values == {"编号": "4", "内容": "第四条"}


def test_unbalanced_quote_closed_by_a_later_quote(tmp_path):
    content = (
        "编号,内容,日期\n"
        '1,"开头有引号却没有结束,2024-01-01\n'
        "2,中间的正常行,2024-01-02\n"
        '3,"带引号的正常字段",2024-01-03\n'
        "4,最后一行,2024-01-04\n"
    )
    _, rows = read_all(write(tmp_path, "q.csv", content))
    assert errors_of(rows) == [2]
    assert "第 2 行" in rows[0].error and "引号" in rows[0].error
    assert [r.values.get("内容") for r in rows[1:]] == [
        "中间的正常行",
        "带引号的正常字段",
        "最后一行",
    ]


def test_unbalanced_quote_stops_after_the_line_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_RECORD_LINES", 50)
    lines = ["编号,内容", '1,"这个引号一直不闭合'] + [f"{i},第{i}条意见" for i in range(2, 502)]
    _, rows = read_all(write(tmp_path, "q.csv", "\n".join(lines) + "\n"))
    assert errors_of(rows) == [2]
    assert "第 52 行" in rows[0].error
    assert len(rows) == 501
    assert rows[-1].values == {"编号": "501", "内容": "第501条意见"}


def test_stray_quote_inside_a_field_is_an_error_row(tmp_path):
    content = '编号,内容\n1,"他说"好的"就走了"\n2,正常\n3,不在开头的"引号"是普通字符\n'
    _, rows = read_all(write(tmp_path, "q.csv", content))
    assert errors_of(rows) == [2]
    assert rows[2].values["内容"] == '不在开头的"引号"是普通字符'


def test_mixed_line_endings(tmp_path):
    content = '编号,内容\r\n1,甲\n2,乙\r3,丙\r\n4,"丁\r戊"\n5,己'
    _, rows = read_all(write(tmp_path, "mixed.csv", content))
    assert [(r.number, r.values["内容"]) for r in rows] == [
        (2, "甲"),
        (3, "乙"),
        (4, "丙"),
        (5, "丁\r戊"),
        (7, "己"),
    ]


def test_bom_in_the_middle_is_removed(tmp_path):
    content = "\ufeff编号,内容\n1,甲\n\ufeff2,乙\n"  # two files joined with copy a+b
    table, rows = read_all(write(tmp_path, "bom.csv", content))
    assert table.columns == ["编号", "内容"]
    assert rows[1].values == {"编号": "2", "内容": "乙"}


def test_field_count(tmp_path):
    content = "编号,乡镇,内容\n1,城关镇,太多字段,多余\n2,城关镇\n3,,\n,,\n"
    table, rows = read_all(write(tmp_path, "n.csv", content))
    assert errors_of(rows) == [2]
    assert "n.csv 第 2 行: 字段数与表头不符 (expected 3, got 4)" in rows[0].error
    assert rows[1].values == {"编号": "2", "乡镇": "城关镇", "内容": ""}  # padded
    assert rows[2].values == {"编号": "3", "乡镇": "", "内容": ""}
    assert table.skipped_empty == 1  # the ",," row


def test_header_only_file_has_no_rows(tmp_path):
    table, rows = read_all(write(tmp_path, "h.csv", "编号,内容\r\n"))
    assert table.columns == ["编号", "内容"] and rows == []


def test_blank_lines_only_is_an_error(tmp_path):
    with pytest.raises(InputError, match="只有空行"):
        open_table(write(tmp_path, "blank.csv", "\n\n,,\n"))


def test_broken_header_is_an_error(tmp_path):
    with pytest.raises(InputError, match="表头"):
        open_table(write(tmp_path, "h.csv", '"编号,内容\n1,甲\n'))


def test_header_names_empty_and_duplicate_cells():
    assert header_names(["内容", None, " 内容 ", "", "内容_2", 2024.0]) == [
        "内容",
        "未命名列2",
        "内容_3",
        "未命名列4",
        "内容_2",
        "2024",
    ]


def test_tsv_with_quoted_tab(tmp_path):
    content = '编号\t内容\n1\t"有\t制表符"\n2\t普通\n'
    table, rows = read_all(write(tmp_path, "t.tsv", content))
    assert table.format == "tsv"
    assert [r.values["内容"] for r in rows] == ["有\t制表符", "普通"]


def test_rows_can_be_read_twice(tmp_path):
    path = write(tmp_path, "twice.csv", "编号,内容\n\n1,甲\n2,乙\n")
    with open_table(path) as table:
        first = list(table.rows())
        assert table.skipped_empty == 1
        second = list(table.rows())
        assert table.skipped_empty == 1
    assert first == second


def test_closing_the_reader_closes_a_running_iterator(tmp_path):
    path = write(tmp_path, "c.csv", "编号,内容\n1,甲\n2,乙\n")
    with open_table(path) as table:
        rows = table.rows()
        next(rows)
    assert list(rows) == []


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab\r\n\u2028,"), max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=6),
)
def test_split_lines_property(text, cuts):
    """Chunk boundaries never change where lines end; only \\r\\n, \\r and \\n end a line."""
    points = sorted({c for c in cuts if c <= len(text)} | {0, len(text)})
    chunks = [text[a:b] for a, b in zip(points, points[1:], strict=False)]
    lines = list(readers._split_lines(chunks))
    assert "".join(lines) == text
    for line, following in zip(lines, lines[1:], strict=False):
        assert line.endswith(("\r", "\n"))
        assert not (line.endswith("\r") and following.startswith("\n"))
    for line in lines:
        body = line.rstrip("\r\n")
        assert "\r" not in body and "\n" not in body


# ---------------------------------------------------------------------------------------
# TXT and JSONL


def test_txt_lines(tmp_path):
    content = "\ufeff第一条\r\n\r\n  \u3000 \r\n第\x00四条\n第五条\r第六条"
    table, rows = read_all(write(tmp_path, "t.txt", content))
    assert table.columns == ["line", "text"]
    assert [r.number for r in rows] == [1, 4, 5, 6]
    assert rows[0].values == {"line": 1, "text": "第一条"}
    assert errors_of(rows) == [4]
    assert rows[-1].values == {"line": 6, "text": "第六条"}
    assert table.skipped_empty == 2


def test_excel_unicode_text_is_read_as_tsv(tmp_path):
    content = "编号\t内容\r\n1\t民警很耐心\r\n"
    table, rows = read_all(write(tmp_path, "unicode.txt", content, encoding="utf-16"))
    assert table.format == "tsv" and table.encoding == "utf-16"
    assert rows[0].values == {"编号": "1", "内容": "民警很耐心"}
    table, rows = read_all(write(tmp_path, "plain.txt", "一条意见\r\n", encoding="utf-16"))
    assert table.format == "txt" and rows[0].values["text"] == "一条意见"


def test_jsonl_hostile_lines(tmp_path):
    lines = [
        '{"text": "第一条", "town": "城关镇"}',
        "42",
        '"只是字符串"',
        "null",
        "{}",
        '{"text": ""}',
        '{"text": "嵌套", "extra": {"a": [1, 2]}}',
        '{"text": "坏的代理 \\ud800"}',
        "[" * 100_000 + "]" * 100_000,
        "{not json",
        '{"text": "最后"}',
    ]
    table, rows = read_all(write(tmp_path, "h.jsonl", "\n".join(lines) + "\n"))
    assert table.columns == ["text", "town", "extra"]
    assert errors_of(rows) == [2, 3, 4, 8, 9, 10]
    assert table.skipped_empty == 2  # {} and {"text": ""}
    by_number = {r.number: r for r in rows}
    assert "数字" in by_number[2].error and "字符串" in by_number[3].error
    assert "null" in by_number[4].error
    assert by_number[7].values == {"text": "嵌套", "town": "", "extra": {"a": [1, 2]}}
    assert "代理" in by_number[8].error
    assert by_number[11].values["text"] == "最后"


# ---------------------------------------------------------------------------------------
# XLSX


def _xlsx_zip(path: Path, sheet_xml_parts, *, shared: str | None = None) -> None:
    """Write a minimal workbook directly with zipfile (fast, and free to be odd)."""
    ns = "http://schemas.openxmlformats.org"
    ct = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/'
        f'main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", ct)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/'
                'spreadsheetml/2006/main"><dimension ref="A1:B2"/><sheetData>'.encode()
            )
            for part in sheet_xml_parts:
                sheet.write(part.encode())
            sheet.write(b"</sheetData></worksheet>")


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_xlsx_with_a_million_empty_rows_is_fast(tmp_path):
    n = 1_000_000

    def parts():
        yield f'<row r="1">{_inline("A1", "编号")}{_inline("B1", "内容")}</row>'
        yield f'<row r="2"><c r="A2"><v>1</v></c>{_inline("B2", "第一条")}</row>'
        batch = []
        for r in range(3, n + 3):
            batch.append(f'<row r="{r}"/>')
            if len(batch) == 50_000:
                yield "".join(batch)
                batch = []
        yield "".join(batch)
        last = n + 3
        yield f'<row r="{last}"><c r="A{last}"><v>2</v></c>{_inline(f"B{last}", "最后一条")}</row>'

    path = tmp_path / "empty_rows.xlsx"
    _xlsx_zip(path, parts())
    started = time.perf_counter()
    table, rows = read_all(path)
    elapsed = time.perf_counter() - started
    assert [(r.number, r.values["内容"]) for r in rows] == [(2, "第一条"), (n + 3, "最后一条")]
    assert table.skipped_empty == n
    assert elapsed < 30, f"took {elapsed:.1f}s"


def test_xlsx_formulas_give_cached_values_never_formula_text(tmp_path):
    path = tmp_path / "f.xlsx"
    _xlsx_zip(
        path,
        [
            f'<row r="1">{_inline("A1", "编号")}{_inline("B1", "内容")}</row>',
            '<row r="2"><c r="A2"><f>1+1</f><v>2</v></c>' + _inline("B2", "甲") + "</row>",
            '<row r="3"><c r="A3"><f>1+2</f></c>' + _inline("B3", "乙") + "</row>",
        ],
    )
    _, rows = read_all(path)
    assert [r.values["编号"] for r in rows] == [2, ""]


def test_xlsx_cell_beyond_the_header_is_an_error_row(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "内容", None])
    ws.append([1, "甲", None])
    ws.append([2, "乙", None, "表头之外的备注"])
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    table, rows = read_all(path)
    assert table.columns == ["编号", "内容"]
    assert errors_of(rows) == [3]
    assert "第 4 列" in rows[1].error


def test_truncated_xlsx(tmp_path):
    data = (DATA / "comments.xlsx").read_bytes()
    path = write(tmp_path, "cut.xlsx", data[: len(data) // 2])
    with pytest.raises(InputError, match="损坏") as info:
        open_table(path)
    assert "cut.xlsx" in str(info.value)


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04" + bytes(range(256)) * 20, b"this is not a workbook at all"],
    ids=["zip-magic-garbage", "plain-garbage"],
)
def test_corrupt_xlsx(tmp_path, content):
    with pytest.raises(InputError, match="xlsx") as info:
        open_table(write(tmp_path, "bad.xlsx", content))
    assert "bad.xlsx" in str(info.value)


def test_xlsx_with_corrupt_sheet_xml(tmp_path):
    path = tmp_path / "xml.xlsx"
    _xlsx_zip(path, ['<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c></row><row'])
    with pytest.raises(InputError, match="损坏"):
        read_all(path)


@pytest.mark.parametrize("name", ["locked.xlsx", "old.xls.csv"])
def test_password_protected_xlsx(tmp_path, name):
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    with pytest.raises(InputError, match="加密") as info:
        open_table(write(tmp_path, name, cfb))
    assert name in str(info.value) and "另存为" in str(info.value)


# ---------------------------------------------------------------------------------------
# Whole-file problems


@pytest.mark.parametrize("name", ["empty.csv", "empty.txt", "empty.jsonl", "empty.xlsx"])
def test_empty_file(tmp_path, name):
    with pytest.raises(InputError, match="空") as info:
        open_table(write(tmp_path, name, b""))
    assert name in str(info.value)


def test_directory_given_as_file(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="文件夹"):
        open_table(folder)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="找不到") as info:
        open_table(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value)


@pytest.mark.parametrize(
    ("name", "hint"), [("a.xls", "另存为"), ("a.doc", "不支持"), ("a", "不支持")]
)
def test_unknown_extension(tmp_path, name, hint):
    with pytest.raises(InputError, match=hint):
        open_table(write(tmp_path, name, "x"))


def test_format_overrides_extension(tmp_path):
    table, rows = read_all(write(tmp_path, "data.dat", "编号,内容\n1,甲\n"), fmt="csv")
    assert table.format == "csv" and rows[0].values["内容"] == "甲"


def test_undecodable_file_names_the_offset(tmp_path):
    prefix = "编号,内容\n1,".encode("gb18030")
    path = write(tmp_path, "bad.csv", prefix + b"\xff\xff\n")
    with pytest.raises(InputError, match=f"字节偏移 {len(prefix)}") as info:
        open_table(path)
    assert "bad.csv" in str(info.value) and "--encoding" in str(info.value)


def test_explicit_encoding(tmp_path):
    path = write(tmp_path, "g.csv", "编号,内容\n1,民警\n", encoding="gbk")
    table, rows = read_all(path, encoding="gbk")
    assert table.encoding == "gbk" and rows[0].values["内容"] == "民警"
    with pytest.raises(InputError, match="utf-8"):
        open_table(path, encoding="utf-8")


def test_xlsx_renamed_to_csv(tmp_path):
    path = write(tmp_path, "really.csv", (DATA / "comments.xlsx").read_bytes())
    with pytest.raises(InputError, match=r"\.xlsx"):
        open_table(path)


# ---------------------------------------------------------------------------------------
# stdin


def feed_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin_jsonl(monkeypatch):
    feed_stdin(monkeypatch, b'\n{"text": "\xe6\xb0\x91\xe8\xad\xa6", "id": 1}\n{"id": 2, "x": 3}\n')
    table, rows = read_all("-")
    assert table.format == "jsonl" and table.path == "-"
    assert table.columns == ["text", "id", "x"]
    assert rows[0].values == {"text": "民警", "id": 1, "x": ""}


def test_stdin_plain_lines(monkeypatch):
    feed_stdin(monkeypatch, "民警态度好\n\n[不是JSON]\n".encode())
    table, rows = read_all("-")
    assert table.format == "txt"
    assert [r.values["text"] for r in rows] == ["民警态度好", "[不是JSON]"]
    assert table.skipped_empty == 1


def test_stdin_is_strict_utf8_unless_told(monkeypatch):
    feed_stdin(monkeypatch, "民警态度好\n".encode("gbk"))
    with pytest.raises(InputError, match="<stdin>"):
        open_table("-")
    feed_stdin(monkeypatch, "民警态度好\n".encode("gbk"))
    _, rows = read_all("-", encoding="gbk")
    assert rows[0].values["text"] == "民警态度好"


def test_empty_stdin(monkeypatch):
    feed_stdin(monkeypatch, b"")
    with pytest.raises(InputError, match="空"):
        open_table("-")


# ---------------------------------------------------------------------------------------
# find_text_column


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["编号", "意见内容", "日期"], "意见内容"),
        (["id", " Content ", "date"], " Content "),
        (["line", "text"], "text"),
        (["编号", "来电内容"], "来电内容"),
    ],
)
def test_find_text_column_known_names(columns, expected):
    assert find_text_column(columns) == expected


def test_find_text_column_requested():
    assert find_text_column(["编号", "备注", "内容"], "备注") == "备注"
    assert find_text_column(["编号", "Remark"], "remark") == "Remark"
    with pytest.raises(InputError) as info:
        find_text_column(["编号", "内容"], "备注", path="a.csv")
    assert "a.csv" in str(info.value) and "'编号'、'内容'" in str(info.value)


def test_find_text_column_none_or_ambiguous():
    with pytest.raises(InputError, match="--text-column") as info:
        find_text_column(["编号", "日期"], path="a.csv")
    assert "'编号'、'日期'" in str(info.value)
    with pytest.raises(InputError, match="--text-column") as info:
        find_text_column(["内容", "意见内容"])
    assert "多个" in str(info.value)


# ---------------------------------------------------------------------------------------
# Streaming


def test_memory_stays_flat_on_a_large_csv(tmp_path):
    comment = "派出所民警接到报警后迅速赶到现场，耐心调解了邻里纠纷，群众十分满意。" * 3
    path = tmp_path / "large.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("编号,乡镇,内容\n")
        for i in range(150_000):
            out.write(f"{i},城关镇,{comment}\n")
    size = path.stat().st_size
    assert size > 30_000_000
    tracemalloc.start()
    try:
        count = 0
        with open_table(path) as table:
            for _row in table.rows():
                count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 150_000
    assert peak < 16_000_000, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB file"


CSVISH = st.text(alphabet=st.sampled_from('ab民,"\t\r\n\ufeff\x00 '), min_size=1, max_size=80)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=CSVISH, ext=st.sampled_from(["csv", "tsv", "txt", "jsonl"]))
def test_no_text_input_crashes_the_reader(tmp_path, text, ext):
    """Any input gives InputError or rows in order, each with an error or all columns."""
    path = write(tmp_path, f"fuzz.{ext}", text)
    try:
        table, rows = read_all(path)
    except InputError:
        return
    numbers = [row.number for row in rows]
    assert numbers == sorted(set(numbers)) and all(n >= 1 for n in numbers)
    for row in rows:
        assert (row.error is not None and row.values == {}) or list(row.values) == table.columns


def test_folder_without_extension_is_named_as_a_folder(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(InputError, match="文件夹"):
        open_table(folder)

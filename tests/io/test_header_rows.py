"""Title rows above the header, footer rows below the data: files as bureaus make them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from nlp_pipeline.errors import InputError
from nlp_pipeline.io.readers import open_table

DATA = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = {
    name: spec
    for name, spec in json.loads((DATA / "bureau_expected.json").read_text("utf-8")).items()
    if not name.startswith("_")
}


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bureau_golden_file(name):
    spec = EXPECTED[name]
    with open_table(DATA / name) as table:
        rows = list(table.rows())
        assert table.header_row == spec["header_row"]
        assert table.skipped_above == spec["skipped_above"]
        assert table.columns == spec["columns"]
        assert table.encoding == spec["encoding"]
        assert [[r.number, {k: _plain(v) for k, v in r.values.items()}] for r in rows] == spec[
            "rows"
        ]
        assert [list(f) for f in table.footer_rows] == spec["footer_rows"]
        assert table.skipped_empty == spec["skipped_empty"]
        assert not any(r.error for r in rows)


def test_header_row_option_overrides_detection(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("报表,,\n甲,乙,丙\n序号,内容,乡镇\n1,晚上巡逻少,城关\n", encoding="utf-8")
    with open_table(path) as table:
        assert table.header_row == 3
    with open_table(path, header_row=2) as table:
        assert table.columns == ["甲", "乙", "丙"]
        assert [r.number for r in table.rows()] == [3, 4]


def test_header_row_that_is_empty_or_missing_is_a_clear_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("序号,内容\n\n1,晚上巡逻少\n", encoding="utf-8")
    for n in (2, 9):
        with pytest.raises(InputError, match=f"--header-row {n}"):
            open_table(path, header_row=n)


def test_plain_files_keep_their_first_row_as_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n合计,3\n", encoding="utf-8")  # a narrow 合计 row at the end
    with open_table(path) as table:
        rows = list(table.rows())
        assert table.header_row == 1 and table.skipped_above == 0
    assert [r.number for r in rows] == [2]
    assert table.footer_rows == [(3, "合计 3")]


def test_footer_like_row_followed_by_data_is_data(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "编号,内容,乡镇,日期\n1,路灯坏了,城关,7-1\n备注：下面是补录,,,\n2,噪音扰民,城关,7-2\n",
        encoding="utf-8",
    )
    with open_table(path) as table:
        rows = list(table.rows())
    assert [r.number for r in rows] == [2, 3, 4]
    assert table.footer_rows == []


def test_known_text_column_name_wins_over_a_wide_title_row(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["单位", "城关派出所", "日期", "2026-10-08"])  # looks like names, but is not
    ws.append(["编号", "意见内容", "乡镇", "日期"])
    ws.append([1, "晚上巡逻少", "城关", dt.datetime(2026, 7, 1)])
    wb.save(tmp_path / "t.xlsx")
    with open_table(tmp_path / "t.xlsx") as table:
        assert table.header_row == 2
        assert table.columns == ["编号", "意见内容", "乡镇", "日期"]


def test_requested_text_column_finds_its_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("甲,乙,丙\n编号,来信摘要,乡镇\n1,晚上巡逻少,城关\n", encoding="utf-8")
    with open_table(path, text_column="来信摘要") as table:
        assert table.header_row == 2


def test_text_column_found_by_a_word_in_its_name():
    from nlp_pipeline.io.readers import find_text_column

    assert find_text_column(["序号", "派出所", "回访内容", "处理结果"]) == "回访内容"
    with pytest.raises(InputError, match="多个"):
        find_text_column(["群众意见", "回访内容"])

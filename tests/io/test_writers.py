"""Writers: atomic replace, OS errors, formula neutralization, round trips through the readers."""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import json
import os
import sys
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_pipeline.errors import OutputError
from nlp_pipeline.io import writers
from nlp_pipeline.io.readers import open_table
from nlp_pipeline.io.writers import neutralize_formula, open_writer, same_file, xlsx_text

COLUMNS = ["编号", "内容"]
ROWS = [
    {"编号": 1, "内容": "派出所民警态度很好"},
    {"编号": 2, "内容": '=HYPERLINK("http://evil","点我")'},
    {"编号": 3, "内容": "@平安城关 请处理"},
    {"编号": 4, "内容": "-_- 出警太慢"},
    {"编号": 5, "内容": "+1 同意楼上"},
    {"编号": 6, "内容": "\t前面有制表符"},
    {"编号": 7, "内容": "#N/A"},
    {"编号": 8, "内容": "第一行\n第二行"},
]


def write_table(path: Path | str, rows=ROWS, columns=COLUMNS, fmt: str | None = None) -> None:
    with open_writer(path, columns, fmt) as writer:
        writer.write_rows(rows)


def read_back(path: Path) -> list[dict]:
    with open_table(path) as table:
        return [row.values for row in table.rows()]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# ---------------------------------------------------------------------------------------
# Neutralization


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("民警=好", "民警=好"),
        ("", ""),
        (-1, -1),
        (None, None),
        (True, True),
    ],
)
def test_neutralize_formula(value, expected):
    assert neutralize_formula(value) == expected


def test_csv_is_neutralized_and_starts_with_bom(tmp_path):
    path = tmp_path / "out.csv"
    write_table(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    values = [row["内容"] for row in read_back(path)]
    assert values == [neutralize_formula(row["内容"]) for row in ROWS]
    assert values[1].startswith("'=") and values[0] == "派出所民警态度很好"
    assert [row["编号"] for row in read_back(path)] == [str(i) for i in range(1, 9)]


def test_tsv_is_neutralized_and_starts_with_bom(tmp_path):
    path = tmp_path / "out.tsv"
    write_table(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "编号\t内容\r\n".encode() in raw
    assert read_back(path)[2]["内容"] == "'@平安城关 请处理"


def test_xlsx_text_cells_are_text_and_neutralized(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [*ROWS, {"编号": 9.5, "内容": True}, {"编号": None, "内容": dt.datetime(2024, 3, 1)}]
    write_table(path, rows)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = list(sheet.iter_rows())
    assert [(c.value, c.data_type) for c in cells[0]] == [("编号", "s"), ("内容", "s")]
    for row, source in zip(cells[1:9], ROWS, strict=True):
        assert row[0].data_type == "n" and row[0].value == source["编号"]
        assert row[1].data_type == "s"  # never "f" (formula) or "e" (error)
        assert row[1].value == xlsx_text(source["内容"])
    assert cells[2][1].value == '\'=HYPERLINK("http://evil","点我")'
    assert cells[7][1].value == "#N/A"
    assert (cells[9][0].value, cells[9][1].value, cells[9][1].data_type) == (9.5, True, "b")
    assert cells[10][0].value is None and cells[10][1].value == dt.datetime(2024, 3, 1)


def test_xlsx_removes_illegal_characters_and_truncates(tmp_path):
    path = tmp_path / "out.xlsx"
    long_text = "长" * 40_000
    write_table(path, [{"编号": 1, "内容": "a\x00b\x0bc\ufffe"}, {"编号": 2, "内容": long_text}])
    rows = read_back(path)
    assert rows[0]["内容"] == "abc"
    assert len(rows[1]["内容"]) == writers.XLSX_MAX_CELL_CHARS
    assert rows[1]["内容"].endswith(writers.XLSX_TRUNCATION_MARK)


def test_xlsx_keeps_big_integers_exact(tmp_path):
    path = tmp_path / "out.xlsx"
    write_table(path, [{"编号": 110101199003071234, "内容": "身份证号不能变成 1.1E+17"}])
    assert read_back(path)[0]["编号"] == "110101199003071234"


def test_xlsx_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
    path = tmp_path / "out.xlsx"
    with pytest.raises(OutputError, match="csv"):
        write_table(path)
    assert not path.exists() and leftovers(tmp_path) == []


def test_jsonl_is_not_neutralized(tmp_path):
    path = tmp_path / "out.jsonl"
    write_table(path, [*ROWS, {"编号": 9, "内容": None, "extra": "ignored"}])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[1]) == ROWS[1]
    assert "派出所" in lines[0]  # ensure_ascii=False
    assert json.loads(lines[-1]) == {"编号": 9, "内容": None}


def test_stdout_jsonl(monkeypatch):
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding="utf-8"))
    write_table("-", ROWS[:2])
    assert [json.loads(x) for x in buffer.getvalue().decode().splitlines()] == ROWS[:2]


def test_stdout_refuses_xlsx():
    with pytest.raises(OutputError, match="xlsx"):
        open_writer("-", COLUMNS, fmt="xlsx")


def test_unknown_output_extension(tmp_path):
    with pytest.raises(OutputError, match="不支持"):
        open_writer(tmp_path / "out.xls", COLUMNS)


# ---------------------------------------------------------------------------------------
# Atomic replace and OS errors


@pytest.mark.parametrize("ext", ["csv", "tsv", "xlsx", "jsonl"])
def test_exception_keeps_the_old_file(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    write_table(path, ROWS[:1])
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with open_writer(path, COLUMNS) as writer:
            writer.write_rows(ROWS)
            raise RuntimeError("classification crashed")
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_temporary_name_is_beside_the_target(tmp_path):
    path = tmp_path / "out.csv"
    writer = open_writer(path, COLUMNS)
    assert leftovers(tmp_path)[0].startswith(".out.csv.tmp-")
    assert not path.exists()
    writer.commit()
    assert path.exists() and leftovers(tmp_path) == []


def test_missing_directory(tmp_path):
    with pytest.raises(OutputError, match="文件夹不存在") as info:
        open_writer(tmp_path / "nope" / "out.csv", COLUMNS)
    assert "out.csv" in str(info.value)


def test_path_is_a_directory(tmp_path):
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(OutputError, match="文件夹"):
        open_writer(tmp_path / "out.csv", COLUMNS)


def test_unwritable_directory_simulated(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(writers, "open", denied, raising=False)
    with pytest.raises(OutputError, match="没有写入权限") as info:
        open_writer(tmp_path / "out.csv", COLUMNS)
    assert "out.csv" in str(info.value)


@pytest.mark.skipif(
    os.name == "nt" or (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="permissions are not enforced for root or on Windows",
)
def test_unwritable_directory_real(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="没有写入权限"):
            open_writer(folder / "out.csv", COLUMNS)
    finally:
        folder.chmod(0o700)


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_disk_full_while_writing(tmp_path, monkeypatch, ext):
    path = tmp_path / f"out.{ext}"
    path.write_text("old good file", encoding="utf-8")
    monkeypatch.setattr(writers._AtomicFile, "write", _no_space)
    with pytest.raises(OutputError, match="磁盘空间不足") as info:
        write_table(path)
    assert f"out.{ext}" in str(info.value)
    assert path.read_text(encoding="utf-8") == "old good file"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("ext", ["csv", "xlsx", "jsonl"])
def test_disk_full_while_flushing(tmp_path, monkeypatch, ext):
    path = tmp_path / f"out.{ext}"
    path.write_text("old good file", encoding="utf-8")
    monkeypatch.setattr(writers.os, "fsync", _no_space)
    with pytest.raises(OutputError, match="磁盘空间不足"):
        write_table(path)
    assert path.read_text(encoding="utf-8") == "old good file"
    assert leftovers(tmp_path) == []


def test_a_failed_write_cannot_be_committed(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="未生成文件"):
        with open_writer(path, COLUMNS) as writer:
            monkeypatch.setattr(writers._AtomicFile, "write", _no_space)
            try:
                writer.write_rows(ROWS)
            except OutputError:
                pass  # a caller that swallows the error must still not get a half file
            monkeypatch.undo()
    assert not path.exists() and leftovers(tmp_path) == []


def test_writes_are_streamed_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "_BUFFER_CHARS", 100)
    sizes = []
    original = writers._AtomicFile.write

    def spy(self, data):
        sizes.append(len(data))
        original(self, data)

    monkeypatch.setattr(writers._AtomicFile, "write", spy)
    path = tmp_path / "out.csv"
    with open_writer(path, COLUMNS) as writer:
        writer.write_rows(iter(ROWS * 20))
    assert len(sizes) > 10 and max(sizes) < 400
    assert len(read_back(path)) == len(ROWS) * 20


# ---------------------------------------------------------------------------------------
# same_file


def test_same_file(tmp_path, monkeypatch):
    a = tmp_path / "a.csv"
    a.write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert same_file(a, "a.csv")
    assert same_file(a, tmp_path / "sub" / ".." / "a.csv")
    assert not same_file(a, tmp_path / "b.csv")
    assert same_file(tmp_path / "new.csv", "new.csv")  # neither exists yet
    assert not same_file("-", "-")
    if hasattr(os, "link"):
        os.link(a, tmp_path / "hard.csv")
        assert same_file(a, tmp_path / "hard.csv")


# ---------------------------------------------------------------------------------------
# Round trip property

# U+FEFF at a line start is read as a stray BOM and NUL makes an error row (see readers),
# so they are left out of the CSV alphabet; XLSX's own rules are in xlsx_text.
TEXTS = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00\ufeff"), max_size=40),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=TEXTS, ext=st.sampled_from(["csv", "tsv", "jsonl"]))
def test_round_trip_text_formats(tmp_path, texts, ext):
    path = tmp_path / f"round.{ext}"
    write_table(path, [{"编号": i, "内容": text} for i, text in enumerate(texts)])
    back = read_back(path)
    expected = texts if ext == "jsonl" else [neutralize_formula(t) for t in texts]
    assert [row["内容"] for row in back] == expected
    assert [str(row["编号"]) for row in back] == [str(i) for i in range(len(texts))]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(st.text(max_size=40), max_size=8))
def test_round_trip_xlsx(tmp_path, texts):
    path = tmp_path / "round.xlsx"
    write_table(path, [{"编号": i, "内容": text} for i, text in enumerate(texts)])
    back = read_back(path)
    assert [row["内容"] for row in back] == [xlsx_text(t) for t in texts]
    assert [row["编号"] for row in back] == list(range(len(texts)))


def test_failing_row_source_is_never_committed(tmp_path):
    def rows():
        yield ROWS[0]
        raise ValueError("model crashed mid-batch")

    path = tmp_path / "out.csv"
    writer = open_writer(path, COLUMNS)
    with pytest.raises(ValueError):
        writer.write_rows(rows())
    with pytest.raises(OutputError):
        writer.commit()
    assert not path.exists() and leftovers(tmp_path) == []


def test_dropped_writer_removes_its_temporary_file(tmp_path):
    writer = open_writer(tmp_path / "out.csv", COLUMNS)
    assert leftovers(tmp_path)
    del writer
    gc.collect()
    assert leftovers(tmp_path) == []

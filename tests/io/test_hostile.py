"""Hostile input files: bounded time and memory, a clear message, nothing lost.

Each budget is relative to a benign file of the same size read in the same run, so a
slow machine does not make the tests flaky and a quadratic path cannot hide.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from nlp_pipeline.errors import InputError
from nlp_pipeline.io import readers
from nlp_pipeline.io.readers import header_names, open_table

MAX_COLUMNS = getattr(readers, "MAX_COLUMNS", 1000)  # also importable by older code (to compare)

NS = "http://schemas.openxmlformats.org"


def _workbook(path: Path, sheet_rows: str, shared=None, *, level=6) -> Path:
    """A minimal workbook written with zipfile, optionally with a shared-strings part."""
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        if shared is not None
        else ""
    )
    ct = (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{NS}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{override}</Types>'
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS}/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}/spreadsheetml/2006/'
        f'main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    shared_rel = (
        f'<Relationship Id="rId2" Type="{NS}/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/>'
        if shared is not None
        else ""
    )
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS}/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/'
        f'relationships/worksheet" Target="worksheets/sheet1.xml"/>{shared_rel}</Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", ct)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}/spreadsheetml/'
            f'2006/main"><sheetData>{sheet_rows}</sheetData></worksheet>',
        )
        if shared is not None:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                part.write(
                    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}/spreadsheetml/'
                    '2006/main">'.encode()
                )
                chunks = [shared] if isinstance(shared, bytes) else shared
                for chunk in chunks:
                    for start in range(0, len(chunk), 1 << 24):
                        part.write(chunk[start : start + (1 << 24)])
                part.write(b"</sst>")
    return path


SHEET = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'


def _classify_in_child(path: Path) -> tuple[float, int, str]:
    """Read the file in a child process: seconds, peak memory (MiB) and the outcome."""
    code = (
        "import sys\n"
        "from nlp_pipeline.io.readers import open_table\n"
        "from nlp_pipeline.errors import InputError\n"
        "try:\n"
        "    with open_table(sys.argv[1]) as t:\n"
        "        rows = list(t.rows())\n"
        "    print('ROWS', len(rows), [r.error for r in rows])\n"
        "except InputError as exc:\n"
        "    print('ERROR', exc)\n"
        # VmHWM belongs to this program's memory; ru_maxrss would count the parent's
        # memory from before exec.
        "import re\n"
        "status = open('/proc/self/status').read()\n"
        "print('PEAK', int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    out, _, peak = done.stdout.rpartition("PEAK ")
    return seconds, int(peak), out


def test_shared_strings_bomb_is_refused_in_seconds(tmp_path):
    # 20 million shared strings for a sheet of two cells: a few MB packed.
    shared = b"<si><t>a</t></si>" * 20_000_000
    path = _workbook(tmp_path / "bomb.xlsx", SHEET, shared, level=9)
    del shared
    assert path.stat().st_size < 5_000_000
    seconds, peak, out = _classify_in_child(path)
    assert out.startswith("ERROR") and ("共享字符串" in out or "MiB" in out), out
    assert seconds < 10, seconds
    assert peak < 500, peak


def test_one_gibibyte_string_is_refused_in_seconds(tmp_path):
    block = b"a" * (1 << 24)
    shared = [b"<si><t>", *([block] * 64), b"</t></si><si><t>b</t></si>"]
    path = _workbook(tmp_path / "huge.xlsx", SHEET, shared, level=1)
    seconds, peak, out = _classify_in_child(path)
    assert out.startswith("ERROR") and "MiB" in out, out
    assert seconds < 10, seconds
    assert peak < 500, peak


def test_a_cell_over_the_field_limit_is_an_error_row(tmp_path):
    big = b"\xe5\x81\xb7" * (readers.MAX_FIELD_CHARS + 10)  # "偷" repeated
    shared = b"<si><t>text</t></si><si><t>" + big + b"</t></si>"
    path = _workbook(tmp_path / "big.xlsx", SHEET, shared)
    with open_table(path) as table:
        rows = list(table.rows())
    assert len(rows) == 1 and "字段过长" in rows[0].error


def test_shared_strings_are_read_like_openpyxl(tmp_path):
    shared = (
        "<si><t>text</t></si><si><r><t>富</t></r><r><t>文本</t></r><rPh><t>ふりがな</t></rPh></si>"
    ).encode()
    path = _workbook(tmp_path / "rich.xlsx", SHEET, shared)
    with open_table(path) as table:
        assert table.columns == ["text"]
        assert [r.values["text"] for r in table.rows()] == ["富文本"]


def test_rows_padded_to_column_xfd_are_bounded(tmp_path):
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>text</t></is></c></row>'
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>第{r}条</t></is></c>'
        f'<c r="XFD{r}" t="inlineStr"><is><t> </t></is></c></row>'
        for r in range(2, 3002)
    )
    padded = _workbook(tmp_path / "xfd.xlsx", header + rows)
    plain = _workbook(tmp_path / "plain.xlsx", header + rows.replace("XFD", "B"))
    started = time.perf_counter()
    with open_table(plain) as table:
        assert len(list(table.rows())) == 3000
    base = time.perf_counter() - started
    started = time.perf_counter()
    with open_table(padded) as table:
        got = list(table.rows())
    assert len(got) == 3000 and not any(r.error for r in got)
    assert time.perf_counter() - started < 5 * base + 1


def test_wide_header_is_capped_with_a_note(tmp_path):
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 500))
    row = ",".join(["晚上有人偷电动车"] + ["x"] * (MAX_COLUMNS + 499))
    path = tmp_path / "wide.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    with open_table(path) as table:
        rows = list(table.rows())
    assert len(table.columns) == MAX_COLUMNS
    assert table.notes and "只保留前" in table.notes[0]
    assert len(rows) == 1 and not rows[0].error and rows[0].values["c0"] == "晚上有人偷电动车"


def test_jsonl_with_200000_keys_is_bounded(tmp_path):
    obj = {"text": "晚上有人偷电动车"} | {f"k{i}": i for i in range(200_000)}
    path = tmp_path / "keys.jsonl"
    path.write_text((json.dumps(obj) + "\n") * 3, encoding="utf-8")
    started = time.perf_counter()
    with open_table(path) as table:
        rows = list(table.rows())
    assert len(table.columns) == MAX_COLUMNS and table.notes
    assert len(rows) == 3 and rows[0].values["text"] == "晚上有人偷电动车"
    assert time.perf_counter() - started < 10


def _timed_header(cells: list[str]) -> float:
    started = time.perf_counter()
    header_names(cells)
    return time.perf_counter() - started


def test_duplicate_header_names_are_linear():
    n = 20_000
    benign = [f"列{i}" for i in range(n)]
    repeated = ["内容"] * n
    base = min(_timed_header(benign) for _ in range(3))
    assert header_names(["a", "a", "a_2", ""]) == ["a", "a_3", "a_2", "未命名列4"]
    assert min(_timed_header(repeated) for _ in range(3)) < 10 * base + 0.05


def test_duplicate_header_file_reads_as_fast_as_a_benign_one(tmp_path):
    n = 20_000
    dup = tmp_path / "dup.csv"
    dup.write_text(",".join(["内容"] * n) + "\n" + ",".join(["偷"] * n) + "\n", encoding="utf-8")
    benign = tmp_path / "benign.csv"
    benign.write_text(
        ",".join(f"内{i}" for i in range(n)) + "\n" + ",".join(["偷"] * n) + "\n",
        encoding="utf-8",
    )

    def timed(path: Path) -> float:
        started = time.perf_counter()
        with open_table(path) as table:
            list(table.rows())
        return time.perf_counter() - started

    base = min(timed(benign) for _ in range(2))
    assert min(timed(dup) for _ in range(2)) < 5 * base + 0.5


def test_lone_surrogates_in_jsonl_become_error_rows_or_escaped_names(tmp_path):
    path = tmp_path / "sur.jsonl"
    path.write_text(
        '{"text": "好", "meta": {"a": ["\\ud800"]}}\n'
        '{"text": "晚上有人偷电动车", "\\udc80key": 1}\n'
        '{"text": "交警辛苦了"}\n',
        encoding="utf-8",
    )
    with open_table(path) as table:
        rows = list(table.rows())
    assert "\\udc80key" in table.columns
    assert [bool(r.error) for r in rows] == [True, False, False]
    assert "代理字符" in rows[0].error


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_lone_surrogates_never_fail_a_classify_run(tmp_path, default_model, suffix):
    from nlp_pipeline.tasks.classify import classify_file

    path = tmp_path / "sur.jsonl"
    path.write_text(
        '{"text": "好", "meta": {"a": ["\\ud800"]}}\n{"text": "交警辛苦了", "\\udc80k": 1}\n',
        encoding="utf-8",
    )
    out = tmp_path / f"out{suffix}"
    summary = classify_file(path, out, jobs=1)
    assert summary.rows == 2 and summary.errors == 1
    assert out.is_file()


def test_xlsx_refusal_is_a_message_not_a_traceback(tmp_path):
    shared = b"<si><t>a</t></si>" * 2_000_000
    path = _workbook(tmp_path / "bomb.xlsx", SHEET, shared)
    with pytest.raises(InputError, match="共享字符串"):
        open_table(path)

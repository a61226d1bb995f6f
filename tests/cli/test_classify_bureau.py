"""`opinions classify` on files as bureaus make them, and outputs for people in Excel."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook

from nlp_pipeline.cli.main import cli
from nlp_pipeline.tasks.classify import ZH_HEADERS

DATA = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = json.loads((DATA / "bureau_expected.json").read_text("utf-8"))


def run(*args, input=None):
    result = CliRunner().invoke(cli, [*map(str, args)], input=input)
    return result


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_title_row_xlsx_is_classified_row_for_row(default_model, tmp_path):
    out = tmp_path / "out.csv"
    result = run("classify", DATA / "bureau_title_rows.xlsx", "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    spec = EXPECTED["bureau_title_rows.xlsx"]
    rows = read_csv(out)
    assert len(rows) == len(spec["rows"])
    assert [r["意见内容"] for r in rows] == [v["意见内容"] for _n, v in spec["rows"]]
    assert "表头在第 3 行" in result.output and "跳过上方 2 行标题" in result.output
    assert "表尾 2 行" in result.output and "填表人" in result.output and "合计" in result.output


def test_preamble_csv_is_classified_row_for_row(default_model, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("classify", DATA / "bureau_preamble.csv", "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    spec = EXPECTED["bureau_preamble.csv"]
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["回访内容"] for r in rows] == [v["回访内容"] for _n, v in spec["rows"]]
    assert "表头在第 4 行" in result.output and "表尾 2 行" in result.output


def test_header_row_option(default_model, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("说明,,\n编号,内容,乡镇\n1,晚上巡逻少,城关\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = run("classify", path, "-o", out, "--header-row", "1", "--text-column", "说明")
    assert result.exit_code == 0, result.output
    assert [r["说明"] for r in read_csv(out)] == ["编号", "1"]


def test_headers_zh_gives_chinese_columns_and_yes_no(default_model, tmp_path):
    out = tmp_path / "o.csv"
    result = run("classify", DATA / "bureau_preamble.csv", "-o", out, "--headers", "zh")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert list(rows[0])[-len(ZH_HEADERS) :] == list(ZH_HEADERS.values())
    assert "topic" not in rows[0] and "主题" in rows[0]
    assert {r["需人工复核"] for r in rows} <= {"是", "否"}
    assert {r["无实质意见"] for r in rows} <= {"是", "否"}
    assert (
        "machine-friendly" in run("classify", "--help").output
        or "scripts" in run("classify", "--help").output
    )


def test_headers_id_is_the_default(default_model, tmp_path):
    out = tmp_path / "o.csv"
    assert run("classify", DATA / "bureau_preamble.csv", "-o", out).exit_code == 0
    assert "topic" in read_csv(out)[0] and "主题" not in read_csv(out)[0]


def test_town_names_as_text_column_warn_before_classifying(default_model, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["乡镇", "意见内容"])
    towns = ["城关镇", "桃源镇", "青山乡", "河西乡", "白沙镇"]
    for i in range(62):
        ws.append([towns[i % 5], f"第{i}条：晚上小区里经常有人偷电动车，希望加强巡逻"])
    wb.save(tmp_path / "t.xlsx")
    out = tmp_path / "o.csv"
    result = run("classify", tmp_path / "t.xlsx", "-o", out, "--text-column", "乡镇")
    assert result.exit_code == 0
    assert "不像意见文本" in result.output and "--text-column" in result.output
    ok = run("classify", tmp_path / "t.xlsx", "-o", out)
    assert "不像意见文本" not in ok.output


def test_encoding_errors_rows_on_the_cli(default_model, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(
        "编号,内容\n1,路灯坏了\n".encode() + "2,噪音扰民\n".encode("gbk") + "3,感谢民警\n".encode()
    )
    out = tmp_path / "o.csv"
    refused = run("classify", path, "-o", out)
    assert refused.exit_code != 0 and "--encoding-errors=rows" in refused.output
    result = run("classify", path, "-o", out, "--encoding-errors", "rows")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert [bool(r["error"]) for r in rows] == [False, True, False]
    assert "1 行无法解码" in result.output
    again = run("classify", path, "-o", out, "--encoding", "utf-8")
    assert "请用 --encoding" not in again.output


def test_classify_and_report_agree_on_counts(default_model, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("编号,内容\n1,晚上巡逻少\n2,\n3,无\n4,交警辛苦了\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = run("classify", path, "-o", out, "-j", "1")
    assert result.exit_code == 0
    from nlp_pipeline.report.compute import compute_report

    report = compute_report(out).overall
    assert f"需复核 {report.needs_review} need review" in result.output
    assert f"出错 {report.errors} errors" in result.output
    assert f"无实质意见 {report.no_opinion} no opinion" in result.output

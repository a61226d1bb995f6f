"""The summary report: numbers recomputed independently, masking, formats, grouping, CLI."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import click
import pytest
from click.testing import CliRunner

from nlp_pipeline.errors import InputError, LabelError, OutputError
from nlp_pipeline.report.compute import compute_report, parse_bool, parse_confidence
from nlp_pipeline.report.render import (
    XLSX_SHEETS,
    render_html,
    render_markdown,
    write_report,
    write_xlsx,
)
from nlp_pipeline.tasks.classify import OUTPUT_FIELDS
from nlp_pipeline.taxonomy import STANCES, TOPICS

from ..conftest import CORPUS

PHONE = "13812345678"
ID_CARD = "110101199003071234"
SECRETS = (PHONE, ID_CARD, "110101", "1381234")
TEXTS = [
    "晚上小区里经常有人偷电动车，希望加强巡逻",
    f"派出所民警态度很好，办事利索，谢谢！联系电话 {PHONE}",
    "交警在学校门口疏导交通，辛苦了",
    f"我的身份证号 {ID_CARD} 办户口迁移跑了三趟还没办好，太慢了",
    "报案两个月了案子一点进展都没有，没人给个说法",
    "建议在菜市场路口增设红绿灯，早上太堵了",
    "村里的路灯坏了半年没人修",
    '=HYPERLINK("x") 建议延长户籍窗口的办证时间，上班族周末也能来办',
    "辅警执勤时抽烟玩手机，影响形象",
    "网吧里经常有未成年人通宵上网，建议加强检查",
]
TOPIC_CYCLE = ["public_order", "team_building", "traffic", "law_enforcement", "outside_remit"]
TOWNS = ["城关镇", "东坝乡", "西河镇"]
N_ROWS = 40


def make_rows() -> list[dict]:
    """Classified rows as `opinions classify` writes them; serving_economy never occurs."""
    rows = []
    for i in range(N_ROWS):
        text = TEXTS[i % len(TEXTS)]
        row = {"编号": f"A{i:03d}", "乡镇": TOWNS[(i // 2) % 3], "text": text}
        if i % 13 == 5:
            row.update(dict.fromkeys(OUTPUT_FIELDS, ""))
            row.update(needs_review=True, error="文本为空 (empty text)")
            if i % 2:
                row["text"] = f"打不开的行 {PHONE}"
        else:
            topic = TOPIC_CYCLE[(i * 7) % 5]
            # 西河镇 never gives a suggestion: a stance at zero inside a group.
            stance = list(STANCES)[i % 3]
            if row["乡镇"] == "西河镇" and stance == "suggestion":
                stance = "praise"
            row.update(
                topic=topic,
                topic_zh=TOPICS[topic],
                topic_confidence=round(0.35 + (i * 37 % 64) / 100, 4),
                stance=stance,
                stance_zh=STANCES[stance],
                stance_confidence=round(0.5 + (i * 11 % 50) / 100, 4),
                needs_review=i % 4 == 0,
                no_opinion=False,
                error="",
            )
        rows.append(row)
    return rows


COLUMNS = ["编号", "乡镇", "text", *OUTPUT_FIELDS]
_BOOL_SPELLINGS = [("True", "False"), ("是", "否"), ("TRUE", "FALSE"), ("true", "false")]


def write_classified(path, rows) -> int:
    """Write rows in the format of the path's extension; return the number of the first row."""
    suffix = path.suffix
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for i, row in enumerate(rows):
                yes, no = _BOOL_SPELLINGS[i % len(_BOOL_SPELLINGS)]
                values = {**row, "needs_review": yes if row["needs_review"] else no}
                writer.writerow([str(values[c]) for c in COLUMNS])
        return 2
    if suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append([None if row[c] == "" else row[c] for c in COLUMNS])
        workbook.save(path)
        return 2
    if suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return 1
    raise AssertionError(suffix)


@pytest.fixture(params=[".csv", ".xlsx", ".jsonl", "writer.xlsx"])
def classified(request, tmp_path):
    """(path, rows, number of the first data row) for each format classify can write."""
    rows = make_rows()
    if request.param == "writer.xlsx":  # written by the project's own writer, like classify
        from nlp_pipeline.io.writers import open_writer

        path = tmp_path / "分类结果_writer.xlsx"
        with open_writer(path, COLUMNS) as writer:
            writer.write_rows(rows)
        return path, rows, 2
    path = tmp_path / f"分类结果{request.param}"
    return path, rows, write_classified(path, rows)


def expected_counts(rows):
    ok = [r for r in rows if not r["error"]]
    return {
        "total": len(rows),
        "errors": len(rows) - len(ok),
        "classified": len(ok),
        "review": sum(1 for r in ok if r["needs_review"]),
        "topics": Counter(r["topic"] for r in ok),
        "stances": Counter(r["stance"] for r in ok),
        "cells": Counter((r["topic"], r["stance"]) for r in ok),
        "review_by_topic": Counter(r["topic"] for r in ok if r["needs_review"]),
    }


def check_section(section, rows):
    want = expected_counts(rows)
    assert section.total == want["total"]
    assert section.errors == want["errors"]
    assert section.classified == want["classified"]
    assert section.needs_review == want["review"]
    assert list(section.topics) == list(TOPICS)
    assert list(section.stances) == list(STANCES)
    assert section.topics == {t: want["topics"][t] for t in TOPICS}
    assert section.stances == {s: want["stances"][s] for s in STANCES}
    assert section.review_by_topic == {t: want["review_by_topic"][t] for t in TOPICS}
    ct = section.crosstab
    assert list(ct.counts) == list(TOPICS)
    for t in TOPICS:
        assert list(ct.counts[t]) == list(STANCES)
        for s in STANCES:
            assert ct.counts[t][s] == want["cells"][(t, s)]
        assert ct.row_totals[t] == want["topics"][t]
    assert ct.column_totals == {s: want["stances"][s] for s in STANCES}
    assert ct.total == want["classified"]
    if want["classified"]:
        assert sum(section.topic_shares.values()) == pytest.approx(1.0)
        assert section.topic_shares["traffic"] == pytest.approx(
            want["topics"]["traffic"] / want["classified"]
        )
    for head in ("topic", "stance"):
        hist = section.confidence[head]
        assert len(hist.counts) == len(hist.edges) - 1
        assert sum(hist.counts) + hist.missing == want["classified"]
    assert list(section.terms) == list(TOPICS) and list(section.examples) == list(TOPICS)


# ---------------------------------------------------------------------------------------
# Numbers


def test_report_numbers_equal_independent_counts(classified):
    path, rows, first = classified
    report = compute_report(path, examples=3)
    check_section(report.overall, rows)
    assert report.text_column == "text"
    assert report.groups == {} and report.by is None
    # serving_economy never occurs: still there, at zero, everywhere.
    o = report.overall
    assert o.topics["serving_economy"] == 0 and o.topic_shares["serving_economy"] == 0.0
    assert o.crosstab.counts["serving_economy"] == dict.fromkeys(STANCES, 0)
    assert o.terms["serving_economy"] == [] and o.examples["serving_economy"] == []
    # The review list: every flagged classified row, in file order, with its row number.
    flagged = [i + first for i, r in enumerate(rows) if not r["error"] and r["needs_review"]]
    assert [c.number for c in o.review] == flagged
    assert [c.number for c in o.error_rows] == [i + first for i, r in enumerate(rows) if r["error"]]
    for c in o.review:
        row = rows[c.number - first]
        assert (c.topic, c.stance) == (row["topic"], row["stance"])
        assert c.topic_confidence == pytest.approx(row["topic_confidence"])


def test_examples_are_confident_distinct_and_not_for_review(classified):
    path, rows, _ = classified
    report = compute_report(path, examples=3)
    for topic, comments in report.overall.examples.items():
        assert len(comments) <= 3
        assert len({c.text for c in comments}) == len(comments)
        assert all(c.topic == topic and not c.needs_review and not c.error for c in comments)
        confidences = [c.topic_confidence for c in comments]
        assert confidences == sorted(confidences, reverse=True)
    assert any(report.overall.examples[t] for t in TOPICS)


def test_characteristic_terms_come_from_their_topic():
    texts = {
        "traffic": ["交警在路口指挥交通很辛苦", "路口红绿灯坏了交警也不管", "交警查酒驾很认真"],
        "public_order": ["晚上小区没有巡逻经常被偷", "建议派出所加强夜间巡逻", "巡逻的民警很负责"],
        "outside_remit": ["村里路灯坏了没人修", "希望早点修好路灯", "路灯修好了谢谢"],
    }
    rows = [
        {"text": text, "topic": topic, "stance": "praise", "topic_confidence": 0.9,
         "stance_confidence": 0.9, "needs_review": False, "error": ""}
        for topic, items in texts.items()
        for text in items
    ]  # fmt: skip
    report = compute_report(rows, top_terms=5)
    terms = report.overall.terms
    for items in terms.values():
        assert len(items) <= 5
        scores = [t.score for t in items]
        assert scores == sorted(scores, reverse=True)
        assert all(t.count >= 2 and t.score > 0 for t in items)
    assert terms["traffic"][0].term == "交警" and terms["traffic"][0].count == 3
    assert terms["public_order"][0].term == "巡逻"
    assert terms["outside_remit"][0].term == "路灯"
    assert terms["team_building"] == []


def test_group_by_column(classified):
    path, rows, _ = classified
    report = compute_report(path, by="乡镇")
    assert report.by == "乡镇"
    assert list(report.groups) == TOWNS  # order of first appearance
    check_section(report.overall, rows)
    for town, section in report.groups.items():
        assert section.name == town
        check_section(section, [r for r in rows if r["乡镇"] == town])
    assert sum(s.total for s in report.groups.values()) == report.total
    xihe = report.groups["西河镇"]
    assert xihe.stances["suggestion"] == 0 and list(xihe.stances) == list(STANCES)
    md = render_markdown(report, "分组报告")
    for i, town in enumerate(TOWNS):
        assert f"### （{'一二三'[i]}）{town}" in md
    html = render_html(report, "分组报告")
    assert all(town in html for town in TOWNS)


def test_rows_from_classify_texts_shape():
    rows = [{"text": r["text"], **{k: r[k] for k in OUTPUT_FIELDS}} for r in make_rows()]
    report = compute_report(rows)
    check_section(report.overall, make_rows())
    assert report.overall.review[0].number == 1  # rows are numbered from 1


# ---------------------------------------------------------------------------------------
# Renderers


EXTERNAL = ("http://", "https://", "//cdn", "<script src", "<link", "@import", "url(")


def test_html_is_self_contained_and_has_the_crosstab(classified):
    path, rows, _ = classified
    report = compute_report(path)
    html = render_html(report, "测试<报告>")
    lowered = html.lower()
    for marker in EXTERNAL:
        assert marker not in lowered, marker
    assert "<script" not in lowered
    assert "<title>测试&lt;报告&gt;</title>" in html
    assert "<svg" in html and "font-family" in html
    assert html.count("<svg") == 2  # the chief's page has no confidence histogram
    assert "置信度分布" not in html and "置信度区间" not in html
    ct = report.overall.crosstab
    for t, zh in TOPICS.items():
        cells = "".join(f'<td class="num">{ct.counts[t][s]}</td>' for s in STANCES)
        assert f'<td class="name">{zh}</td>{cells}<td class="num">{ct.row_totals[t]}</td>' in html
    totals = "".join(f'<td class="num">{ct.column_totals[s]}</td>' for s in STANCES)
    assert f'<td class="name">合计</td>{totals}<td class="num">{ct.total}</td>' in html
    assert f"共 {len(rows)} 条意见" in html
    assert "@media print" in html and "SimSun" in html and "SimHei" in html


def test_text_is_escaped_in_html(tmp_path):
    rows = make_rows()
    rows[1]["text"] = "<script>alert(1)</script> 民警态度很好 & 办事快"
    rows[1]["needs_review"] = True
    path = tmp_path / "c.jsonl"
    write_classified(path, rows)
    html = render_html(compute_report(path))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def xlsx_cells(path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def test_personal_data_never_reaches_any_output(classified, tmp_path):
    path, _, _ = classified
    report = compute_report(path, by="乡镇")
    html, md = render_html(report, "t"), render_markdown(report, "t")
    out = tmp_path / "report.xlsx"
    write_xlsx(report, out)
    cells = "\n".join(
        str(v) for rows in xlsx_cells(out).values() for row in rows for v in row if v is not None
    )
    for name, text in (("html", html), ("md", md), ("xlsx", cells)):
        for secret in SECRETS:
            assert secret not in text, (name, secret)
        assert "〈电话〉" in text or "〈身份证号〉" in text, name
    assert "〈身份证号〉" in md and "〈电话〉" in md


def test_markdown_carries_the_report_numbers(classified):
    path, _, _ = classified
    report = compute_report(path)
    md = render_markdown(report, "标题")
    o = report.overall
    assert md.startswith("# 标题\n")
    ct = o.crosstab
    for t, zh in TOPICS.items():
        cells = " | ".join(str(ct.counts[t][s]) for s in STANCES)
        assert f"| {zh} | {cells} | {ct.row_totals[t]} |" in md
        share = f"{o.topic_shares[t] * 100:.1f}%"
        assert f"| {zh} | {o.topics[t]} | {share} | {o.review_by_topic[t]} |" in md
    for s, zh in STANCES.items():
        assert f"| {zh} | {o.stances[s]} | {o.stance_shares[s] * 100:.1f}% |" in md
    assert f"待人工复核的意见（{o.needs_review} 条）" in md
    review_part = md.split("待人工复核的意见")[1].split("\n## ")[0]
    review_lines = [line for line in review_part.splitlines() if re.match(r"\| \d+ \| ", line)]
    assert len(review_lines) == o.needs_review
    assert "<svg" not in md


def test_xlsx_carries_the_report_numbers(classified, tmp_path):
    path, _, _ = classified
    report = compute_report(path)
    out = tmp_path / "汇总.xlsx"
    assert write_report(report, out, "标题") == "xlsx"
    sheets = xlsx_cells(out)
    assert tuple(sheets) == XLSX_SHEETS
    o = report.overall
    summary = {(r[1], r[3]): r[4] for r in sheets["汇总"][1:]}
    assert summary[("合计", "total")] == o.total
    assert summary[("合计", "needs_review")] == o.needs_review
    assert summary[("合计", "errors")] == o.errors
    for t in TOPICS:
        assert summary[("主题", t)] == o.topics[t]
        assert isinstance(summary[("主题", t)], int)
    crosstab = {r[1]: r[2:] for r in sheets["交叉表"][1:] if r[0] == "全部"}
    for t, zh in TOPICS.items():
        assert crosstab[zh] == (*(o.crosstab.counts[t][s] for s in STANCES), o.topics[t])
    assert crosstab["合计"][-1] == o.classified
    review = sheets["待复核"]
    assert review[0][0] == "行号"
    assert [r[0] for r in review[1:]] == [c.number for c in o.review]
    assert all(isinstance(r[3], float) for r in review[1:])  # confidences as numbers
    assert len(sheets["出错行"]) - 1 == o.errors
    examples = sheets["示例"][1:]
    assert len(examples) == sum(len(v) for v in o.examples.values())
    terms = sheets["特征词"][1:]
    assert len(terms) == sum(len(v) for v in o.terms.values())


def test_xlsx_text_cells_are_neutralised(tmp_path):
    from openpyxl import load_workbook

    rows = make_rows()
    for r in rows:
        r["needs_review"] = not r["error"]  # every formula-looking text lands in 待复核
    src = tmp_path / "c.jsonl"
    write_classified(src, rows)
    out = tmp_path / "r.xlsx"
    write_xlsx(compute_report(src, by="乡镇"), out)
    workbook = load_workbook(out)
    seen = False
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@"))
                    seen = seen or cell.value.startswith("'=HYPERLINK")
    assert seen


def test_write_report_formats_and_atomicity(tmp_path):
    src = tmp_path / "c.xlsx"
    write_classified(src, make_rows())
    report = compute_report(src)
    assert write_report(report, tmp_path / "r.html", "T") == "html"
    assert write_report(report, tmp_path / "r.HTM", "T") == "html"
    assert write_report(report, tmp_path / "r.md", "T") == "md"
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# T")
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    with pytest.raises(OutputError, match="不支持的报告格式"):
        write_report(report, tmp_path / "r.pdf", "T")
    with pytest.raises(OutputError, match="文件夹不存在"):
        write_report(report, tmp_path / "missing" / "r.md", "T")
    with pytest.raises(OutputError, match="覆盖"):
        write_report(report, tmp_path / "sub" / ".." / "c.xlsx", "T")
    assert compute_report(src).total == report.total  # the input is untouched


# ---------------------------------------------------------------------------------------
# Bad inputs


def test_empty_classified_file_is_a_clear_error(tmp_path):
    path = tmp_path / "空结果.csv"
    path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8-sig")
    with pytest.raises(InputError, match="没有数据行") as info:
        compute_report(path)
    assert "空结果.csv" in str(info.value) and "no rows" in str(info.value)
    zero = tmp_path / "零字节.jsonl"
    zero.write_bytes(b"")
    with pytest.raises(InputError, match="no rows"):
        compute_report(zero)
    with pytest.raises(InputError, match="no rows"):
        compute_report([])


def test_missing_label_columns_say_which_and_how(tmp_path):
    path = tmp_path / "原始意见.csv"
    path.write_text("编号,text,stance\n1,民警态度很好,praise\n", encoding="utf-8-sig")
    with pytest.raises(InputError) as info:
        compute_report(path)
    message = str(info.value)
    assert "topic" in message and "missing columns" in message
    assert "stance" not in message.split("missing columns")[1].split(")")[0]
    assert "opinions classify" in message and "原始意见.csv" in message


def test_unknown_group_and_text_columns(tmp_path):
    path = tmp_path / "c.jsonl"
    write_classified(path, make_rows())
    with pytest.raises(InputError, match="派出所"):
        compute_report(path, by="派出所")
    with pytest.raises(InputError, match="正文"):
        compute_report(path, text_column="正文")


def test_bad_label_names_the_row(tmp_path):
    rows = make_rows()
    rows[2]["topic"] = "trafic"
    path = tmp_path / "c.jsonl"
    write_classified(path, rows)
    with pytest.raises(LabelError, match=r"第 3 行.*trafic"):
        compute_report(path)


def test_chinese_label_names_are_accepted(tmp_path):
    rows = make_rows()
    for r in rows:
        if not r["error"]:
            r["topic"], r["stance"] = r["topic_zh"], r["stance_zh"] + "性意见"
    path = tmp_path / "c.jsonl"
    write_classified(path, rows)
    check_section(compute_report(path).overall, make_rows())


@pytest.mark.parametrize(
    "value, expected",
    [
        (True, True), (False, False), ("True", True), ("False", False), ("TRUE", True),
        ("true", True), ("false", False), ("是", True), ("否", False), (1, True), (0, False),
        ("", False), (None, False), (" 是 ", True),
    ],
)  # fmt: skip
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [("0.93", 0.93), (0.5, 0.5), ("1", 1.0), ("93%", 0.93), ("", None), (None, None), (1, 1.0)],
)
def test_parse_confidence(value, expected):
    assert (
        parse_confidence(value) == pytest.approx(expected)
        if expected
        else (parse_confidence(value) is None)
    )


@pytest.mark.parametrize("bad", ["高", "1.5", True])
def test_bad_confidence_is_an_input_error(bad):
    with pytest.raises(InputError):
        parse_confidence(bad, "f 第 2 行: ")


def test_bad_needs_review_is_an_input_error():
    with pytest.raises(InputError, match="needs_review"):
        parse_bool("也许", "f 第 2 行: ")


# ---------------------------------------------------------------------------------------
# CLI (a local group: registration in cli.py is done there)


@pytest.fixture
def opinions():
    from nlp_pipeline.cli.report import report

    @click.group()
    def group() -> None:
        """Test group."""

    group.add_command(report)
    return group


def test_cli_markdown_to_stdout(opinions, tmp_path):
    src = tmp_path / "分类结果.xlsx"
    rows = make_rows()
    write_classified(src, rows)
    result = CliRunner().invoke(opinions, ["report", str(src)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# 群众意见分类汇总（分类结果）")
    assert f"共 {len(rows)} 条意见" in result.output
    assert PHONE not in result.output and ID_CARD not in result.output


@pytest.mark.parametrize("name", ["r.html", "r.md", "r.xlsx"])
def test_cli_writes_the_output_file(opinions, tmp_path, name):
    src = tmp_path / "c.csv"
    write_classified(src, make_rows())
    out = tmp_path / name
    args = ["report", str(src), "-o", str(out), "--title", "城关派出所汇总", "--by", "乡镇"]
    result = CliRunner().invoke(opinions, args)
    assert result.exit_code == 0, result.output
    assert out.is_file() and "report saved" in result.output
    if name != "r.xlsx":
        text = out.read_text(encoding="utf-8")
        assert "城关派出所汇总" in text and "东坝乡" in text


def test_cli_text_column(opinions, tmp_path):
    src = tmp_path / "c.jsonl"
    rows = [{("意见内容" if k == "text" else k): v for k, v in r.items()} for r in make_rows()]
    rows[0]["备注"] = "内容"
    with open(src, "w", encoding="utf-8") as handle:
        for r in rows:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
    result = CliRunner().invoke(opinions, ["report", str(src), "--text-column", "意见内容"])
    assert result.exit_code == 0, result.output


def test_cli_empty_file_is_a_message_not_a_crash(opinions, tmp_path):
    src = tmp_path / "空.csv"
    src.write_text(",".join(COLUMNS) + "\n", encoding="utf-8-sig")
    result = CliRunner().invoke(opinions, ["report", str(src)])
    assert result.exit_code == 1
    assert "没有数据行" in result.output and "空.csv" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "r.pdf"], "不支持的报告格式"),
        (["--by", "派出所"], "派出所"),
    ],
)
def test_cli_errors(opinions, tmp_path, monkeypatch, args, message):
    src = tmp_path / "c.jsonl"
    write_classified(src, make_rows())
    monkeypatch.chdir(tmp_path)  # -o r.pdf is relative (isolated_filesystem is deprecated)
    result = CliRunner().invoke(opinions, ["report", str(src), *args])
    assert result.exit_code == 1
    assert message in result.output


def test_cli_missing_columns(opinions, tmp_path):
    src = tmp_path / "raw.csv"
    src.write_text("text\n民警态度很好\n", encoding="utf-8-sig")
    result = CliRunner().invoke(opinions, ["report", str(src)])
    assert result.exit_code == 1
    assert "topic" in result.output and "opinions classify" in result.output


def test_command_registers_on_the_real_cli():
    """cli/main.py registers cli/report.py's command at its bottom (see tests/cli/test_commands.py)."""
    from nlp_pipeline.cli.main import cli
    from nlp_pipeline.cli.report import report

    assert cli.commands["report"] is report
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0 and "opinions report" in result.output


# ---------------------------------------------------------------------------------------
# End to end with a real model


@pytest.mark.skipif(not (CORPUS / "train.jsonl").is_file(), reason="corpora/train.jsonl missing")
def test_report_of_a_real_classify_output(small_model, tmp_path):
    from nlp_pipeline.tasks.classify import classify_file

    src = tmp_path / "意见.csv"
    with open(src, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["乡镇", "意见内容"])
        for i, text in enumerate(TEXTS):
            writer.writerow([TOWNS[i % 3], text])
        writer.writerow(["城关镇", ""])
    out = tmp_path / "分类结果.csv"
    classify_file(src, out, model=small_model, jobs=1)
    report = compute_report(out, by="乡镇")
    assert report.total == len(TEXTS) + 1
    assert report.overall.errors == 1 and report.overall.classified == len(TEXTS)
    assert report.text_column == "意见内容"
    html = render_html(report, "t")
    assert PHONE not in html and ID_CARD not in html


def test_no_opinion_answers_have_their_own_line_and_no_table(tmp_path):
    """无/同上 rows count on their own line, in no topic or stance table (issue 12)."""
    rows = make_rows()
    for text in ("无", "同上"):
        row = {"编号": "N", "乡镇": "城关镇", "text": text, **dict.fromkeys(OUTPUT_FIELDS, "")}
        row.update(needs_review=False, no_opinion=True)
        rows.append(row)
    path = tmp_path / "c.csv"
    write_classified(path, rows)
    report = compute_report(path)
    o = report.overall
    assert o.no_opinion == 2
    assert o.total == len(rows)
    assert o.classified + o.errors + o.no_opinion == o.total
    assert sum(o.topics.values()) == o.classified == sum(o.stances.values())
    from nlp_pipeline.report.render import headline

    assert "无实质意见" in headline(o) and "2 条" in headline(o)


def test_no_opinion_is_recognised_without_the_column(tmp_path):
    """A file without the no_opinion column: unlabelled 无 rows are no-opinion, not errors."""
    path = tmp_path / "c.csv"
    path.write_text(
        "text,topic,stance\n无,,\n暂无意见,,\n路灯坏了,outside_remit,criticism\n", encoding="utf-8"
    )
    o = compute_report(path).overall
    assert (o.no_opinion, o.classified, o.errors) == (2, 1, 0)

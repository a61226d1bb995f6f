"""Everything a report prints passes through masking: texts, --by values, errors, titles.

Property: a number of any family, with random separators, placed in the comment, the
group column and the error column, never reaches the Markdown, HTML or XLSX report; nor
does any explanation of ``triage`` show a piece of it.
"""

from __future__ import annotations

import re

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_pipeline.report.compute import compute_report
from nlp_pipeline.report.render import render_html, render_markdown, write_xlsx

from ..text.test_masking import FAMILIES, placed

NUMBER_FAMILIES = ("phone", "landline", "id_card", "bank_card", "qq", "plate")
any_number = st.sampled_from(NUMBER_FAMILIES).flatmap(lambda name: placed(FAMILIES[name]))


def _rows(text: str, secret_text: str) -> list[dict]:
    base = {"topic_confidence": 0.9, "stance_confidence": 0.9, "needs_review": True}
    return [
        {"text": text, "镇": f"镇{secret_text}", "topic": "traffic", "stance": "criticism",
         "error": "", **base},
        {"text": "晚上小区里经常有人偷电动车，希望加强巡逻", "镇": "城关镇", "topic": "public_order",
         "stance": "suggestion", "error": "", **base},
        {"text": text, "镇": "城关镇", "topic": "", "stance": "",
         "error": f"第 3 行: 无法读取 {secret_text}", **base},
    ]  # fmt: skip


def _digit_runs(text: str) -> list[str]:
    # Charts and styles hold coordinates, the meta line the time of day: not data.
    text = re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", text, flags=re.S)
    text = re.sub(r"生成时间：[0-9: -]+", "", text)
    return re.findall(r"[0-9]+", text)


def _assert_no_piece(secret: str, output: str) -> None:
    for run in _digit_runs(output):
        assert not (len(run) >= 5 and run in secret), (run, secret)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_number)
def test_no_number_reaches_markdown_or_xlsx(tmp_path_factory, item):
    text, secret = item
    shown = text.replace("\n", " ")
    report = compute_report(_rows(text, shown), by="镇")
    _assert_no_piece(secret, render_markdown(report, title=f"汇总{shown}"))
    _assert_no_piece(secret, str(report.to_dict()))
    path = tmp_path_factory.mktemp("xlsx") / "r.xlsx"
    write_xlsx(report, path, title=f"汇总{shown}")
    book = openpyxl.load_workbook(path, read_only=True)
    cells = " ".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )
    _assert_no_piece(secret, cells + " " + (book.properties.title or ""))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_number)
def test_no_number_reaches_html(item):
    text, secret = item
    shown = text.replace("\n", " ")
    report = compute_report(_rows(text, shown), by="镇")
    _assert_no_piece(secret, render_html(report, title=f"汇总{shown}"))


def test_the_by_value_and_error_of_the_issue_are_masked():
    report = compute_report(_rows("电话 0514 88123456", "13900001111"), by="镇")
    md = render_markdown(report)
    assert "13900001111" not in md and "88123456" not in md
    assert "镇〈电话〉" in md


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_number)
def test_explanations_show_no_piece_of_a_number(small_model, item):
    text, secret = item
    pred = _predictor(small_model).predict_one("晚上小区里经常有人偷电动车，希望加强巡逻" + text)
    words = " ".join(e["term"] for head in pred.explanation.values() for e in head)
    assert not re.search(r"[0-9]{3}", words), (text, words)


_PREDICTORS: dict = {}


def _predictor(path):
    from nlp_pipeline.model.predictor import Predictor

    if path not in _PREDICTORS:
        _PREDICTORS[path] = Predictor(path)
    return _PREDICTORS[path]


def test_markdown_escapes_control_characters_in_by_values_and_title():
    rows = _rows("晚上小区里经常有人偷电动车", "甲")
    rows[0]["镇"] = "城关\r## 注入的标题\x0b| 列 |"
    report = compute_report(rows, by="镇")
    md = render_markdown(report, title="汇总\r# 假标题\u2028第二行")
    for line in md.splitlines():
        assert "\r" not in line and "\x0b" not in line and "\u2028" not in line
        assert not line.startswith(("## 注入", "# 假标题"))
    assert md.count("\n# ") == 0 and md.startswith("# 汇总")

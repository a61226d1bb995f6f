"""The report a chief reads: headline, corrections, capped lists, short quotes, print."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from nlp_pipeline.report.compute import compute_report
from nlp_pipeline.report.render import (
    MAX_HTML_REVIEW,
    first_sentences,
    render_html,
    write_report,
)
from nlp_pipeline.taxonomy import STANCES, TOPICS


def row(i, topic="public_order", stance="suggestion", review=False, **extra):
    return {
        "编号": i,
        "乡镇": ["城关镇", "桃源镇"][i % 2],
        "日期": f"2026-0{7 + i % 3}-{1 + i % 28:02d}",
        "text": f"第{i}条：晚上小区里经常有人偷电动车，希望加强巡逻。",
        "topic": topic,
        "topic_zh": TOPICS[topic],
        "topic_confidence": 0.9,
        "stance": stance,
        "stance_zh": STANCES[stance],
        "stance_confidence": 0.8,
        "needs_review": review,
        "no_opinion": False,
        "error": "",
        **extra,
    }


def write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_corrected_chinese_column_is_followed_and_the_disagreement_listed(tmp_path):
    rows = [row(i) for i in range(6)]
    rows[2]["topic_zh"] = "交通管理"  # the reviewer corrected the readable column
    rows[3]["stance"] = "criticism"  # another corrected the id column only
    report = compute_report(write(tmp_path / "c.jsonl", rows))
    o = report.overall
    assert o.topics["traffic"] == 1 and o.topics["public_order"] == 5
    assert [(d.number, d.head) for d in report.disagreements] == [(3, "topic"), (4, "stance")]
    assert report.disagreements[0].values == {"topic_zh": "交通管理", "topic": "public_order"}
    html = render_html(report)
    assert "两列不一致的行（2 条）" in html


def test_chinese_headers_file_is_reported(tmp_path):
    zh = [
        {
            "意见内容": f"第{i}条：路口红绿灯坏了，希望尽快修好",
            "主题": "交通管理",
            "主题置信度": "93%",
            "立场": "建议",
            "立场置信度": "80%",
            "需人工复核": "是" if i == 0 else "否",
            "无实质意见": "否",
            "错误说明": "",
        }
        for i in range(3)
    ]
    report = compute_report(write(tmp_path / "zh.jsonl", zh))
    assert report.overall.topics["traffic"] == 3 and report.overall.needs_review == 1


def test_headline_has_date_range_model_version_and_thousands(tmp_path):
    rows = [row(i) for i in range(1200)]
    report = compute_report(write(tmp_path / "c.jsonl", rows))
    assert (report.date_from, report.date_to) == (dt.date(2026, 7, 1), dt.date(2026, 9, 28))
    html = render_html(report)
    assert "2026年7月1日至9月28日" in html
    assert "共 1,200 条意见" in html
    assert "模型版本" in html


def test_review_list_is_capped_in_html_and_full_in_xlsx(tmp_path):
    from openpyxl import load_workbook

    rows = [row(i, review=True) for i in range(MAX_HTML_REVIEW + 50)]
    report = compute_report(write(tmp_path / "c.jsonl", rows))
    html = render_html(report)
    assert html.count("<tr>") < MAX_HTML_REVIEW + 60
    assert f"共 {MAX_HTML_REVIEW + 50} 条" in html and "XLSX" in html
    write_report(report, tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["待复核"]
    assert sheet.max_row == MAX_HTML_REVIEW + 50 + 1


def test_long_letters_are_trimmed_to_their_first_sentences():
    letter = (
        "尊敬的领导：您好！我是城关镇居民。" + "小区门口晚上经常有人聚集喝酒，" * 10 + "望解决。"
    )
    short = first_sentences(letter)
    assert short.endswith("…") and len(short) <= 91
    assert short.startswith("尊敬的领导：您好！")  # full-width punctuation as written
    assert first_sentences("很好，谢谢！") == "很好，谢谢！"


def test_quotes_keep_full_width_punctuation(tmp_path):
    rows = [row(i) for i in range(4)]
    report = compute_report(write(tmp_path / "c.jsonl", rows))
    shown = [c.text for c in report.overall.examples["public_order"]]
    assert shown and all("，" in t and "：" in t for t in shown)


def test_stance_by_unit_and_integer_axes(tmp_path):
    rows = [row(i, stance=["praise", "criticism"][i % 2]) for i in range(6)]
    report = compute_report(write(tmp_path / "c.jsonl", rows), by="乡镇")
    html = render_html(report)
    assert "各乡镇的立场分布" in html
    assert ">0.5<" not in html and ">1.5<" not in html  # no half comments on an axis


def test_print_stylesheet_is_a4_and_keeps_headers_with_rows(tmp_path):
    report = compute_report(write(tmp_path / "c.jsonl", [row(i) for i in range(3)]))
    html = render_html(report)
    assert "size: A4" in html and "display: table-header-group" in html
    assert "break-before: avoid" in html


def test_pdf_output_says_how_to_print(tmp_path):
    from nlp_pipeline.cli.report import report as report_cmd

    src = write(tmp_path / "c.jsonl", [row(i) for i in range(3)])
    result = CliRunner().invoke(report_cmd, [str(src), "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code != 0 and "另存为 PDF" in result.output


@pytest.mark.parametrize("headers", ["id", "zh"])
def test_classified_xlsx_records_the_model_version(default_model, tmp_path, headers):
    from nlp_pipeline.cli.main import cli

    src = tmp_path / "in.csv"
    src.write_text("内容\n晚上巡逻少\n交警辛苦了\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["classify", str(src), "-o", str(out), "--headers", headers])
    assert result.exit_code == 0, result.output
    assert compute_report(out).model_version == "small"


def test_characteristic_words_skip_generic_words_and_show_phrases():
    generic = "因为很多人说一家两个"
    texts = {
        "public_order": [f"{generic}，晚上小区里电动车被盗，希望加强巡逻" for _ in range(5)],
        "traffic": [f"{generic}，路口红绿灯坏了，交警来疏导交通" for _ in range(5)],
    }
    rows = [
        {"text": t, "topic": topic, "stance": "suggestion", "topic_confidence": 0.9}
        | {"stance_confidence": 0.9, "needs_review": False, "error": ""}
        for topic, items in texts.items()
        for t in items
    ]
    shown = {
        topic: [t.term for t in terms]
        for topic, terms in compute_report(rows, top_terms=8).overall.terms.items()
    }
    for words in shown.values():
        assert not {"因为", "很多", "一家", "两个"} & set(words)
    assert any(len(w) >= 4 for w in shown["public_order"])  # a phrase as people wrote it
    assert not any(a != b and a in b for a in shown["traffic"] for b in shown["traffic"])


def test_report_cli_warns_about_disagreeing_columns(tmp_path):
    from nlp_pipeline.cli.report import report as report_cmd

    rows = [row(i) for i in range(3)]
    rows[1]["topic_zh"] = "交通管理"
    src = write(tmp_path / "c.jsonl", rows)
    result = CliRunner().invoke(report_cmd, [str(src), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0
    assert "1 行的 id 列与中文列不一致（第 2 行）" in result.output  # JSONL line 2


def test_text_without_personal_data_keeps_full_width_punctuation_in_html(tmp_path):
    rows = [row(i) for i in range(3)]
    rows[0]["needs_review"] = True
    rows[0]["text"] = "2026年7月：路灯（3盏）坏了，希望修好。"
    html = render_html(compute_report(write(tmp_path / "c.jsonl", rows)))
    assert "2026年7月：路灯（3盏）坏了，希望修好。" in html


def test_words_found_in_worker_processes_give_the_same_report(tmp_path, monkeypatch):
    from nlp_pipeline.report import compute

    monkeypatch.setattr(compute, "TERM_CHUNK", 50)
    rows = [row(i, topic=["public_order", "traffic"][i % 2]) for i in range(240)]
    for r in rows[1::2]:
        r["text"] = f"第{r['编号']}条：路口红绿灯坏了，交警来疏导交通"
    src = write(tmp_path / "c.jsonl", rows)
    one = compute_report(src, jobs=1).to_dict()
    two = compute_report(src, jobs=2).to_dict()
    assert one == two and one["overall"]["terms"]["traffic"]


def test_headline_always_says_how_many_gave_no_opinion(tmp_path):
    html = render_html(compute_report(write(tmp_path / "c.jsonl", [row(i) for i in range(3)])))
    assert "无实质意见（无、无意见、同上等）0 条" in html


def test_many_groups_share_the_review_budget(tmp_path):
    rows = [row(i, review=True) | {"乡镇": f"第{i % 40}镇"} for i in range(4000)]
    html = render_html(compute_report(write(tmp_path / "c.jsonl", rows), by="乡镇"))
    assert len(html.encode()) < 2_000_000
    assert html.count("<tr>") < 40 * 30 + MAX_HTML_REVIEW  # 4,000 review rows: 10 a town

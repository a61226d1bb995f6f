"""Reviewers' corrections in a classified file, read for `opinions train --add`."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from nlp_pipeline.cli.main import cli
from nlp_pipeline.data.labelled import read_labelled

COLUMNS = ["编号", "内容", "topic", "topic_zh", "topic_confidence", "stance", "stance_zh"]
COLUMNS += ["stance_confidence", "needs_review", "已复核"]


def corrected_file(tmp_path):
    rows = [
        # unchanged prediction, reviewed
        ["1", "晚上小区里经常有人偷电动车，希望加强巡逻", "public_order", "治安管理", "0.9"]
        + ["suggestion", "建议", "0.9", "否", "是"],
        # corrected in both columns
        ["2", "路口红绿灯坏了三天没人修", "traffic", "交通管理", "0.5"]
        + ["criticism", "批评", "0.6", "是", "是"],
        # corrected only in the Chinese column: the two columns disagree
        ["3", "派出所民警上门帮老人办身份证", "public_order", "队伍建设", "0.4"]
        + ["praise", "表扬", "0.7", "是", "是"],
    ]
    path = tmp_path / "复核后.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def test_agreeing_corrections_are_read_and_disagreement_is_an_issue(tmp_path):
    got = read_labelled(corrected_file(tmp_path))
    assert [(r.topic, r.stance) for r in got.records] == [
        ("public_order", "suggestion"),
        ("traffic", "criticism"),
    ]
    assert [(i.row, i.kind) for i in got.issues] == [(4, "disagree")]
    assert "topic=public_order" in got.issues[0].message and "队伍建设" in got.issues[0].message


def test_train_add_reports_the_disagreement_and_stops(default_model, tmp_path):
    result = CliRunner().invoke(cli, ["train", "--add", str(corrected_file(tmp_path)), "-q"])
    assert result.exit_code != 0
    assert "第 4 行" in result.output and "不一致" in result.output

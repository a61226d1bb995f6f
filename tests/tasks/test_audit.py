"""``audit``: planted conflicts, duplicates, near-duplicates and a mislabelled record are found."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

import nlp_pipeline.cli.main  # noqa: F401 - loads the CLI before cli.curation (import order)
from nlp_pipeline.cli.curation import audit as audit_command
from nlp_pipeline.data.corpus import training_files
from nlp_pipeline.tasks.audit import audit, read_records
from nlp_pipeline.training.config import TrainConfig

from ..conftest import small_corpus_lines

CONFIG = TrainConfig(cv_folds=3)
CONFLICT_TEXT = "我们村口那段路的路灯坏了大半年，晚上走路黑漆漆的，也不知道该找谁修。"
MISLABELLED_TEXT = (
    "十字路口的红绿灯坏了三天，车辆乱闯红灯，早晚高峰堵车严重，交警也不来指挥交通，"
    "电动车和汽车抢道，差点出交通事故。"
)


def line_of(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A corpus folder: the small corpus, plus an added file holding the planted problems."""
    folder = tmp_path_factory.mktemp("audit-corpus")
    base = small_corpus_lines()
    (folder / "train.jsonl").write_text("\n".join(base) + "\n", encoding="utf-8")
    original = json.loads(base[5])
    long_one = next(
        json.loads(x) for i, x in enumerate(base) if i != 5 and len(json.loads(x)["text"]) > 60
    )
    text = long_one["text"]
    near_text = text[:40] + "那" + text[41:]  # one character changed
    planted = [
        {
            "id": "p-conflict-1",
            "text": CONFLICT_TEXT,
            "topic": "outside_remit",
            "stance": "criticism",
        },
        {
            "id": "p-conflict-2",
            "text": CONFLICT_TEXT,
            "topic": "public_order",
            "stance": "criticism",
        },
        # The same text once normalised: a zero-width space and trailing blanks.
        {**original, "id": "p-dup", "text": original["text"] + "\u200b  "},
        {**long_one, "id": "p-near", "text": near_text},
        {
            "id": "p-wrong",
            "text": MISLABELLED_TEXT,
            "topic": "team_building",
            "stance": "criticism",
        },
    ]
    added = folder / "added"
    added.mkdir()
    lines = [line_of(planted[0]), "", line_of(planted[1])] + [line_of(p) for p in planted[2:]]
    (added / "20261127-planted.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Line numbers in the added file (line 2 is blank).
    where = {"p-conflict-1": 1, "p-conflict-2": 3, "p-dup": 4, "p-near": 5, "p-wrong": 6}
    return {
        "folder": folder,
        "added": str(added / "20261127-planted.jsonl"),
        "train": str(folder / "train.jsonl"),
        "where": where,
        "original_line": 6,
        "original": original,
        "long_one": long_one,
    }


@pytest.fixture(scope="module")
def report(planted):
    return audit(training_files(planted["folder"]), CONFIG)


def test_records_know_their_file_and_line(planted):
    records = read_records(training_files(planted["folder"]))
    added = [r for r in records if r.file == planted["added"]]
    assert {r.id: r.line for r in added} == planted["where"]
    first = records[0]
    assert (first.file, first.line) == (planted["train"], 1)


def test_finds_the_conflict(report, planted):
    assert len(report.conflicts) == 1
    group = report.conflicts[0]
    assert [(r.file, r.line, r.id) for r in group.records] == [
        (planted["added"], 1, "p-conflict-1"),
        (planted["added"], 3, "p-conflict-2"),
    ]


def test_finds_the_exact_duplicate(report, planted):
    assert len(report.duplicates) == 1
    recs = report.duplicates[0].records
    assert [(r.file, r.line) for r in recs] == [
        (planted["train"], planted["original_line"]),
        (planted["added"], planted["where"]["p-dup"]),
    ]
    assert recs[0].id == planted["original"]["id"] and recs[1].id == "p-dup"


def test_finds_the_near_duplicate(report, planted):
    pairs = [p for p in report.near_duplicates if "p-near" in (p.a.id, p.b.id)]
    assert len(pairs) == 1
    pair = pairs[0]
    assert {pair.a.id, pair.b.id} == {"p-near", planted["long_one"]["id"]}
    assert pair.b.line == planted["where"]["p-near"] and pair.b.file == planted["added"]
    assert 0.8 <= pair.similarity < 1.0 and pair.same_labels
    # Exact duplicates are not repeated as near-duplicates.
    assert all(p.similarity < 1.0 or p.a.text != p.b.text for p in report.near_duplicates)


def test_finds_the_mislabelled_record(report, planted):
    hits = [s for s in report.suspects if s.record.id == "p-wrong"]
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.head, hit.given, hit.suggested) == ("topic", "team_building", "traffic")
    assert hit.record.file == planted["added"] and hit.record.line == planted["where"]["p-wrong"]
    assert hit.given_probability < 0.2 < 0.7 < hit.suggested_probability
    ranked = [s.suggested_probability for s in report.suspects]
    assert ranked == sorted(ranked, reverse=True)


def test_report_is_plain_json_data(report):
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["counts"] == report.counts()
    assert data["n_records"] == report.n_records
    capped = report.to_dict(limit=1)
    assert len(capped["suspects"]) <= 1 and capped["counts"] == data["counts"]


def test_tiny_corpus_skips_the_mislabel_check(tmp_path):
    path = tmp_path / "train.jsonl"
    rows = [
        {"text": "交警辛苦了", "topic": "traffic", "stance": "praise"},
        {"text": "交警辛苦了", "topic": "traffic", "stance": "praise"},
        {"text": "建议多巡逻", "topic": "public_order", "stance": "suggestion"},
    ]
    path.write_text("".join(line_of(r) + "\n" for r in rows), encoding="utf-8")
    result = audit([path])
    assert result.suspects == [] and result.notes
    assert len(result.duplicates) == 1


# ---------------------------------------------------------------------------------------
# CLI (uses TrainConfig() defaults: 5 folds)


@pytest.fixture
def cli():
    group = click.Group("opinions")
    group.add_command(audit_command)
    return group


@pytest.fixture(scope="module")
def cli_runs(planted):
    group = click.Group("opinions")
    group.add_command(audit_command)
    runner = CliRunner()
    folder = str(planted["folder"])
    return {
        "table": runner.invoke(group, ["audit", "--corpus", folder]),
        "json": runner.invoke(group, ["audit", "--corpus", folder, "--json", "-q"]),
    }


def test_cli_table(cli_runs, planted):
    result = cli_runs["table"]
    assert result.exit_code == 0, result.output
    out = result.stdout
    for section in ("可能标错", "冲突", "完全重复", "相近重复"):
        assert section in out
    assert f"{planted['added']}:6 [p-wrong]" in out
    assert f"{planted['added']}:3 [p-conflict-2]" in out
    assert "交叉验证" in result.stderr


def test_cli_json(cli_runs):
    result = cli_runs["json"]
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["conflicts"] == 1 and data["counts"]["duplicates"] == 1
    assert any(s["record"]["id"] == "p-wrong" for s in data["suspects"])
    assert result.stderr == ""


def test_cli_writes_findings_to_a_spreadsheet(cli, planted, tmp_path, monkeypatch):
    from nlp_pipeline.io.readers import open_table
    from nlp_pipeline.tasks import audit as audit_module

    # The findings file is about rendering: skip the cross-validation here.
    monkeypatch.setattr(audit_module, "suspect_labels", lambda *a, **k: [])
    out = tmp_path / "审核结果.xlsx"
    result = CliRunner().invoke(
        cli, ["audit", "--corpus", str(planted["folder"]), "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    with open_table(out) as table:
        rows = [r.values for r in table.rows()]
    kinds = [r["kind"] for r in rows]
    assert kinds.count("conflict") == 2 and kinds.count("duplicate") == 2
    assert {r["id"] for r in rows if r["kind"] == "conflict"} == {"p-conflict-1", "p-conflict-2"}


def test_cli_missing_corpus_is_a_clean_error(cli, tmp_path):
    result = CliRunner().invoke(cli, ["audit", "--corpus", str(tmp_path)])
    assert result.exit_code == 1
    assert "找不到语料文件" in result.output and "Traceback" not in result.output


def test_cli_help_is_bilingual_with_an_example(cli):
    result = CliRunner().invoke(cli, ["audit", "--help"])
    assert result.exit_code == 0
    assert "opinions audit" in result.output and "检查" in result.output

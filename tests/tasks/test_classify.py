"""Batch classification: golden input files, output formats, parallel == serial, CLI routes."""

import csv
import json

import openpyxl
import pytest
from click.testing import CliRunner

from nlp_pipeline.cli.main import cli
from nlp_pipeline.tasks.classify import (
    OUTPUT_FIELDS,
    classify_file,
    classify_texts,
    classify_values,
)

from ..conftest import DATA

EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
GOLDEN = sorted(k for k in EXPECTED if not k.startswith("_"))


def read_output(path):
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = [[("" if c is None else c) for c in r] for r in ws.iter_rows(values_only=True)]
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def truthy(value) -> bool:
    return value is True or str(value).lower() in {"true", "1"}


@pytest.mark.parametrize("name", GOLDEN)
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx"])
def test_golden_files_round_trip_with_nothing_lost(default_model, tmp_path, name, suffix):
    expected = EXPECTED[name]
    out = tmp_path / f"out{suffix}"
    summary = classify_file(DATA / name, out, jobs=1)
    rows = read_output(out)
    assert summary.rows == len(rows) == expected["rows"]
    assert summary.skipped_empty == expected["skipped_empty"]
    assert list(rows[0])[: len(expected["columns"])] == expected["columns"]
    assert list(rows[0])[len(expected["columns"]) :] == OUTPUT_FIELDS
    errors = [i for i, r in enumerate(rows) if r["error"]]
    assert len(errors) == len(expected["error_rows"]) == summary.errors
    for i, r in enumerate(rows):
        if i in errors:
            assert truthy(r["needs_review"]) and r["topic"] in ("", None)
        else:
            assert r["topic"] and r["stance"] and r["topic_zh"]
    first_text = expected["first"]["text"]
    assert rows[0][expected["text_column"]] == first_text or errors and 0 in errors


def test_parallel_output_identical_to_serial(default_model, tmp_path):
    src = DATA / "comments_utf8_bom.csv"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    classify_file(src, a, jobs=1, chunk_rows=2)
    classify_file(src, b, jobs=2, chunk_rows=2)
    assert a.read_bytes() == b.read_bytes()


def _tokens_in_worker(text):
    from nlp_pipeline.text.segment import warm_up
    from nlp_pipeline.text.tokens import tokenize

    warm_up()
    return tokenize(text)


def test_user_dictionary_active_in_parallel_workers():
    from joblib import Parallel, delayed

    from nlp_pipeline.text.tokens import tokenize

    texts = ["集镇上马自达乱跑", "车管所换证排队", "联防队员态度差", "接处警太慢"]
    remote = Parallel(n_jobs=2)(delayed(_tokens_in_worker)(t) for t in texts)
    assert remote == [tokenize(t) for t in texts]
    assert "马自达" in remote[0] and "接处警" in remote[3]


def test_values_that_are_not_text_become_error_rows(default_model):
    results = list(classify_values(["交警辛苦了", "", None, 42, "   "], default_model))
    assert len(results) == 5
    assert results[0]["error"] == "" and results[0]["topic"]
    assert all(r["error"] and r["needs_review"] is True for r in results[1:])


def test_classify_texts_for_notebooks(default_model):
    out = classify_texts(["交警辛苦了", "派出所办证太慢"])
    assert [r["text"] for r in out] == ["交警辛苦了", "派出所办证太慢"]
    assert all(r["topic_zh"] for r in out)


@pytest.mark.parametrize("fmt", [".csv", ".xlsx", ".jsonl"])
def test_cli_output_formats(default_model, tmp_path, fmt):
    out = tmp_path / f"r{fmt}"
    result = CliRunner().invoke(
        cli, ["classify", str(DATA / "comments.tsv"), "-o", str(out), "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    assert len(read_output(out)) == EXPECTED["comments.tsv"]["rows"]
    assert "共 6 行" in result.output  # summary on stderr (mixed into output by CliRunner)


def test_cli_csv_output_has_bom_for_excel(default_model, tmp_path):
    out = tmp_path / "r.csv"
    CliRunner().invoke(cli, ["classify", str(DATA / "comments.tsv"), "-o", str(out), "-q"])
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_stdin_to_stdout_jsonl(default_model):
    result = CliRunner().invoke(cli, ["classify", "-", "-q"], input="交警辛苦了\n\n派出所门难进\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["text"] for r in lines] == ["交警辛苦了", "派出所门难进"]


def test_cli_text_column_errors_list_the_columns(default_model):
    result = CliRunner().invoke(
        cli, ["classify", str(DATA / "comments.tsv"), "--text-column", "没有这列"]
    )
    assert result.exit_code == 1
    assert "留言内容" in result.output and "乡镇" in result.output


def test_cli_refuses_to_overwrite_input(default_model, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes((DATA / "comments_utf8_bom.csv").read_bytes())
    before = src.read_bytes()
    result = CliRunner().invoke(cli, ["classify", str(src), "-o", str(src)])
    assert result.exit_code == 1 and "input" in result.output
    assert src.read_bytes() == before


def test_failed_run_leaves_existing_output_untouched(default_model, tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    out.write_text("good old result\n", encoding="utf-8")
    import nlp_pipeline.tasks.classify as batch

    def boom(*_a, **_k):
        raise RuntimeError("worker crashed")

    monkeypatch.setattr(batch, "classify_chunk", boom)
    with pytest.raises(RuntimeError):
        classify_file(DATA / "comments_utf8_bom.csv", out, jobs=1)
    assert out.read_text(encoding="utf-8") == "good old result\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "models") == ["out.csv"]


def test_no_opinion_rows_have_no_labels_and_no_review(default_model):
    """无/同上 are recognised, not guessed: empty labels, no_opinion true, no review."""
    results = list(classify_values(["无", "同上", "—", "交警辛苦了", "没有人管"], default_model))
    for r in results[:3]:
        assert r["no_opinion"] is True and r["needs_review"] is False
        assert r["topic"] == r["stance"] == r["topic_zh"] == r["stance_zh"] == ""
        assert r["error"] == ""
    for r in results[3:]:
        assert r["no_opinion"] is False and r["topic"] and r["stance"]


def test_model_replaced_in_place_is_not_served_from_the_cache(default_model):
    """The README's rebuild recipe replaces a model directory in place; the next call must
    answer with the new model, not the one a previous call cached under the same path."""
    import shutil

    from nlp_pipeline.model.predictor import Predictor

    from ..conftest import SHIPPED_MODEL

    texts = ["晚上小区里经常有人偷电动车，希望加强巡逻", "交警辛苦了", "派出所办事太慢"]
    old = [r["topic_confidence"] for r in classify_texts(texts)]
    shutil.rmtree(default_model)
    shutil.copytree(SHIPPED_MODEL, default_model)
    new_model = [round(p.topic_confidence, 4) for p in Predictor(default_model).predict(texts)]
    assert new_model != old  # the two models do answer differently
    assert [r["topic_confidence"] for r in classify_texts(texts)] == new_model

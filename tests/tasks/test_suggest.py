"""``suggest``: the least confident comments, no near-duplicates, files that read back."""

from __future__ import annotations

import csv
import json

import click
import pytest
from click.testing import CliRunner

import nlp_pipeline.cli.main  # noqa: F401 - loads the CLI before cli.curation (import order)
from nlp_pipeline.cli.curation import suggest as suggest_command
from nlp_pipeline.data.labelled import read_labelled
from nlp_pipeline.model.predictor import Predictor
from nlp_pipeline.tasks.suggest import (
    HINT_TOPIC,
    SHEET_GUIDE,
    SHEET_TODO,
    select,
    suggest,
    write_suggestions,
)
from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.text.similarity import bigrams, similar_pairs

from ..conftest import CORPUS

N = 12


def jaccard(a: str, b: str) -> float:
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


@pytest.fixture(scope="module")
def unlabelled() -> list[str]:
    """Comments from the test split (never seen by the small model), labels dropped."""
    lines = (CORPUS / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:300]]


@pytest.fixture(scope="module")
def scored(small_model, unlabelled) -> dict[str, float]:
    """The predictor's own uncertainty (1 - p_topic * p_stance) of every comment."""
    preds = Predictor(small_model).predict(unlabelled)
    return {
        t: 1 - p.topic_confidence * p.stance_confidence
        for t, p in zip(unlabelled, preds, strict=True)
    }


def test_picks_the_least_confident(small_model, unlabelled, scored):
    picked = suggest(unlabelled, small_model, n=N)
    assert len(picked) == N
    preds = Predictor(small_model).predict([s.text for s in picked])
    for s, p in zip(picked, preds, strict=True):
        assert (s.topic, s.stance) == (p.topic, p.stance)
        assert s.topic_confidence == pytest.approx(p.topic_confidence, abs=1e-9)
        assert s.stance_confidence == pytest.approx(p.stance_confidence, abs=1e-9)
        assert s.uncertainty == pytest.approx(scored[s.text], abs=1e-9)
        assert unlabelled[s.row - 1] == s.text  # row is the 1-based position in the list
    values = [s.uncertainty for s in picked]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(max(scored.values()))
    # Anything more uncertain than the last pick was only passed over as a near-duplicate.
    texts = {s.text for s in picked}
    for text, u in scored.items():
        if u > values[-1] and text not in texts:
            assert any(jaccard(text, t) >= 0.6 for t in texts), text


def test_batch_has_no_near_duplicates_empties_or_duplicates(small_model, unlabelled, scored):
    top = max(scored, key=scored.get)
    mid = len(top) // 2
    near = top[:mid] + top[mid + 1 :]  # a near-duplicate of the most uncertain comment
    assert jaccard(top, near) >= 0.6
    (p,) = Predictor(small_model).predict([near])
    assert 1 - p.topic_confidence * p.stance_confidence > sorted(scored.values())[-N]
    same = " " + top + "\u200b"  # the same text once normalised
    texts = ["", "   ", top, near, same, *unlabelled]
    result = select(texts, small_model, n=N)
    picked = [s.text for s in result.suggestions]
    assert len(picked) == N
    assert similar_pairs(picked, threshold=0.6) == []
    assert not ({top, near} <= set(picked))
    assert same not in picked and "" not in picked
    assert result.n_empty == 2
    assert result.n_duplicate >= 2  # `same`, and `top` again inside `unlabelled`
    assert result.n_similar >= 1
    assert result.n_rows == len(texts)


def test_reads_a_file_with_row_numbers_and_ids(small_model, unlabelled, tmp_path):
    one_line = [t for t in unlabelled if "\n" not in t][:80]  # so CSV rows are lines
    path = tmp_path / "hotline.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["编号", "来电时间", "来电内容"])
        for i, text in enumerate(one_line, start=1):
            writer.writerow([f"H{i:03d}", "2026-11-27", text])
    picked = suggest(path, small_model, n=5, text_column="来电内容")
    assert len(picked) == 5
    for s in picked:
        assert s.text == one_line[s.row - 2]  # row 1 is the header
        assert s.id == f"H{s.row - 1:03d}"


def fill(path, labels: list[tuple[str, str]]) -> None:
    """Fill topic and stance like a person would, in the file's own format."""
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path)
        ws = wb[SHEET_TODO]
        header = [c.value for c in ws[1]]
        t, s = header.index("topic") + 1, header.index("stance") + 1
        for row, (topic, stance) in enumerate(labels, start=2):
            ws.cell(row, t, topic)
            ws.cell(row, s, stance)
        wb.save(path)
    elif path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row, (topic, stance) in zip(rows, labels, strict=True):
            row["topic"], row["stance"] = topic, stance
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        objs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for obj, (topic, stance) in zip(objs, labels, strict=True):
            obj["topic"], obj["stance"] = topic, stance
        path.write_text(
            "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8"
        )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".jsonl"])
@pytest.mark.parametrize("names", ["ids", "chinese"])
def test_written_file_reads_back_once_labelled(small_model, unlabelled, tmp_path, suffix, names):
    picked = suggest(unlabelled, small_model, n=8)
    path = write_suggestions(picked, tmp_path / f"batch{suffix}")

    empty = read_labelled(path)  # nothing filled in yet: every row is an issue, no crash
    assert empty.records == [] and len(empty.issues) == len(picked)

    topics, stances = list(TOPICS), list(STANCES)
    wanted = [(topics[i % 6], stances[i % 3]) for i in range(len(picked))]
    if names == "chinese":
        fill(path, [(TOPICS[t], STANCES[s]) for t, s in wanted])
    else:
        fill(path, wanted)
    back = read_labelled(path)
    assert back.issues == []
    assert [r.text for r in back.records] == [s.text for s in picked]
    assert [(r.topic, r.stance) for r in back.records] == wanted


def test_xlsx_has_dropdowns_and_a_guide(small_model, unlabelled, tmp_path):
    import openpyxl

    picked = suggest(unlabelled, small_model, n=5)
    path = write_suggestions(picked, tmp_path / "待标注.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET_TODO, SHEET_GUIDE]
    ws = wb[SHEET_TODO]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["row", "text", "topic", "stance"] and HINT_TOPIC in header
    assert [ws.cell(r, 1).value for r in range(2, 7)] == [s.row for s in picked]
    assert all(ws.cell(r, 3).value is None for r in range(2, 7))
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists == {
        "C2:C6": '"' + ",".join(TOPICS.values()) + '"',
        "D2:D6": '"' + ",".join(STANCES.values()) + '"',
    }
    guide = "\n".join(str(c.value) for row in wb[SHEET_GUIDE].iter_rows() for c in row if c.value)
    for label, zh in {**TOPICS, **STANCES}.items():
        assert label in guide and zh in guide
    assert "opinions train --add" in guide


def test_csv_is_plain_utf8_with_bom(small_model, unlabelled, tmp_path):
    picked = suggest(unlabelled, small_model, n=3)
    path = write_suggestions(picked, tmp_path / "batch.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("row,text,topic,stance,")


def test_unknown_output_type_is_refused(small_model, unlabelled, tmp_path):
    from nlp_pipeline.errors import OutputError

    picked = suggest(unlabelled, small_model, n=2)
    with pytest.raises(OutputError, match="不支持"):
        write_suggestions(picked, tmp_path / "batch.docx")


# ---------------------------------------------------------------------------------------
# CLI


@pytest.fixture
def cli():
    group = click.Group("opinions")
    group.add_command(suggest_command)
    return group


@pytest.fixture
def unlabelled_file(unlabelled, tmp_path):
    path = tmp_path / "未标注.jsonl"
    path.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in unlabelled[:100]),
        encoding="utf-8",
    )
    return path


def test_cli_table_on_stdout(cli, default_model, unlabelled_file):
    result = CliRunner().invoke(cli, ["suggest", str(unlabelled_file), "-n", "5"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 6 and "topic" in lines[0]
    assert "选出 5 条" in result.stderr


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".jsonl"])
def test_cli_writes_a_file_to_label(cli, small_model, unlabelled_file, tmp_path, suffix):
    out = tmp_path / f"batch{suffix}"
    args = ["suggest", str(unlabelled_file), "-n", "4", "-o", str(out), "--model", str(small_model)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(read_labelled(out).issues) == 4  # four rows, labels still to fill


def test_cli_jsonl_on_stdout(cli, default_model, unlabelled_file):
    result = CliRunner().invoke(cli, ["suggest", str(unlabelled_file), "-n", "3", "-o", "-", "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3 and {"row", "text", "topic", "stance"} <= set(rows[0])


def test_cli_errors_are_clean(cli, default_model, unlabelled_file, tmp_path):
    runner = CliRunner()
    same = runner.invoke(cli, ["suggest", str(unlabelled_file), "-o", str(unlabelled_file)])
    assert same.exit_code == 1 and "覆盖" in same.output
    missing = runner.invoke(cli, ["suggest", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "找不到" in missing.output
    column = runner.invoke(cli, ["suggest", str(unlabelled_file), "--text-column", "内容"])
    assert column.exit_code == 1 and "内容" in column.output
    assert "Traceback" not in same.output + missing.output + column.output


def test_cli_help_is_bilingual_with_an_example(cli):
    result = CliRunner().invoke(cli, ["suggest", "--help"])
    assert result.exit_code == 0
    assert "opinions suggest " in result.output and "标注" in result.output

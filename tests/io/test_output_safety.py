"""Outputs stay valid and leave nothing behind: JSONL without NaN, stale temporaries, odd names."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from click.testing import CliRunner

from nlp_pipeline.io.atomic import remove_stale_temporaries, temp_name
from nlp_pipeline.io.writers import open_writer


def test_jsonl_output_has_no_nan_or_infinity(tmp_path):
    out = tmp_path / "out.jsonl"
    with open_writer(out, ["a", "b", "c"]) as writer:
        writer.write_rows([{"a": math.nan, "b": {"x": [math.inf, 1.5]}, "c": -math.inf}])
    line = out.read_text(encoding="utf-8").strip()
    assert "NaN" not in line and "Infinity" not in line
    assert json.loads(line) == {"a": None, "b": {"x": [None, 1.5]}, "c": None}


def test_classify_of_a_jsonl_with_nan_writes_valid_json(tmp_path, default_model):
    from nlp_pipeline.tasks.classify import classify_file

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "交警辛苦了", "score": NaN, "x": Infinity}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    classify_file(src, out, jobs=1)
    record = json.loads(out.read_text(encoding="utf-8"), parse_constant=lambda c: 1 / 0)
    assert record["score"] is None and record["x"] is None


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_dead_processes_are_removed_by_the_next_run(tmp_path):
    dead = tmp_path / f".out.csv.tmp-{_dead_pid()}-0123abcd"
    live = tmp_path / ".out.csv.tmp-1-0123abcd"  # pid 1 is alive
    mine = tmp_path / f".out.csv.tmp-{os.getpid()}-0123abcd"
    other = tmp_path / ".notes.tmp-old"  # not named like ours: never touched
    folder = tmp_path / f".model.tmp-{_dead_pid()}-ab_cd12e"  # a model folder being saved
    for path in (dead, live, mine, other):
        path.write_text("x")
    folder.mkdir()
    (folder / "weights.npz").write_text("x")
    temp_name(str(tmp_path / "out.csv"))
    assert not dead.exists() and not folder.exists()
    assert live.exists() and mine.exists() and other.exists()
    assert remove_stale_temporaries(tmp_path) == []


def test_output_names_that_are_not_utf8(tmp_path, default_model):
    from nlp_pipeline.cli.main import cli

    src = tmp_path / "in.txt"
    src.write_text("交警辛苦了\n", encoding="utf-8")
    name = os.fsdecode(b"\xff\xfe-\xb3\xf6.csv")  # GBK bytes: not UTF-8
    out = os.path.join(os.fsdecode(bytes(tmp_path)), name)
    result = CliRunner().invoke(cli, ["classify", str(src), "-o", out, "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert os.path.exists(out)
    missing = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"\xff/x.csv"))
    result = CliRunner().invoke(cli, ["classify", str(src), "-o", missing, "--jobs", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "\\xff" in result.output or "\udcff" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp-" in p.name) == []

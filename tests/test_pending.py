"""Pending added-sample files of a training are never corpus; a killed one's is cleaned up."""

from __future__ import annotations

import subprocess
import sys

from nlp_pipeline.data.corpus import remove_stale_pending, training_files


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_pending_files_are_not_corpus_and_stale_ones_are_removed(tmp_path):
    (tmp_path / "train.jsonl").write_text("", encoding="utf-8")
    added = tmp_path / "added"
    added.mkdir()
    (added / "20261205-0400-abc.jsonl").write_text("", encoding="utf-8")
    stale = added / f".pending-{_dead_pid()}.jsonl"
    stale.write_text('{"text": "aborted", "topic": "traffic", "stance": "praise"}\n')
    live = added / ".pending-1.jsonl"  # pid 1 is alive
    live.write_text("")
    assert [p.name for p in training_files(tmp_path)] == ["train.jsonl", "20261205-0400-abc.jsonl"]
    assert remove_stale_pending(added) == [stale]
    assert live.exists() and not stale.exists()

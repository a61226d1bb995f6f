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


def test_train_add_with_a_file_name_that_is_not_utf8(default_model, small_corpus, tmp_path):
    import json
    import os
    import shutil

    from nlp_pipeline.training.retrain import retrain

    from .training.test_retrain import NEW_TEXTS

    corpus = tmp_path / "corpora"
    shutil.copytree(small_corpus, corpus)
    name = os.fsdecode(b"\xd0\xc2\xd4\xf6.jsonl")  # GBK "新增": not valid UTF-8
    labels = os.path.join(os.fsdecode(bytes(tmp_path)), name)
    with open(labels, "w", encoding="utf-8") as fh:
        for text in NEW_TEXTS:
            record = {"text": text, "topic": "public_order", "stance": "criticism"}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    out = retrain([labels], corpus_dir=corpus)
    sources = [
        json.loads(line)["source"] for line in out.added_file.read_text("utf-8").splitlines()
    ]
    assert all(s.startswith("added:\\xd0\\xc2\\xd4\\xf6.jsonl#") for s in sources), sources[:2]
    assert not list((corpus / "added").glob(".pending-*"))

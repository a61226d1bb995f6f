"""Labelled corpus files (JSONL, one record a line, per docs/LABELS.md)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nlp_pipeline.errors import InputError, LabelError, where
from nlp_pipeline.taxonomy import parse_label


@dataclass(frozen=True)
class Record:
    """One labelled comment."""

    text: str
    topic: str
    stance: str
    id: str = ""
    source: str = ""
    register: str = ""
    """How it was written (letter, hotline, form …; ``v1`` for the first corpus), if known."""


def read_jsonl(path: str | Path) -> list[Record]:
    """Read a labelled JSONL file; any bad line raises InputError naming file and line."""
    path = Path(path)
    records = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: 无法读取语料文件 ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where(path, number)}不是合法的 JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise InputError(f"{where(path, number)}应为 JSON 对象")
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where(path, number)}text 为空或不是文本")
        try:
            topic = parse_label("topic", obj.get("topic"))
            stance = parse_label("stance", obj.get("stance"))
        except LabelError as exc:
            raise LabelError(f"{where(path, number)}{exc}") from exc
        records.append(
            Record(
                text,
                topic,
                stance,
                str(obj.get("id", "")),
                str(obj.get("source", "")),
                str(obj.get("register", "")),
            )
        )
    return records


def read_corpus(paths: Iterable[str | Path]) -> list[Record]:
    """Concatenate several labelled JSONL files, in order."""
    out: list[Record] = []
    for p in paths:
        out.extend(read_jsonl(p))
    return out


def sha256_files(paths: Iterable[str | Path]) -> str:
    """One sha256 over the bytes of several files, in order (the corpus fingerprint)."""
    digest = hashlib.sha256()
    for p in paths:
        digest.update(Path(p).read_bytes())
    return digest.hexdigest()


PENDING_PREFIX = ".pending-"
"""``added/.pending-<pid>.jsonl``: samples of a training still running, not yet corpus."""


def training_files(corpus_dir: str | Path) -> list[Path]:
    """The files a model trains on: ``train.jsonl`` then ``added/*.jsonl`` by name.

    Hidden files (``.pending-<pid>.jsonl`` of a training in progress or killed, editor
    backups) are never corpus.
    """
    corpus_dir = Path(corpus_dir)
    files = [corpus_dir / "train.jsonl"]
    added = corpus_dir / "added"
    if added.is_dir():
        files.extend(sorted(p for p in added.glob("*.jsonl") if not p.name.startswith(".")))
    return files


def remove_stale_pending(added_dir: str | Path) -> list[Path]:
    """Remove the pending files of trainings whose process is gone; return them."""
    from nlp_pipeline.io.atomic import pid_alive

    removed: list[Path] = []
    added_dir = Path(added_dir)
    if not added_dir.is_dir():
        return removed
    for path in added_dir.glob(f"{PENDING_PREFIX}*.jsonl"):
        pid = path.name[len(PENDING_PREFIX) : -len(".jsonl")]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_jsonl(records: Iterable[Record | dict], path: str | Path) -> None:
    """Write records as JSONL (UTF-8, Chinese kept readable)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            obj = r if isinstance(r, dict) else {k: v for k, v in r.__dict__.items() if v != ""}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

"""Shared fixtures: an isolated models folder, and a small model trained once per session."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpora"
SHIPPED_MODEL = REPO / "models" / "default"
DATA = Path(__file__).resolve().parent / "fixtures"
PER_CELL = 30  # small-model training size per topic x stance cell


@pytest.fixture(autouse=True)
def models_root(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty workspace and models folder: the real ones are never touched."""
    root = tmp_path / "models"
    root.mkdir()
    monkeypatch.setenv("OPINIONS_HOME", str(tmp_path / "workspace"))
    monkeypatch.setenv("OPINIONS_MODELS_DIR", str(root))
    return root


def small_corpus_lines(per_cell: int = PER_CELL) -> list[str]:
    """The first ``per_cell`` records of every cell of corpora/train.jsonl."""
    taken: dict[tuple[str, str], int] = defaultdict(int)
    lines = []
    for line in (CORPUS / "train.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        cell = (rec["topic"], rec["stance"])
        if taken[cell] < per_cell:
            taken[cell] += 1
            lines.append(line)
    return lines


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A corpus folder: a slice of train.jsonl and the real (frozen) test.jsonl."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "train.jsonl").write_text("\n".join(small_corpus_lines()) + "\n", encoding="utf-8")
    shutil.copy(CORPUS / "test.jsonl", folder / "test.jsonl")
    return folder


@pytest.fixture(scope="session")
def small_model(small_corpus, tmp_path_factory) -> Path:
    """A model trained on the small corpus (about two seconds), shared read-only by tests."""
    from nlp_pipeline.training.build import build_model
    from nlp_pipeline.training.config import TrainConfig

    target = tmp_path_factory.mktemp("trained") / "small"
    build_model(
        [small_corpus / "train.jsonl"],
        small_corpus / "test.jsonl",
        target,
        config=TrainConfig(cv_folds=3),
        version="small",
    )
    return target


@pytest.fixture
def default_model(small_model, models_root) -> Path:
    """The small model installed as ``default`` in the isolated models folder."""
    target = models_root / "default"
    shutil.copytree(small_model, target)
    return target

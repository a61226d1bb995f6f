"""Guarded retraining: validate new samples, train a candidate version, gate its promotion.

The default model changes only when the candidate is not worse than it on the frozen
test split (by more than ``GATE_TOLERANCE`` macro-F1 for either head), or when forced.
A candidate's corpus is its parent's corpus plus the new samples, which are stored in a
file of their own under ``corpora/added/`` — the original corpus files are never rewritten.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp_pipeline.data.corpus import read_corpus, sha256_files, write_jsonl
from nlp_pipeline.data.labelled import LabelIssue, check_against, read_labelled
from nlp_pipeline.errors import TrainingError
from nlp_pipeline.model.format import META
from nlp_pipeline.model.registry import (
    current_version,
    models_root,
    read_version_meta,
    set_current,
    training_lock,
    version_dir,
)
from nlp_pipeline.training.build import build_model, version_name
from nlp_pipeline.training.config import TrainConfig
from nlp_pipeline.training.fit import Progress

GATE_TOLERANCE = 0.005  # half a point of macro-F1
MAX_ISSUES_SHOWN = 40


@dataclass
class RetrainOutcome:
    version: str
    path: Path
    meta: dict
    parent: str
    baseline: dict
    gate_passed: bool
    promoted: bool
    added_file: Path | None
    n_added: int
    issues: list[LabelIssue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    skipped_no_opinion: int = 0


def default_corpus_dir() -> Path:
    """The workspace's corpus folder (see nlp_pipeline.workspace), base corpus included."""
    from nlp_pipeline.workspace import corpus_dir

    folder = corpus_dir()
    if folder is None or not (folder / "train.jsonl").is_file():
        raise TrainingError(
            "找不到语料目录，请用 --corpus 指定 (no corpus folder found; pass --corpus DIR)"
        )
    return folder


def parent_corpus_files(corpus_dir: Path, parent_meta: dict) -> list[Path]:
    """The files the parent model trained on, resolved inside ``corpus_dir``."""
    names = parent_meta.get("corpus_files") or ["train.jsonl"]
    files = [corpus_dir / n for n in names]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise TrainingError(
            f"父模型的语料文件缺失 (the parent model's corpus files are missing): {', '.join(missing)}"
        )
    return files


def gate(
    candidate: dict, baseline: dict, tolerance: float = GATE_TOLERANCE
) -> tuple[bool, list[str]]:
    """Is the candidate at most ``tolerance`` worse than the baseline on both heads?"""
    ok, notes = True, []
    for head in ("topic", "stance"):
        key = f"test_{head}_macro_f1"
        cand, base = candidate.get(key), baseline.get(key)
        if cand is None or base is None:
            continue
        delta = cand - base
        passed = delta >= -tolerance
        ok &= passed
        notes.append(
            f"{head} macro-F1 {base:.4f} → {cand:.4f} ({delta:+.4f}) {'✓' if passed else '✗'}"
        )
    return ok, notes


def baseline_metrics(model_dir: Path, test_file: Path) -> dict:
    """The current default's metrics on the test split, measured now with its own predictor."""
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.training.metrics import evaluate_predictions

    predictor = Predictor(model_dir)
    records = read_corpus([test_file])
    preds = predictor.predict([r.text for r in records])
    result = evaluate_predictions(records, preds, predictor.thresholds, prefix="test")
    return {k: v for k, v in result.items() if k.startswith("test_")}


def _update_meta(path: Path, **fields) -> dict:
    meta = json.loads((path / META).read_text(encoding="utf-8"))
    meta.update(fields)
    tmp = path / f".{META}.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path / META)
    return meta


def retrain(
    add_files: Sequence[str | Path] = (),
    *,
    corpus_dir: str | Path | None = None,
    output: str | Path | None = None,
    promote: bool = False,
    force: bool = False,
    skip_invalid: bool = False,
    text_column: str | None = None,
    config: TrainConfig | None = None,
    root: Path | None = None,
    progress: Progress | None = None,
) -> RetrainOutcome:
    """Train a new model version from the current default's corpus plus ``add_files``."""
    say = progress or (lambda _m: None)
    root = root or models_root()
    corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    test_file = corpus_dir / "test.jsonl"
    if not test_file.is_file():
        raise TrainingError(f"{test_file}: 缺少冻结的测试集 (the frozen test split is missing)")
    timings: dict[str, float] = {}
    with training_lock(root):
        parent = current_version(root)
        parent_dir = version_dir(parent, root)
        parent_meta = read_version_meta(parent_dir)
        config = config or (
            TrainConfig.from_dict(parent_meta["config"])
            if "config" in parent_meta
            else TrainConfig()
        )
        base_files = parent_corpus_files(corpus_dir, parent_meta)

        t0 = time.perf_counter()
        say("校验新样本 validate new samples")
        labelled = [read_labelled(p, text_column=text_column) for p in add_files]
        accepted = (
            check_against(labelled, read_corpus(base_files), read_corpus([test_file]))
            if labelled
            else []
        )
        issues = [i for f in labelled for i in f.issues]
        timings["validate"] = time.perf_counter() - t0
        if issues and not skip_invalid:
            shown = "\n".join(str(i) for i in issues[:MAX_ISSUES_SHOWN])
            more = (
                f"\n…（另有 {len(issues) - MAX_ISSUES_SHOWN} 条）"
                if len(issues) > MAX_ISSUES_SHOWN
                else ""
            )
            raise TrainingError(
                f"新样本有 {len(issues)} 处问题，训练未开始 (fix them or use --skip-invalid):\n{shown}{more}"
            )
        if add_files and not accepted:
            raise TrainingError("没有可用的新样本 (no new samples were accepted)")

        added_dir = corpus_dir / "added"
        files = list(base_files)
        pending = final_added = None
        stamp = time.time()
        if accepted:
            added_dir.mkdir(parents=True, exist_ok=True)
            pending = added_dir / f".pending-{os.getpid()}.jsonl"
            write_jsonl(
                [
                    {
                        "text": r.text,
                        "topic": r.topic,
                        "stance": r.stance,
                        "source": f"added:{Path(p).name}#{row}",
                    }
                    for r, p, row in accepted
                ],
                pending,
            )
            files.append(pending)
        version = version_name(sha256_files(files), config, stamp)
        if accepted:
            final_added = added_dir / f"{version}.jsonl"
        names = [f.relative_to(corpus_dir).as_posix() for f in base_files]
        if final_added:
            names.append(final_added.relative_to(corpus_dir).as_posix())
        target = Path(output) if output else root / version
        try:
            built = build_model(
                files,
                test_file,
                target,
                config=config,
                parent=parent,
                version=version,
                extra_meta={"corpus_files": names},
                progress=say,
            )
            if pending is not None:
                os.replace(pending, final_added)
        finally:
            if pending is not None and pending.exists():
                pending.unlink()
        timings.update(built.result.timings)

        t0 = time.perf_counter()
        say("与当前默认模型比较 compare with the current default")
        baseline = baseline_metrics(parent_dir, test_file)
        passed, notes = gate(built.meta["metrics"], baseline)
        timings["gate"] = time.perf_counter() - t0
        promoted = False
        if promote and (passed or force) and target.parent.resolve() == root.resolve():
            set_current(target.name, root)
            promoted = True
        meta = _update_meta(
            target,
            promotion={
                "requested": promote,
                "gate_passed": passed,
                "forced": bool(force and not passed and promoted),
                "promoted": promoted,
                "baseline_version": parent,
                "baseline_metrics": baseline,
                "notes": notes,
            },
        )
    return RetrainOutcome(
        version=version,
        path=target,
        meta=meta,
        parent=parent,
        baseline=baseline,
        gate_passed=passed,
        promoted=promoted,
        added_file=final_added,
        n_added=len(accepted),
        issues=issues,
        timings=timings,
        skipped_no_opinion=sum(len(f.no_opinion_rows) for f in labelled),
    )

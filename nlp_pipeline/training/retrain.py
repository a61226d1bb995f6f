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

from nlp_pipeline.data.corpus import (
    PENDING_PREFIX,
    Record,
    read_corpus,
    remove_stale_pending,
    sha256_files,
    write_jsonl,
)
from nlp_pipeline.data.labelled import (
    REVIEW_COLUMNS,
    LabelIssue,
    LabelledFile,
    check_against,
    read_labelled,
)
from nlp_pipeline.errors import TrainingError
from nlp_pipeline.io import jsontext
from nlp_pipeline.io.atomic import write_text_atomic
from nlp_pipeline.io.schema import ZH_HEADERS
from nlp_pipeline.model.format import META
from nlp_pipeline.model.registry import (
    current_version,
    models_root,
    read_version_meta,
    use_version,
    version_dir,
)
from nlp_pipeline.training.adapt import WeightChoice, choose_weight, score_records, with_weight
from nlp_pipeline.training.build import build_model, version_name
from nlp_pipeline.training.config import TrainConfig
from nlp_pipeline.training.fit import Progress
from nlp_pipeline.training.lock import training_lock

GATE_TOLERANCE = 0.005  # half a point of macro-F1 (or of accuracy on a bureau's labels)
# With a bureau's own labels the synthetic split does not decide, unless it falls this far:
# then the new labels contradict the label guide rather than adapt the model to real text.
SPLIT_VETO = 0.05
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
    candidate: dict,
    baseline: dict,
    tolerance: float = GATE_TOLERANCE,
    bureau: dict | None = None,
) -> tuple[bool, list[str]]:
    """May the candidate replace the baseline?

    Without a bureau's own labels: at most ``tolerance`` worse macro-F1 on the corpus test
    split for both heads. With them (``bureau``: before/after accuracy on the added
    samples and on an evaluation file): at most ``tolerance`` worse accuracy there, on
    both heads; the corpus split is then reported but does not decide.
    """
    notes: list[str] = []
    split_ok = True
    for head in ("topic", "stance"):
        key = f"test_{head}_macro_f1"
        cand, base = candidate.get(key), baseline.get(key)
        if cand is None or base is None:
            continue
        delta = cand - base
        passed = delta >= -tolerance
        split_ok &= passed
        notes.append(
            f"(a) 语料测试集 corpus test split: {head} macro-F1 {base:.4f} → {cand:.4f} "
            f"({delta:+.4f}) {'✓' if passed else '✗'}"
        )
    checks = {k: v for k, v in (bureau or {}).items() if v and v.get("after")}
    if not checks:
        return split_ok, notes
    ok = True
    for name, cmp in checks.items():
        for head in ("topic", "stance"):
            key = f"{head}_accuracy"
            before, after = cmp["before"][key], cmp["after"][key]
            passed = after - before >= -tolerance
            ok &= passed
            notes.append(
                f"{BUREAU_NAMES[name]}: {head} accuracy {before:.4f} → {after:.4f} "
                f"({after - before:+.4f}, n={cmp['after']['n']}) {'✓' if passed else '✗'}"
            )
    drops = [
        baseline[f"test_{h}_macro_f1"] - candidate[f"test_{h}_macro_f1"]
        for h in ("topic", "stance")
        if candidate.get(f"test_{h}_macro_f1") is not None
        and baseline.get(f"test_{h}_macro_f1") is not None
    ]
    if drops and max(drops) > SPLIT_VETO:
        ok = False
        notes.append(
            f"语料测试集下降超过 {SPLIT_VETO * 100:.0f} 个百分点：新标注很可能与标注指南相矛盾 "
            f"(the corpus split lost more than {SPLIT_VETO:.0%}: the new labels contradict the guide)"
        )
    elif not split_ok:
        notes.append(
            "语料测试集略有下降，只作提示：本单位自己的标注决定是否通过 "
            "(a small loss on the synthetic split alone is reported, not a veto)"
        )
    return ok, notes


BUREAU_NAMES = {
    "added": "(b) 本单位新增样本（交叉验证）bureau's added samples, cross-validated",
    "eval": "(c) 本单位评估文件 bureau's evaluation file",
}


def bureau_comparison(
    parent_dir: Path,
    candidate_dir: Path,
    added: Sequence[Record],
    choice: WeightChoice | None,
    eval_records: Sequence[Record] | None,
) -> dict:
    """Before → after on a bureau's own labels: (b) the added samples, (c) an eval file.

    (b) "before" is the current default's predictions (it never trained on them: they
    were checked to be new); "after" is the candidate procedure's out-of-fold predictions
    (no model scored a sample it trained on). Without cross-validation (too few samples)
    there is no honest "after" and (b) does not decide.
    """
    from nlp_pipeline.model.predictor import Predictor

    out: dict[str, dict | None] = {"added": None, "eval": None}
    parent = Predictor(parent_dir)
    if added:
        before = score_records(parent.predict([r.text for r in added]), added)
        after = (
            score_records(
                [
                    dict(topic=t, stance=s)
                    for t, s in zip(choice.oof["topic"], choice.oof["stance"], strict=True)
                ],
                added,
            )
            if choice and choice.oof
            else None
        )
        out["added"] = {"before": before, "after": after}
    if eval_records:
        texts = [r.text for r in eval_records]
        out["eval"] = {
            "before": score_records(parent.predict(texts), eval_records),
            "after": score_records(Predictor(candidate_dir).predict(texts), eval_records),
        }
    return out


def coverage_note(parent_meta: dict, meta: dict) -> list[str]:
    """Why the share sent to review changed: the thresholds were chosen again."""
    old, new = parent_meta.get("thresholds") or {}, meta.get("thresholds") or {}
    if not old or not new or old == new:
        return []
    return [
        "复核阈值按新的交叉验证结果重新选择，自动通过比例因此变化 (review thresholds re-chosen "
        f"on held-out predictions): topic {old.get('topic', 0):.3f} → {new['topic']:.3f}, "
        f"stance {old.get('stance', 0):.3f} → {new['stance']:.3f}"
    ]


PREDICTION_COLUMNS = ("topic_confidence", "stance_confidence", "needs_review")


def refuse_unreviewed(labelled: LabelledFile, accept_predictions: bool) -> None:
    """A ``classify`` output is the model's own guesses: training on them teaches nothing.

    Its columns give it away. It is accepted with a review column (已复核/reviewed), whose
    rows marked 是/yes are the ones read, or when the user says ``--accept-predictions``.
    """
    columns = {c.strip() for c in labelled.columns}
    written = all(c in columns or ZH_HEADERS[c] in columns for c in PREDICTION_COLUMNS)
    if accept_predictions or not written:  # ids or --headers zh names both give it away
        return
    if any(c.strip() in REVIEW_COLUMNS for c in labelled.columns):
        return
    raise TrainingError(
        f"{labelled.path}: 这是 opinions classify 的输出，里面是模型自己的判断，没有人复核过。"
        "请把复核过的行在「已复核」列填「是」（只用这些行），或确认全部可信后加 "
        "--accept-predictions (this is a classify output whose predictions nobody reviewed: "
        "add a 已复核 column marking reviewed rows, or pass --accept-predictions)"
    )


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
    write_text_atomic(path / META, jsontext.dumps(meta, indent=2))
    return meta


def _printable_name(path: str | Path) -> str:
    """The file name, with bytes that are not UTF-8 written as escapes."""
    return Path(path).name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


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
    eval_file: str | Path | None = None,
    accept_predictions: bool = False,
    n_jobs: int | None = None,
) -> RetrainOutcome:
    """Train a new model version from the current default's corpus plus ``add_files``.

    The added samples weigh ``added_weight`` corpus records each, chosen by
    cross-validation over them (``nlp_pipeline.training.adapt``). The gate compares the
    current default and the candidate on (a) the corpus test split, (b) the added samples
    (the candidate's side cross-validated: no fold saw the sample it scores) and (c)
    ``eval_file``, a bureau's own held-out labels, when given. With (b) or (c), promotion
    needs no loss beyond ``GATE_TOLERANCE`` there; a loss on the synthetic split alone is
    reported, not a veto.
    """
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
        for f in labelled:
            refuse_unreviewed(f, accept_predictions)
        accepted = (
            check_against(labelled, read_corpus(base_files), read_corpus([test_file]))
            if labelled
            else []
        )
        issues = [i for f in labelled for i in f.issues]
        already = [i for i in issues if i.kind == "duplicate"]
        blocking = [i for i in issues if i.kind != "duplicate"]
        timings["validate"] = time.perf_counter() - t0
        if blocking and not skip_invalid:
            issues = blocking
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
            if already:
                raise TrainingError(
                    f"没有新增样本：{len(already)} 条都已在语料中，未训练新版本 "
                    "(nothing new was added: every sample is already in the corpus)"
                )
            raise TrainingError("没有可用的新样本 (no new samples were accepted)")
        weight_choice = None
        if accepted:
            say("选择新样本权重 choose the weight of the added samples (cross-validation)")
            t0 = time.perf_counter()
            new = [Record(r.text, r.topic, r.stance, r.id, "added:new") for r, _p, _row in accepted]
            weight_choice = choose_weight(
                read_corpus(base_files), new, config, n_jobs=n_jobs or os.cpu_count() or 1
            )
            config = with_weight(config, weight_choice.weight)
            timings["choose_weight"] = time.perf_counter() - t0

        added_dir = corpus_dir / "added"
        files = list(base_files)
        pending = final_added = None
        stamp = time.time()
        if accepted:
            added_dir.mkdir(parents=True, exist_ok=True)
            remove_stale_pending(added_dir)  # left by a training killed before its end
            pending = added_dir / f"{PENDING_PREFIX}{os.getpid()}.jsonl"
            try:
                write_jsonl(
                    [
                        {
                            "text": r.text,
                            "topic": r.topic,
                            "stance": r.stance,
                            # A file name that is not UTF-8 (bytes from another system) is
                            # recorded with its odd bytes escaped, not allowed to crash.
                            "source": f"added:{_printable_name(p)}#{row}",
                        }
                        for r, p, row in accepted
                    ],
                    pending,
                )
            except BaseException:
                pending.unlink(missing_ok=True)
                raise
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
                extra_meta={
                    "corpus_files": names,
                    **({"added_weight": weight_choice.to_meta()} if weight_choice else {}),
                },
                progress=say,
            )
            if pending is not None:
                assert final_added is not None  # both are set when records were accepted
                os.replace(pending, final_added)
        finally:
            if pending is not None and pending.exists():
                pending.unlink()
        timings.update(built.result.timings)

        t0 = time.perf_counter()
        say("与当前默认模型比较 compare with the current default")
        baseline = baseline_metrics(parent_dir, test_file)
        for key, value in parent_meta.get("metrics", {}).items():
            if key.startswith("cv_"):  # measured when the parent was trained, on its corpus
                baseline.setdefault(key, value)
        bureau = bureau_comparison(
            parent_dir,
            target,
            [r for r, _p, _row in accepted],
            weight_choice,
            read_labelled(eval_file, text_column=text_column).records if eval_file else None,
        )
        passed, notes = gate(built.meta["metrics"], baseline, bureau=bureau)
        notes.extend(coverage_note(parent_meta, built.meta))
        timings["gate"] = time.perf_counter() - t0
        promoted = bool(promote and (passed or force) and target.parent.resolve() == root.resolve())
        # The decision is recorded before CURRENT moves: a default is never in use without it.
        meta = _update_meta(
            target,
            promotion={
                "requested": promote,
                "gate_passed": passed,
                "forced": bool(force and not passed and promoted),
                "promoted": promoted,
                "baseline_version": parent,
                "baseline_metrics": baseline,
                "bureau": bureau,
                "notes": notes,
            },
        )
        if promoted:
            use_version(target.name, force=force, via="train --promote", root=root)
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

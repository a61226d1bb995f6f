"""Build a model version: train on corpus files, test on the frozen split, save the directory."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp_pipeline.data.corpus import Record, read_corpus, sha256_files
from nlp_pipeline.model.export import write_model_dir
from nlp_pipeline.model.format import HEAD_NAMES
from nlp_pipeline.training.config import TrainConfig
from nlp_pipeline.training.fit import Progress, TrainResult, train
from nlp_pipeline.training.metrics import flat_metrics, routing_metrics, score_heads, top_labels


def evaluate_pipelines(
    pipelines: dict, thresholds: dict[str, float], records: Sequence[Record]
) -> tuple[dict, dict]:
    """Test metrics of fitted pipelines on labelled records: (flat dict, per-head details)."""
    texts = [r.text for r in records]
    truth = {head: [getattr(r, head) for r in records] for head in HEAD_NAMES}
    pred, conf = {}, {}
    for head in HEAD_NAMES:
        pipe = pipelines[head]
        classes = list(pipe.named_steps["clf"].classes_)
        pred[head], conf[head] = top_labels(pipe.predict_proba(texts), classes)
    details, correct = score_heads(truth, pred, conf)
    routing = routing_metrics(
        conf["topic"], conf["stance"], correct["topic"], correct["stance"], thresholds
    )
    return flat_metrics("test", details, routing), {**details, "review": routing}


def version_name(corpus_sha: str, config: TrainConfig, when: float | None = None) -> str:
    """``20261127-153012-3fa9c2e``: date, time and a short hash of corpus + config."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    digest = hashlib.sha256((corpus_sha + json.dumps(config.to_dict(), sort_keys=True)).encode())
    return f"{stamp}-{digest.hexdigest()[:7]}"


@dataclass
class BuiltModel:
    path: Path
    meta: dict
    result: TrainResult


def build_model(
    corpus_files: Sequence[str | Path],
    test_file: str | Path | None,
    target: str | Path,
    *,
    config: TrainConfig | None = None,
    parent: str | None = None,
    version: str | None = None,
    extra_meta: dict | None = None,
    progress: Progress | None = None,
) -> BuiltModel:
    """Train on ``corpus_files``, evaluate on ``test_file``, write the model to ``target``."""
    config = config or TrainConfig()
    say = progress or (lambda _msg: None)
    files = [Path(p) for p in corpus_files]
    records = read_corpus(files)
    corpus_sha = sha256_files(files)
    result = train(records, config, progress=say)
    metrics = dict(result.cv_metrics)
    details = {"cv": result.cv_details}
    if test_file is not None:
        t0 = time.perf_counter()
        say("测试集评估 evaluate on test split")
        test_records = read_corpus([test_file])
        test_flat, test_details = evaluate_pipelines(
            result.pipelines, result.thresholds, test_records
        )
        metrics.update(test_flat)
        details["test"] = test_details
        result.timings["test"] = time.perf_counter() - t0
    target = Path(target)
    meta = {
        "version": version or target.name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "parent": parent,
        "n_train": len(records),
        "corpus_files": [p.name if p.parent.name != "added" else f"added/{p.name}" for p in files],
        "corpus_sha256": corpus_sha,
        "test_file": Path(test_file).name if test_file else None,
        "test_sha256": sha256_files([test_file]) if test_file else None,
        "config": config.to_dict(),
        "thresholds": result.thresholds,
        "metrics": metrics,
        "metrics_detail": details,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        **(extra_meta or {}),
    }
    say("保存模型 save")
    path = write_model_dir(target, result.pipelines, meta)
    return BuiltModel(path=path, meta=meta, result=result)

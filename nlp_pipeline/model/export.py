"""Saving a model directory: the fitted scikit-learn pipelines exported as data.

``write_model_dir`` writes what :mod:`nlp_pipeline.model.format` defines and checks:
``features.json`` (vocabularies), ``weights.npz`` (idf and calibrated coefficients, plain
float arrays), ``pipeline.joblib`` (the pipelines, for analysts), ``MODEL_CARD.md`` and
``meta.json`` with the sha256 of every other file, all into a temporary folder renamed at
the end.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np

from nlp_pipeline.errors import ModelError
from nlp_pipeline.io import jsontext
from nlp_pipeline.model.format import (
    CARD,
    CHECKED_FILES,
    FEATURES,
    FORMAT_VERSION,
    HEAD_NAMES,
    META,
    PIPELINE,
    WEIGHTS,
    sha256_file,
)
from nlp_pipeline.taxonomy import HEADS
from nlp_pipeline.text.tokens import tokenizer_identity


def library_versions() -> dict[str, str]:
    import jieba
    import sklearn

    from nlp_pipeline import __version__

    return {
        "nlp_pipeline": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "jieba": jieba.__version__,
    }


def export_arrays(pipelines: dict) -> tuple[dict, dict[str, np.ndarray]]:
    """Turn the fitted pipelines into (features.json content, weight arrays).

    Both heads share one fitted feature step (see ``training``); the export checks it.
    """
    features = pipelines["topic"].named_steps["features"]
    if any(p.named_steps["features"] is not features for p in pipelines.values()):
        raise ModelError("the heads do not share one feature step; cannot export")
    blocks, arrays = [], {}
    for i, (name, vec) in enumerate(features.transformer_list):
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        blocks.append(
            {
                "name": name,
                "analyzer": vec.analyzer.config(),
                "sublinear_tf": bool(vec.sublinear_tf),
                "norm": vec.norm,
                "vocabulary": vocab,
            }
        )
        arrays[f"idf_{i}"] = np.asarray(vec.idf_, dtype=np.float64)
    labels = {}
    for head, pipe in pipelines.items():
        clf = pipe.named_steps["clf"]
        # Temperature folded into the weights: softmax(scale * (Xw + b)).
        arrays[f"{head}_coef"] = np.ascontiguousarray(clf.coef_ * clf.scale_, dtype=np.float64)
        arrays[f"{head}_intercept"] = np.asarray(clf.intercept_ * clf.scale_, dtype=np.float64)
        labels[head] = [str(c) for c in clf.classes_]
    return {"format_version": FORMAT_VERSION, "blocks": blocks, "labels": labels}, arrays


def _n_labels(meta: dict, head: str) -> str:
    labels = meta.get("metrics_detail", {}).get("cv", {}).get(head, {}).get("labels")
    return str(len(labels)) if labels else "?"


def _groups(meta: dict) -> str:
    """``letter 1386, hotline 557, added 100 …``: the data the review promise was kept on."""
    groups = meta.get("metrics_detail", {}).get("cv", {}).get("review_groups") or {}
    return ", ".join(f"{g} {r.get('n')}" for g, r in groups.items()) or "the training corpus"


def _model_card(meta: dict) -> str:
    m = meta.get("metrics", {})

    def fmt(key: str) -> str:
        v = m.get(key)
        return f"{v:.3f}" if isinstance(v, float) else "—"

    return "\n".join(
        [
            f"# Model {meta.get('version', '')}",
            "",
            "Triage of citizens' opinions for a public-security bureau: topic (6 classes) and",
            f"stance ({_n_labels(meta, 'stance')} classes) from word + character TF-IDF and "
            "calibrated linear SVMs; no-opinion answers are recognised by rule first.",
            "",
            f"- trained on {meta.get('n_train', '?')} records, corpus sha256 `{meta.get('corpus_sha256', '')[:16]}…`",
            f"- parent version: {meta.get('parent') or '—'}",
            f"- cross-validated macro-F1: topic {fmt('cv_topic_macro_f1')}, stance {fmt('cv_stance_macro_f1')}",
            f"- test macro-F1: topic {fmt('test_topic_macro_f1')}, stance {fmt('test_stance_macro_f1')}",
            f"- review routing: thresholds topic {meta['thresholds']['topic']:.3f}, stance "
            f"{meta['thresholds']['stance']:.3f}; test coverage {fmt('test_review_coverage')}",
            f"- the review promise was measured on held-out (cross-validated) predictions of "
            f"each of these groups, the strictest thresholds kept: {_groups(meta)}",
            "",
            "Intended use: sorting comments for a person to act on; every prediction flagged",
            "`needs_review` should be read by staff. Not for decisions about individuals.",
            "",
        ]
    )


def write_model_dir(target: str | Path, pipelines: dict, meta: dict) -> Path:
    """Write a complete model directory at ``target`` (which must not exist yet).

    Everything is written into a temporary sibling directory first and renamed at the
    end, so an interrupted save never leaves a half-written model under ``target``.
    """
    import joblib

    target = Path(target)
    if target.exists():
        raise ModelError(f"{target}: 已存在，不会覆盖 (refusing to overwrite an existing model)")
    target.parent.mkdir(parents=True, exist_ok=True)
    from nlp_pipeline.io.atomic import remove_stale_temporaries

    remove_stale_temporaries(target.parent)  # folders of trainings killed while saving
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; models are shared read-only data
        features, arrays = export_arrays(pipelines)
        (tmp / FEATURES).write_text(json.dumps(features, ensure_ascii=False), encoding="utf-8")
        buf = io.BytesIO()
        np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy stubs type the first kwarg
        (tmp / WEIGHTS).write_bytes(buf.getvalue())
        joblib.dump(pipelines, tmp / PIPELINE, compress=3)
        meta = dict(meta)
        meta["format_version"] = FORMAT_VERSION
        meta["labels"] = {
            head: [{"id": c, "zh": HEADS[head][c]} for c in features["labels"][head]]
            for head in HEAD_NAMES
        }
        meta["libraries"] = library_versions()
        meta["tokenizer"] = tokenizer_identity()
        (tmp / CARD).write_text(_model_card(meta), encoding="utf-8")
        meta["files"] = {name: sha256_file(tmp / name) for name in CHECKED_FILES}
        (tmp / META).write_text(jsontext.dumps(meta, indent=2), encoding="utf-8")
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target

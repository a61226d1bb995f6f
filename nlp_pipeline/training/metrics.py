"""Evaluation: flat, named metrics for both heads, calibration, and review routing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nlp_pipeline.taxonomy import HEADS

REVIEW_ALL = 1.0 + 1e-9
"""A threshold above every confidence (1.0 included): every message goes to review."""


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """ECE with equal-width confidence bins: mean |accuracy - confidence|, weighted by bin size."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if confidence.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def head_metrics(
    head: str,
    y_true: Sequence[str],
    y_pred: Sequence[str],
    confidence: Sequence[float] | np.ndarray,
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1, confusion matrix and ECE of one head."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    labels = list(HEADS[head])
    y_true = list(y_true)
    y_pred = list(y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    correct = np.array([a == b for a, b in zip(y_true, y_pred, strict=True)])
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # Over the classes that occur (in the truth or the predictions), as scikit-learn
        # does by default: a test file without praise says nothing about praise.
        "macro_f1": float(
            f1_score(
                y_true,
                y_pred,
                labels=[lab for lab in labels if lab in set(y_true) | set(y_pred)],
                average="macro",
                zero_division=0,
            )
        ),
        "ece": expected_calibration_error(np.asarray(confidence), correct),
        "labels": labels,
        "per_class": {
            lab: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i, lab in enumerate(labels)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def choose_thresholds(
    topic_conf: np.ndarray,
    stance_conf: np.ndarray,
    topic_correct: np.ndarray,
    stance_correct: np.ndarray,
    target: float,
    candidates: int = 60,
) -> dict[str, float]:
    """Per-head confidence thresholds that send the fewest comments to review while the
    comments *not* sent there are right on both heads at least ``target`` of the time.

    Chosen on held-out (out-of-fold) predictions by a grid over confidence quantiles. A
    comment is accepted when both confidences reach their head's threshold.
    """
    tc, sc = np.asarray(topic_conf, float), np.asarray(stance_conf, float)
    joint = np.asarray(topic_correct, bool) & np.asarray(stance_correct, bool)
    qs = np.linspace(0.0, 1.0, candidates + 1)
    best = (-1.0, REVIEW_ALL, REVIEW_ALL)
    for t in np.unique(np.quantile(tc, qs)):
        keep_t = tc >= t
        for s in np.unique(np.quantile(sc, qs)):
            accepted = keep_t & (sc >= s)
            n = accepted.sum()
            if n and joint[accepted].mean() >= target and n / len(tc) > best[0]:
                best = (n / len(tc), float(t), float(s))
    return {"topic": best[1], "stance": best[2]}


def routing_metrics(
    topic_conf: np.ndarray,
    stance_conf: np.ndarray,
    topic_correct: np.ndarray,
    stance_correct: np.ndarray,
    thresholds: dict[str, float],
) -> dict:
    """Coverage and precision of the predictions that are *not* sent to review."""
    accepted = (np.asarray(topic_conf) >= thresholds["topic"]) & (
        np.asarray(stance_conf) >= thresholds["stance"]
    )
    n = int(accepted.sum())
    tc = np.asarray(topic_correct, dtype=bool)
    sc = np.asarray(stance_correct, dtype=bool)

    def prec(mask: np.ndarray) -> float:
        return float(mask[accepted].mean()) if n else float("nan")

    return {
        "coverage": float(accepted.mean()) if accepted.size else 0.0,
        "accepted": n,
        "topic_precision": prec(tc),
        "stance_precision": prec(sc),
        "joint_precision": prec(tc & sc),
    }


def flat_metrics(prefix: str, metrics: dict[str, dict], routing: dict | None = None) -> dict:
    """``{prefix}_topic_macro_f1``-style flat dict of the headline numbers."""
    out = {}
    for head, m in metrics.items():
        out[f"{prefix}_{head}_accuracy"] = m["accuracy"]
        out[f"{prefix}_{head}_macro_f1"] = m["macro_f1"]
        out[f"{prefix}_{head}_ece"] = m["ece"]
    if routing:
        for k, v in routing.items():
            out[f"{prefix}_review_{k}"] = v
    return out


def top_labels(proba: np.ndarray, classes: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The most probable label of every row, and its probability."""
    return [classes[i] for i in proba.argmax(axis=1)], proba.max(axis=1)


def score_heads(
    truth: Mapping[str, Sequence[str]],
    pred: Mapping[str, Sequence[str]],
    conf: dict[str, np.ndarray],
) -> tuple[dict, dict[str, np.ndarray]]:
    """``head_metrics`` of every head, and per head which predictions were right."""
    details, correct = {}, {}
    for head in truth:
        correct[head] = np.array(
            [a == b for a, b in zip(truth[head], pred[head], strict=True)], dtype=bool
        )
        details[head] = head_metrics(head, truth[head], pred[head], conf[head])
    return details, correct


def evaluate_predictions(
    records, predictions, thresholds: dict[str, float], prefix: str = "eval"
) -> dict:
    """Metrics of predictions against labelled records.

    Returns a flat dict of headline numbers (``{prefix}_topic_macro_f1`` …) plus
    ``details`` (per-head per-class tables and confusion matrices) and ``review``.
    """
    heads = ("topic", "stance")
    truth = {h: [getattr(r, h) for r in records] for h in heads}
    pred = {h: [getattr(p, h) for p in predictions] for h in heads}
    conf = {h: np.array([getattr(p, f"{h}_confidence") for p in predictions]) for h in heads}
    details, correct = score_heads(truth, pred, conf)
    routing = routing_metrics(
        conf["topic"], conf["stance"], correct["topic"], correct["stance"], thresholds
    )
    # Routing at the model's own flag, which also counts texts flagged for other reasons.
    flagged = np.array([p.needs_review for p in predictions], dtype=bool)
    routing["flagged_share"] = float(flagged.mean()) if flagged.size else 0.0
    return {
        "n": len(records),
        **flat_metrics(prefix, details, routing),
        "details": details,
        "review": routing,
    }

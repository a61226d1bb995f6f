"""Plain-text rendering of library results for people at a terminal (used by the CLI)."""

from __future__ import annotations

from nlp_pipeline.model.predictor import Prediction
from nlp_pipeline.taxonomy import HEADS, describe


def _terms(items: list[dict]) -> str:
    return "、".join(i["term"].replace(" ", "") for i in items) or "—"


def prediction_text(pred: Prediction) -> str:
    """Several lines a bureau clerk can read: labels, confidences, review flag, why."""
    if pred.no_opinion:
        return (
            "无实质意见 (no opinion): 这条回答没有提出意见，不分主题和立场，不需要复核。\n"
            "(answers such as 无、无意见、同上 get no topic and no stance)"
        )
    assert pred.topic is not None and pred.stance is not None  # only no-opinion has none
    lines = [
        f"主题 topic:   {describe('topic', pred.topic)}  置信度 {pred.topic_confidence:.2f}",
        f"立场 stance:  {describe('stance', pred.stance)}  置信度 {pred.stance_confidence:.2f}",
        f"人工复核 review: {'需要 (yes)' if pred.needs_review else '不需要 (no)'}",
    ]
    for reason in pred.review_reasons:
        lines.append(f"  - {reason}")
    if pred.explanation:
        lines.append(f"主题依据 why topic:  {_terms(pred.explanation['topic'])}")
        lines.append(f"立场依据 why stance: {_terms(pred.explanation['stance'])}")
    if pred.alternatives:
        alts = pred.alternatives["topic"][1:]
        if alts:
            lines.append(
                "其他可能 alternatives: "
                + "，".join(f"{a['zh']} {a['confidence']:.2f}" for a in alts)
            )
    return "\n".join(lines)


def metrics_table(head: str, m: dict) -> str:
    """Per-class precision/recall/F1 and the confusion matrix of one head."""
    names = HEADS[head]
    lines = [
        f"== {'主题' if head == 'topic' else '立场'} {head}: accuracy {m['accuracy']:.3f}  "
        f"macro-F1 {m['macro_f1']:.3f}  ECE {m['ece']:.3f}",
        f"{'类别 class':<28}{'precision':>10}{'recall':>10}{'F1':>8}{'support':>9}",
    ]
    for lab in m["labels"]:
        pc = m["per_class"][lab]
        lines.append(
            f"{names[lab] + ' (' + lab + ')':<28}{pc['precision']:>10.3f}{pc['recall']:>10.3f}"
            f"{pc['f1']:>8.3f}{pc['support']:>9d}"
        )
    lines.append("混淆矩阵 confusion (rows = true, columns = predicted):")
    header = "".join(f"{names[lab][:4]:>8}" for lab in m["labels"])
    lines.append(f"{'':<12}{header}")
    for lab, row in zip(m["labels"], m["confusion"], strict=True):
        lines.append(f"{names[lab][:6]:<12}" + "".join(f"{v:>8d}" for v in row))
    return "\n".join(lines)

"""How a model does on real citizens' messages: the real dev set (evaluation only).

    python benchmarks/real_messages.py [MODEL_DIR ...] [--dev PATH] [--json]

The real dev set (``../shared/realdev/real_dev.jsonl``, 134 messages from a city's online
message board, labelled under docs/LABELS.md) is never trained on and never copied into
this repository; its licence allows no redistribution. This script only reads it and
prints figures: topic and stance accuracy and macro-F1, the review routing (coverage and
the share of messages not sent to review whose labels are both right), and the stance
confusion. Without MODEL_DIR it scores the current default model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO  # noqa: E402

DEV = REPO.parent / "shared" / "realdev" / "real_dev.jsonl"


def load_dev(path: Path = DEV) -> list[dict]:
    if not path.is_file():
        sys.exit(f"{path}: the real dev set is not here (it is not part of the repository)")
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def score(model_dir: str | Path | None, records: list[dict]) -> dict:
    """Figures of one model on labelled records (no text is printed or kept)."""
    from sklearn.metrics import f1_score

    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.model.registry import resolve_model

    predictor = Predictor(resolve_model(model_dir))
    preds = predictor.predict([r["text"] for r in records])
    out: dict = {"model": predictor.version, "n": len(records)}
    right = {}
    for head in ("topic", "stance"):
        truth = [r[head] for r in records]
        guess = [getattr(p, head) or "" for p in preds]
        right[head] = [a == b for a, b in zip(truth, guess, strict=True)]
        out[f"{head}_accuracy"] = sum(right[head]) / len(records)
        present = sorted(set(truth) | set(guess) - {""})
        out[f"{head}_macro_f1"] = f1_score(
            truth, guess, labels=present, average="macro", zero_division=0
        )
    kept = [i for i, p in enumerate(preds) if not p.needs_review]
    out["coverage"] = len(kept) / len(records)
    out["both_right_not_reviewed"] = (
        sum(right["topic"][i] and right["stance"][i] for i in kept) / len(kept) if kept else None
    )
    out["both_right_all"] = sum(a and b for a, b in zip(*right.values(), strict=True)) / len(
        records
    )
    out["no_opinion"] = sum(p.no_opinion for p in preds)
    out["stance_confusion"] = {
        f"{t}->{g}": n
        for (t, g), n in sorted(
            Counter((r["stance"], p.stance) for r, p in zip(records, preds, strict=True)).items()
        )
    }
    out["topic_confusion"] = {
        f"{t}->{g}": n
        for (t, g), n in sorted(
            Counter((r["topic"], p.topic) for r, p in zip(records, preds, strict=True)).items()
        )
        if t != g
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=[None])
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    records = load_dev(args.dev)
    for model in args.models:
        result = score(model, records)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
            continue
        print(f"== {result['model']}  real dev set ({result['n']})")
        for key in ("topic_accuracy", "topic_macro_f1", "stance_accuracy", "stance_macro_f1"):
            print(f"  {key:26} {result[key]:.3f}")
        print(f"  {'coverage (not reviewed)':26} {result['coverage']:.3f}")
        both = result["both_right_not_reviewed"]
        print(f"  {'both right, not reviewed':26} {'—' if both is None else f'{both:.3f}'}")
        print(f"  {'both right, all':26} {result['both_right_all']:.3f}")
        print(f"  stance confusion: {result['stance_confusion']}")
        print(f"  topic errors: {result['topic_confusion']}")


if __name__ == "__main__":
    main()

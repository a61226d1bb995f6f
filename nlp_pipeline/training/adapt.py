"""A bureau's own labelled messages: how much they weigh, and how well a model does on them.

Labelling about a hundred of its own messages is the strongest lever a bureau has (see the
README's learning curve). Against 5,000+ corpus records a hundred samples are drowned
unless they weigh more; how much more is chosen here by cross-validation *over the added
samples*: for each candidate weight, every added sample is scored by a model trained on
the corpus plus the other added samples (never itself), and the weight with the best
topic + stance accuracy wins. Those out-of-fold predictions are also the honest "after"
column of the retraining gate on the bureau's own data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from nlp_pipeline.data.corpus import Record
from nlp_pipeline.text.normalize import prepare_many
from nlp_pipeline.text.tokens import token_cache
from nlp_pipeline.training.config import TrainConfig
from nlp_pipeline.training.fit import HEAD_NAMES, _fold, _run, count_blocks, sample_weights

# Candidate weights of one added sample against one corpus record.
WEIGHTS = (1.0, 3.0, 10.0, 30.0)
DEFAULT_WEIGHT = 3.0
# Fewer added samples than this: no cross-validation (the estimate would be noise).
MIN_FOR_CV = 20
FOLDS = 5


@dataclass
class WeightChoice:
    """The chosen weight and the evidence for it."""

    weight: float
    scores: dict[float, dict[str, float]] = field(default_factory=dict)
    """Per candidate weight: out-of-fold topic and stance accuracy on the added samples."""
    oof: dict[str, list[str]] = field(default_factory=dict)
    """Out-of-fold predicted labels of the added samples at the chosen weight, per head."""
    reason: str = ""

    def to_meta(self) -> dict:
        return {
            "weight": self.weight,
            "reason": self.reason,
            "cv_scores": {str(w): s for w, s in self.scores.items()},
        }


def accuracy(truth: Sequence[str], guess: Sequence[str]) -> float:
    return float(np.mean([a == b for a, b in zip(truth, guess, strict=True)])) if truth else 0.0


def choose_weight(
    corpus: Sequence[Record],
    added: Sequence[Record],
    config: TrainConfig,
    *,
    weights: Sequence[float] = WEIGHTS,
    folds: int = FOLDS,
    n_jobs: int = 1,
) -> WeightChoice:
    """Cross-validate the weight of ``added`` against ``corpus`` (see the module docstring)."""
    n_added = len(added)
    if n_added < MIN_FOR_CV:
        return WeightChoice(
            DEFAULT_WEIGHT,
            reason=f"{n_added} 条新样本，少于 {MIN_FOR_CV} 条，不做交叉验证，用默认权重 "
            f"(too few added samples for cross-validation: default weight)",
        )
    records = list(corpus) + list(added)
    labels = {h: [getattr(r, h) for r in records] for h in HEAD_NAMES}
    with token_cache():
        blocks = count_blocks(prepare_many([r.text for r in records]), config.features)
    base = np.arange(len(corpus))
    added_idx = np.arange(len(corpus), len(records))
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(added_idx)
    parts = [order[k::folds] for k in range(folds)]
    jobs, keys = [], []
    for w in weights:
        # the rule the final fit uses (training.fit.sample_weights): every added sample,
        # earlier ones in the corpus included, weighs ``w``
        sample_w = sample_weights(records, with_weight(config, w)) or [1.0] * len(records)
        for part in parts:
            train_idx = np.sort(np.concatenate([base, np.setdiff1d(added_idx, part)]))
            jobs.append((_fold, (blocks, labels, train_idx, part, config, sample_w)))
            keys.append((w, part))
    results = _run(jobs, n_jobs)
    classes = {h: sorted(set(labels[h])) for h in HEAD_NAMES}
    preds: dict[float, dict[str, dict[int, str]]] = {
        w: {h: {} for h in HEAD_NAMES} for w in weights
    }
    for (w, part), scores in zip(keys, results, strict=True):
        for h in HEAD_NAMES:
            s = np.asarray(scores[h])
            best = s.argmax(axis=1) if s.ndim == 2 else (s > 0).astype(int)
            for i, k in zip(part, best, strict=True):
                preds[w][h][int(i)] = classes[h][k]
    truth = {h: [getattr(r, h) for r in added] for h in HEAD_NAMES}
    table, oof = {}, {}
    for w in weights:
        oof[w] = {h: [preds[w][h][int(i)] for i in added_idx] for h in HEAD_NAMES}
        table[w] = {f"{h}_accuracy": accuracy(truth[h], oof[w][h]) for h in HEAD_NAMES}
    # best mean accuracy; on a tie the smaller weight (the corpus keeps more say)
    chosen = max(weights, key=lambda w: (sum(table[w].values()), -w))
    return WeightChoice(
        chosen,
        table,
        oof[chosen],
        reason=f"{folds} 折交叉验证，按新样本上的主题+立场准确率选择 "
        f"({folds}-fold cross-validation over the {n_added} added samples)",
    )


def with_weight(config: TrainConfig, weight: float) -> TrainConfig:
    """``config`` with ``added_weight`` set."""
    return replace(config, added_weight=float(weight))


def score_records(predictions: Sequence, records: Sequence[Record]) -> dict[str, float]:
    """Topic, stance and both-right accuracy of predictions (objects or label dicts)."""

    def get(p, h: str) -> str:
        return p[h] if isinstance(p, dict) else getattr(p, h)

    out = {
        f"{h}_accuracy": accuracy(
            [getattr(r, h) for r in records], [get(p, h) for p in predictions]
        )
        for h in HEAD_NAMES
    }
    out["both_accuracy"] = accuracy(
        [f"{r.topic}|{r.stance}" for r in records],
        [f"{get(p, 'topic')}|{get(p, 'stance')}" for p in predictions],
    )
    out["n"] = len(records)
    return out

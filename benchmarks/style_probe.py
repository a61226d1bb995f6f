"""How much topic a text's style alone tells, in the corpus and in real messages.

    python benchmarks/style_probe.py [--dev PATH] [--seeds 5]

The style probe of tests/test_corpus.py (a logistic regression on length, punctuation and
a fixed list of function words) is asked three things:

1. the corpus check: trained on corpora/train.jsonl, topic macro-F1 on corpora/test.jsonl
   (six topics, chance about 0.17);
2. does the corpus' style–topic link carry over to real messages? The same probe, scored
   on the real dev set: a probe that learned writers' fingerprints scores at chance or
   below there;
3. how much topic real citizens' style carries by itself: the probe cross-validated
   *within* the real dev set, on its four topics with at least 15 messages (chance 0.25),
   next to the same probe cross-validated within as many corpus letters of those topics.

The real dev set (evaluation only, never in the repository) is only read; throwaway
probes are fitted on its folds for (3), as the learning-curve benchmark does.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import read_records  # noqa: E402
from real_messages import DEV, load_dev  # noqa: E402

from tests.test_corpus import style_features  # noqa: E402


def probe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced", C=0.1)
    )


def features(records: list[dict]) -> np.ndarray:
    return np.array([style_features(r["text"]) for r in records])


def within(records: list[dict], seeds: int) -> list[float]:
    """Cross-validated probe macro-F1 within one set of records, one figure per seed."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, y = features(records), [r["topic"] for r in records]
    out = []
    for seed in range(seeds):
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        out.append(f1_score(y, cross_val_predict(probe(), X, y, cv=folds), average="macro"))
    return out


def main() -> None:
    from sklearn.metrics import f1_score

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    train, test = read_records("train.jsonl"), read_records("test.jsonl")
    dev = load_dev(args.dev)

    # the test's probe (C=1) for the corpus check, as tests/test_corpus.py fits it
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(features(train))
    check = LogisticRegression(max_iter=2000, class_weight="balanced")
    check.fit(scaler.transform(features(train)), [r["topic"] for r in train])
    corpus_f1 = f1_score(
        [r["topic"] for r in test], check.predict(scaler.transform(features(test))), average="macro"
    )
    on_dev = check.predict(scaler.transform(features(dev)))
    dev_f1 = f1_score([r["topic"] for r in dev], on_dev, average="macro")
    print(f"1. corpus check (train → test, 6 topics):         macro-F1 {corpus_f1:.3f}")
    print(f"2. corpus probe on real messages (6 topics):      macro-F1 {dev_f1:.3f}")

    counts = Counter(r["topic"] for r in dev)
    topics = sorted(t for t, n in counts.items() if n >= 15)
    real = [r for r in dev if r["topic"] in topics]
    letters = [r for r in train + test if r["topic"] in topics and r.get("register") == "letter"]
    rng = random.Random(0)
    sample = []
    for topic in topics:  # as many corpus letters per topic as real messages
        pool = [r for r in letters if r["topic"] == topic]
        sample += rng.sample(pool, min(len(pool), counts[topic]))
    r_scores, c_scores = within(real, args.seeds), within(sample, args.seeds)
    print(f"3. within-set probe, {len(topics)} topics {topics} (chance {1 / len(topics):.2f}):")
    print(
        f"   real messages (n={len(real)}):   macro-F1 {np.mean(r_scores):.3f} "
        f"(seeds {min(r_scores):.3f}–{max(r_scores):.3f})"
    )
    print(
        f"   corpus letters (n={len(sample)}):  macro-F1 {np.mean(c_scores):.3f} "
        f"(seeds {min(c_scores):.3f}–{max(c_scores):.3f})"
    )


if __name__ == "__main__":
    main()

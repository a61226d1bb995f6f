"""Pick the feature ranges and C by 5-fold cross-validation on corpora/train.jsonl.

    python benchmarks/select_features.py

Prints out-of-fold macro-F1 of both heads for each grid point, and the per-comment
feature count (the batch path's cost grows with it). The test split is not used.
"""

from __future__ import annotations

import itertools
import time

from _common import read_records, save
from sklearn.metrics import f1_score

from nlp_pipeline.text.tokens import token_cache
from nlp_pipeline.training.config import FeatureConfig, HeadConfig, TrainConfig
from nlp_pipeline.training.fit import out_of_fold

GRID = {
    "word_ngram_max": [1, 2],
    "char": [(1, 2), (1, 3), (2, 3), (2, 4)],
    "C": [0.25, 0.5, 1.0],
}


def main() -> None:
    records = read_records("train.jsonl")
    texts = [r["text"] for r in records]
    labels = {h: [r[h] for r in records] for h in ("topic", "stance")}
    rows = []
    with token_cache():
        for wmax, (cmin, cmax), C in itertools.product(
            GRID["word_ngram_max"], GRID["char"], GRID["C"]
        ):
            cfg = TrainConfig(
                features=FeatureConfig(
                    word_ngram_max=wmax, char_ngram_min=cmin, char_ngram_max=cmax
                ),
                topic=HeadConfig(C=C),
                stance=HeadConfig(C=C),
            )
            t = time.perf_counter()
            oof = out_of_fold(texts, labels, cfg)
            row = {
                "word_ngram_max": wmax,
                "char_ngram": [cmin, cmax],
                "C": C,
                "seconds": round(time.perf_counter() - t, 1),
            }
            for h, proba in oof.items():
                classes = sorted(set(labels[h]))
                pred = [classes[i] for i in proba.argmax(axis=1)]
                row[f"cv_{h}_macro_f1"] = round(f1_score(labels[h], pred, average="macro"), 4)
            rows.append(row)
            print(row, flush=True)
    best = max(rows, key=lambda r: r["cv_topic_macro_f1"] + r["cv_stance_macro_f1"])
    print("best:", best)
    print(save("select_features", {"grid": GRID, "results": rows, "best": best}))


if __name__ == "__main__":
    main()

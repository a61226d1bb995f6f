"""Retraining time on the shipped corpus plus 10,000 added records, per phase.

    python benchmarks/retrain_time.py [--added 10000]

Load data only, never corpus data: the 10,000 "added" records are made by joining two
corpus texts of the same topic x stance cell (distinct texts, realistic lengths), and the
run happens in a temporary copy of corpora/ and a temporary models folder, so the real
corpus and models are untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import CORPUS, REPO, save


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--added", type=int, default=10_000)
    args = parser.parse_args()
    from nlp_pipeline.training.retrain import retrain

    train = [
        json.loads(x) for x in (CORPUS / "train.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    cells = defaultdict(list)
    for r in train:
        cells[(r["topic"], r["stance"])].append(r["text"])
    rng = random.Random(3)
    keys = sorted(cells)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpora"
        corpus.mkdir()
        for name in ("train.jsonl", "test.jsonl"):
            shutil.copy(CORPUS / name, corpus / name)
        root = tmp / "models"
        shutil.copytree(REPO / "models" / "default", root / "default")
        added = tmp / "added.jsonl"
        seen = set()
        with open(added, "w", encoding="utf-8") as fh:
            while len(seen) < args.added:
                topic, stance = keys[len(seen) % len(keys)]
                a, b = rng.sample(cells[(topic, stance)], 2)
                text = f"{a} {b}"
                if text not in seen:
                    seen.add(text)
                    fh.write(
                        json.dumps(
                            {"text": text, "topic": topic, "stance": stance}, ensure_ascii=False
                        )
                        + "\n"
                    )
        os.environ["OPINIONS_MODELS_DIR"] = str(root)
        t = time.perf_counter()
        out = retrain([added], corpus_dir=corpus, root=root, promote=False)
        total = time.perf_counter() - t
    phases = {k: round(v, 2) for k, v in out.timings.items()}
    result = {
        "n_train": out.meta["n_train"],
        "added": args.added,
        "total_s": round(total, 2),
        "phases_s": phases,
        "target_s": 30,
    }
    print(json.dumps(result, indent=2))
    print(save("retrain_time", result))


if __name__ == "__main__":
    main()

"""Assemble the writers' hand-written draft files into corpora/train.jsonl and test.jsonl.

Run once when the corpus was written (the drafts are the writers' working files):

    python corpora/tools/assemble.py DRAFT.jsonl [DRAFT.jsonl ...]

What it does, deterministically:
- validates every record (labels in the guide, non-empty text) and drops exact duplicates
  after normalisation and near-duplicates within the corpus (bigram Jaccard > 0.8);
- groups records whose bigram Jaccard is >= 0.6 so a group never straddles the split;
- puts ~15% of each topic x stance cell in the test split (seeded shuffle);
- assigns ids ``op-00001`` … in a shuffled order (so ids reveal neither writer nor split).
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from nlp_pipeline.taxonomy import parse_label
from nlp_pipeline.text.normalize import normalize
from nlp_pipeline.text.similarity import similar_pairs

SEED = 20261127
TEST_SHARE = 0.15
HERE = Path(__file__).resolve().parent.parent


def load(paths: list[str]) -> list[dict]:
    records, seen = [], set()
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            text = obj["text"].strip()
            rec = {
                "text": text,
                "topic": parse_label("topic", obj["topic"]),
                "stance": parse_label("stance", obj["stance"]),
                "source": obj.get("source", "written"),
            }
            if obj.get("note"):
                rec["note"] = obj["note"]
            key = normalize(text)
            if not key or key in seen:
                print(f"drop exact duplicate {path}:{number}", file=sys.stderr)
                continue
            seen.add(key)
            records.append(rec)
    return records


def main(paths: list[str]) -> None:
    records = load(paths)
    texts = [r["text"] for r in records]
    drop = set()
    for i, j, s in similar_pairs(texts, threshold=0.8):
        if i not in drop:
            drop.add(j)
            print(
                f"drop near-duplicate ({s:.2f}): {texts[j][:30]} ~ {texts[i][:30]}", file=sys.stderr
            )
    records = [r for k, r in enumerate(records) if k not in drop]
    texts = [r["text"] for r in records]
    # Union-find over pairs >= 0.6: such groups go to one split together.
    parent = list(range(len(records)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _s in similar_pairs(texts, threshold=0.6):
        parent[find(i)] = find(j)
    groups = defaultdict(list)
    for k in range(len(records)):
        groups[find(k)].append(k)
    rng = random.Random(SEED)
    by_cell = defaultdict(list)
    for members in groups.values():
        first = records[members[0]]
        by_cell[(first["topic"], first["stance"])].append(members)
    test_idx = set()
    for cell in sorted(by_cell):
        cell_groups = by_cell[cell]
        rng.shuffle(cell_groups)
        target = round(TEST_SHARE * sum(len(g) for g in cell_groups))
        taken = 0
        for g in cell_groups:
            if taken >= target:
                break
            test_idx.update(g)
            taken += len(g)
    order = list(range(len(records)))
    rng.shuffle(order)
    splits = {"train": [], "test": []}
    for n, k in enumerate(order, 1):
        rec = {"id": f"op-{n:05d}", **records[k]}
        splits["test" if k in test_idx else "train"].append(rec)
    for name, recs in splits.items():
        recs.sort(key=lambda r: r["id"])
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8", newline="\n") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(recs)} records", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Print the datasheet's count and length tables from corpora/*.jsonl (pasted between the
markers in corpora/README.md; tests/test_corpus.py recomputes and compares them)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from nlp_pipeline.taxonomy import STANCES, TOPICS

HERE = Path(__file__).resolve().parent.parent


def load(name: str) -> list[dict]:
    return [
        json.loads(x) for x in (HERE / name).read_text(encoding="utf-8").splitlines() if x.strip()
    ]


def count_table(train: list[dict], test: list[dict]) -> str:
    c = {
        name: Counter((r["topic"], r["stance"]) for r in recs)
        for name, recs in (("train", train), ("test", test))
    }
    lines = ["| topic | stance | train | test | total |", "|---|---|---:|---:|---:|"]
    for t, tz in TOPICS.items():
        for s, sz in STANCES.items():
            a, b = c["train"][(t, s)], c["test"][(t, s)]
            lines.append(f"| `{t}` {tz} | `{s}` {sz} | {a} | {b} | {a + b} |")
    lines.append(f"| **all** | | {len(train)} | {len(test)} | {len(train) + len(test)} |")
    return "\n".join(lines)


REGISTERS = {
    "v1": "v1 (mixed registers, first corpus)",
    "letter": "message-board letter 网上留言/信箱",
    "hotline": "hotline work order 12345/110 转办",
    "form": "door-to-door form answer 走访征询表",
    "social": "social-media post 微博/微信",
    "thanks": "letter of thanks 感谢信/锦旗",
    "spoken": "spoken complaint 口头反映",
}


def register_table(train: list[dict], test: list[dict]) -> str:
    """Records per register × stance and split (every register carries every stance)."""
    from nlp_pipeline.taxonomy import STANCES

    lines = [
        "| register | " + " | ".join(f"`{s}`" for s in STANCES) + " | train | test |",
        "|---|" + "---:|" * (len(STANCES) + 2),
    ]
    for reg, name in REGISTERS.items():
        both = [r for r in train + test if r.get("register") == reg]
        per = Counter(r["stance"] for r in both)
        a = sum(r.get("register") == reg for r in train)
        b = sum(r.get("register") == reg for r in test)
        lines.append(f"| {name} | " + " | ".join(str(per[s]) for s in STANCES) + f" | {a} | {b} |")
    return "\n".join(lines)


def length_table(records: list[dict]) -> str:
    bins = [(1, 12), (13, 50), (51, 100), (101, 150), (151, 200), (201, 10_000)]
    lengths = [len(r["text"]) for r in records]
    lines = ["| characters | records | share |", "|---|---:|---:|"]
    for lo, hi in bins:
        n = sum(lo <= x <= hi for x in lengths)
        label = f"{lo}–{hi}" if hi < 10_000 else f"> {lo - 1}"
        lines.append(f"| {label} | {n} | {n / len(lengths):.1%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    train, test = load("train.jsonl"), load("test.jsonl")
    allr = train + test
    print(count_table(train, test))
    print()
    print(length_table(allr))
    print()
    print(register_table(train, test))
    hard = sum(str(r.get("note", "")).startswith("hard") for r in allr)
    print(
        f"\nhard cases: {hard} ({hard / len(allr):.1%}); over 150 chars: "
        f"{sum(len(r['text']) > 150 for r in allr) / len(allr):.1%}; "
        f"source report: {sum(r['source'] == 'report' for r in allr)}"
    )

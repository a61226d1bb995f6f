"""Check a writer's draft file: JSON, labels, register, lengths, cell counts, cue words.

    python corpora/tools/check_draft.py DRAFTS/wN.jsonl

What corpus writers run on their own file while they write (drafts stay outside the
repository until ``assemble.py`` takes them in). Prints the bad lines, then counts per
topic × stance, lengths per register, and the share of each stance's records holding the
cue words a model could learn a stance from.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from assemble import REGISTERS as OPINION_REGISTERS  # the registers the assembler accepts

from nlp_pipeline.taxonomy import STANCES as STANCE_NAMES
from nlp_pipeline.taxonomy import TOPICS as TOPIC_NAMES

TOPICS = list(TOPIC_NAMES)
STANCES = list(STANCE_NAMES)
REGISTERS = [*sorted(OPINION_REGISTERS), "no_opinion"]
CUES = {
    "suggestion": ["建议", "能否", "能不能"],
    "praise": ["感谢", "谢谢"],
    "inquiry": ["请问", "咨询", "了解"],
    "criticism": ["为什么", "不满", "恳请", "希望"],
}


def problem(record: dict) -> str | None:
    if record.get("register") not in REGISTERS:
        return f"register {record.get('register')!r} not in {REGISTERS}"
    if record["register"] == "no_opinion":
        return None
    if record.get("topic") not in TOPICS or record.get("stance") not in STANCES:
        return f"bad topic/stance {record.get('topic')!r}/{record.get('stance')!r}"
    if not str(record.get("text", "")).strip():
        return "empty text"
    return None


def main(path: str) -> None:
    records, bad = [], 0
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                print(f"line {number}: not JSON: {exc}")
                bad += 1
                continue
            why = problem(record)
            if why:
                print(f"line {number}: {why}")
                bad += 1
                continue
            records.append(record)
    dups = [t for t, n in Counter(r["text"] for r in records).items() if n > 1]
    print(f"{len(records)} records, {bad} bad lines, {len(dups)} exact duplicates")
    print("by register:", dict(Counter(r["register"] for r in records)))
    opinions = [r for r in records if r["register"] != "no_opinion"]
    cells = Counter((r["topic"], r["stance"]) for r in opinions)
    print(" " * 18 + "".join(f"{s:>12}" for s in STANCES))
    for topic in TOPICS:
        print(f"{topic:18}" + "".join(f"{cells[(topic, s)]:>12}" for s in STANCES))
    for register in REGISTERS:
        lengths = sorted(len(r["text"]) for r in opinions if r["register"] == register)
        if lengths:
            print(
                f"length {register:8} n={len(lengths):4} min={lengths[0]} "
                f"median={lengths[len(lengths) // 2]} max={lengths[-1]} "
                f"over200={sum(x > 200 for x in lengths)}"
            )
    print("cue words: share of records of each stance containing the word")
    for words in CUES.values():
        for word in words:
            shares = []
            for stance in STANCES:
                mine = [r for r in opinions if r["stance"] == stance]
                share = sum(word in r["text"] for r in mine) / max(1, len(mine))
                shares.append(f"{stance}={share:.2f}")
            print(f"  {word:4} " + "  ".join(shares))


if __name__ == "__main__":
    main(sys.argv[1])

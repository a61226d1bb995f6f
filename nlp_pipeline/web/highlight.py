"""The words behind a decision, marked in the comment's text (as segments; escaping is the template's)."""

from __future__ import annotations

HEAD_CLASS = {"topic": "t", "stance": "s"}


def segments(text: str, explanation: dict[str, list[dict]]) -> list[tuple[str, str]]:
    """Split ``text`` into ``(segment, css class)``: "" plain, "t" topic, "s" stance, "ts" both.

    Explanation terms come from the normalised text; a word bigram ("加强 巡逻") marks each
    of its words.
    """
    marks = [""] * len(text)
    folded = text.lower()
    if len(folded) != len(text):
        folded = text
    for head, cls in HEAD_CLASS.items():
        for item in explanation.get(head, []):
            for piece in str(item.get("term", "")).lower().split():
                if not piece:
                    continue
                start = folded.find(piece)
                while start != -1:
                    for i in range(start, start + len(piece)):
                        if cls not in marks[i]:
                            marks[i] = "".join(sorted(marks[i] + cls, key="ts".index))
                    start = folded.find(piece, start + len(piece))
    out: list[tuple[str, str]] = []
    for ch, mark in zip(text, marks, strict=True):
        if out and out[-1][1] == mark:
            out[-1] = (out[-1][0] + ch, mark)
        else:
            out.append((ch, mark))
    return out

"""The columns ``opinions classify`` adds to every row: what writers write and readers read back.

``opinions report`` and ``opinions train --add`` read these files, so the names are defined
once, here, apart from the code that classifies.
"""

from __future__ import annotations

OUTPUT_FIELDS = [
    "topic",
    "topic_zh",
    "topic_confidence",
    "stance",
    "stance_zh",
    "stance_confidence",
    "needs_review",
    "no_opinion",
    "error",
]
ZH_HEADERS = {
    "topic_zh": "主题",
    "topic_confidence": "主题置信度",
    "stance_zh": "立场",
    "stance_confidence": "立场置信度",
    "needs_review": "需人工复核",
    "no_opinion": "无实质意见",
    "error": "错误说明",
}
"""``--headers zh``: the Chinese output columns (ids dropped, yes/no as 是/否)."""
YES, NO = "是", "否"
LABEL_COLUMNS = {
    head: (f"{head}_zh", ZH_HEADERS[f"{head}_zh"], head) for head in ("topic", "stance")
}
"""Columns holding each head's label in a classified file (``--headers id`` or ``zh``), the
one that wins a disagreement first: the Chinese name a person reads and corrects."""
FIELD_ALIASES = {
    name: (name, ZH_HEADERS[name])
    for name in ("topic_confidence", "stance_confidence", "needs_review", "no_opinion", "error")
}
"""``--headers id`` and ``--headers zh`` names of the other output fields."""

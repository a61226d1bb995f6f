"""Labelled files from users (.jsonl, .csv, .tsv, .xlsx): read and validate, row by row.

Used by ``opinions train --add`` and ``opinions evaluate``. Labels may be ids
(``public_order``) or Chinese names (``治安管理``, ``批评``). Nothing stops at the first
problem: every bad row is reported with its file and row number.

A classified file corrected by a reviewer has each label twice (``topic`` and ``topic_zh``):
the corrected value is the one in whichever column differs from the other, which cannot
be told apart — so a row whose two columns disagree is an issue ("disagree"), never
resolved silently; the user makes them agree (or deletes one column) and runs again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp_pipeline.data.corpus import Record
from nlp_pipeline.errors import InputError, LabelError, where
from nlp_pipeline.text.no_opinion import is_no_opinion
from nlp_pipeline.text.normalize import normalize

TOPIC_COLUMNS = ("topic", "主题", "主题分类", "类别", "分类", "topic_zh")
STANCE_COLUMNS = ("stance", "立场", "意见类型", "意见性质", "性质", "stance_zh")


@dataclass
class LabelIssue:
    """One problem in a labelled file."""

    path: str
    row: int
    kind: str  # parse | empty | label | duplicate | conflict | test
    message: str

    def __str__(self) -> str:
        return f"{where(self.path, self.row)}{self.message}"


@dataclass
class LabelledFile:
    path: str
    records: list[Record] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    issues: list[LabelIssue] = field(default_factory=list)
    no_opinion_rows: list[int] = field(default_factory=list)
    """Rows whose text states no opinion (无, 同上): not trained on, whatever their labels."""
    columns: list[str] = field(default_factory=list)
    unreviewed_rows: list[int] = field(default_factory=list)
    """Rows of a file with a review column (已复核) that are not marked reviewed: skipped."""


# A column saying which rows a person has reviewed (see ``opinions train --add`` in the README).
REVIEW_COLUMNS = ("reviewed", "已复核", "复核", "是否复核")
_YES = {"是", "yes", "y", "true", "1", "✓", "√", "已复核", "已核"}


def _marked(value: object) -> bool:
    """A review cell that says yes (是 / yes / true / 1 / ✓)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return str(value or "").strip().lower() in _YES


def _pick(columns: Sequence[str], names: Iterable[str], what: str, path: str) -> str:
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    raise InputError(
        f"{path}: 找不到{what}列 (no {what} column); 现有列 columns found: {', '.join(columns) or '(none)'}"
    )


def _unneutralize(value: object) -> object:
    """Undo the apostrophe our CSV/XLSX writers put before ``=``, ``+``, ``-``, ``@`` …

    A labelling sheet written by ``opinions suggest`` comes back with it; the corpus must
    get the comment as the citizen wrote it.
    """
    from nlp_pipeline.io.writers import restore_formula

    return restore_formula(value)


def read_labelled(
    path: str | Path, *, text_column: str | None = None, encoding: str | None = None
) -> LabelledFile:
    """Read a labelled file; rows with problems become issues, the rest records."""
    from nlp_pipeline.io.readers import find_text_column, open_table
    from nlp_pipeline.taxonomy import parse_label

    path_s = str(path)
    out = LabelledFile(path_s)
    with open_table(path, encoding=encoding) as table:
        out.columns = list(table.columns)
        review_col = next((c for c in table.columns if c.strip() in REVIEW_COLUMNS), None)
        text_col = find_text_column(table.columns, text_column, path=path_s)
        topic_col = _pick(table.columns, TOPIC_COLUMNS, "topic 主题", path_s)
        stance_col = _pick(table.columns, STANCE_COLUMNS, "stance 立场", path_s)
        twins: dict[str, list[str]] = {
            "topic": [c for c in ("topic", "topic_zh") if c in table.columns],
            "stance": [c for c in ("stance", "stance_zh") if c in table.columns],
        }
        for row in table.rows():
            if row.error:
                out.issues.append(LabelIssue(path_s, row.number, "parse", row.error))
                continue
            if review_col is not None and not _marked(row.values.get(review_col)):
                out.unreviewed_rows.append(row.number)
                continue
            text = _unneutralize(row.values.get(text_col))
            if not isinstance(text, str) or not text.strip():
                out.issues.append(LabelIssue(path_s, row.number, "empty", "文本为空 (empty text)"))
                continue
            if is_no_opinion(text):
                out.no_opinion_rows.append(row.number)
                continue
            try:
                topic = parse_label("topic", row.values.get(topic_col))
                stance = parse_label("stance", row.values.get(stance_col))
                disagree = _disagreement(twins, row.values)
            except LabelError as exc:
                out.issues.append(LabelIssue(path_s, row.number, "label", str(exc)))
                continue
            if disagree:
                out.issues.append(LabelIssue(path_s, row.number, "disagree", disagree))
                continue
            rid = row.values.get("id")
            out.records.append(
                Record(text.strip(), topic, stance, str(rid) if rid else "", "added")
            )
            out.rows.append(row.number)
    return out


def _disagreement(twins: dict[str, list[str]], values: dict) -> str | None:
    """Why the id and Chinese columns of a corrected row disagree, or None."""
    from nlp_pipeline.taxonomy import parse_label

    for head, columns in twins.items():
        filled = [(c, values.get(c)) for c in columns if str(values.get(c) or "").strip()]
        if len(filled) == 2:
            (a, va), (b, vb) = filled
            if parse_label(head, va) != parse_label(head, vb):
                return (
                    f"{a}={va} 与 {b}={vb} 不一致：复核时只改了其中一列？请把两列改成一致 "
                    f"(the {a} and {b} columns disagree; make them agree)"
                )
    return None


def check_against(
    files: Sequence[LabelledFile], corpus: Sequence[Record], frozen_test: Sequence[Record] = ()
) -> list[tuple[Record, str, int]]:
    """Find duplicates, conflicts and test-split texts; return accepted (record, path, row).

    A duplicate is a text (after normalisation) already present with the same labels, in
    the corpus or earlier in the added files; a conflict is the same text with other labels;
    a text of the frozen test split may not be trained on (its scores would lie). Each
    becomes an issue on its file.
    """
    test_texts = {normalize(r.text) for r in frozen_test}
    seen: dict[str, tuple[str, str, str]] = {}
    for r in corpus:
        seen.setdefault(normalize(r.text), (r.topic, r.stance, "语料 corpus"))
    accepted = []
    for f in files:
        for rec, row in zip(f.records, f.rows, strict=True):
            key = normalize(rec.text)
            prior = seen.get(key)
            if key in test_texts:
                f.issues.append(
                    LabelIssue(
                        f.path,
                        row,
                        "test",
                        "此文本在冻结的测试集中，不能用于训练 (text is in the frozen test split)",
                    )
                )
            elif prior is None:
                seen[key] = (rec.topic, rec.stance, f"{Path(f.path).name} 第 {row} 行")
                accepted.append((rec, f.path, row))
            elif prior[:2] == (rec.topic, rec.stance):
                f.issues.append(
                    LabelIssue(f.path, row, "duplicate", f"与{prior[2]}重复 (duplicate)")
                )
            else:
                f.issues.append(
                    LabelIssue(
                        f.path,
                        row,
                        "conflict",
                        f"与{prior[2]}文本相同但标注不同 (conflict: {prior[0]}/{prior[1]} vs {rec.topic}/{rec.stance})",
                    )
                )
    return accepted

"""Which unlabelled comments to label next: uncertainty sampling, with a diverse batch.

``opinions suggest`` reads comments nobody has labelled yet, scores each by how unsure the
current model is about it, and returns the ``n`` most uncertain ones — leaving out empty
texts, exact duplicates and near-duplicates of a comment already picked — so that the
people labelling spend their time where the model learns most. ``write_suggestions``
turns the batch into a file ready to label (Excel with drop-downs, CSV or JSONL) that
``opinions train --add`` reads back.
"""

from __future__ import annotations

import hashlib
import heapq
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp_pipeline.errors import OutputError, where
from nlp_pipeline.taxonomy import GUIDE_RULES, STANCE_GUIDE, STANCES, TOPIC_GUIDE, TOPICS

NEAR_DUPLICATE = 0.6
"""Bigram Jaccard at or above which a comment counts as a near-duplicate of a picked one."""
CHUNK_ROWS = 1000
POOL_FACTOR = 20
MIN_POOL = 1000
ID_COLUMNS = ("id", "编号", "序号", "ID")

SHEET_TODO = "待标注"
SHEET_GUIDE = "标注说明"
ROW, ID, TEXT, TOPIC, STANCE = "row", "id", "text", "topic", "stance"
HINT_TOPIC, HINT_STANCE, UNCERTAINTY = "模型猜测主题", "模型猜测立场", "不确定度"

INSTRUCTIONS: tuple[str, ...] = (
    f"在「{SHEET_TODO}」表的 topic（主题）和 stance（立场）两列填写标注，可从下拉框选中文名，也可填英文 id。",
    f"「{HINT_TOPIC}」「{HINT_STANCE}」是模型的猜测和把握（0–1），只供参考；这些意见正是模型最拿不准的。",
    "拿不准或不是意见的行，整行删除即可；不要改动 text 列和表头。",
    "row 是原文件中的行号；填好后保存为 .xlsx，运行: opinions train --add 本文件.xlsx",
)


@dataclass
class Suggestion:
    """One comment worth labelling, with the model's current guess."""

    row: int
    """Row of the input: line (CSV, JSONL, TXT) or sheet row (XLSX); position for a list."""
    text: str
    topic: str
    topic_confidence: float
    stance: str
    stance_confidence: float
    uncertainty: float
    """1 − topic_confidence × stance_confidence (see :func:`suggest`)."""
    id: str = ""
    runner_up: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Per head, the second most likely label and its probability."""

    def to_dict(self) -> dict:
        return {
            "row": self.row,
            "id": self.id,
            "text": self.text,
            "topic": self.topic,
            "topic_zh": TOPICS[self.topic],
            "topic_confidence": round(self.topic_confidence, 6),
            "stance": self.stance,
            "stance_zh": STANCES[self.stance],
            "stance_confidence": round(self.stance_confidence, 6),
            "uncertainty": round(self.uncertainty, 6),
            "runner_up": {h: [lab, round(p, 6)] for h, (lab, p) in self.runner_up.items()},
        }


@dataclass
class SuggestResult:
    """The picked batch and what was left out on the way."""

    suggestions: list[Suggestion]
    n_rows: int = 0
    """Rows read (including skipped ones)."""
    n_empty: int = 0
    n_duplicate: int = 0
    """Exact duplicates (same text after normalisation) of an earlier row."""
    n_similar: int = 0
    """Uncertain comments passed over as near-duplicates of one already picked."""
    n_errors: int = 0
    """Rows the reader could not parse."""
    errors: list[str] = field(default_factory=list)
    """The first few parse errors, for the user."""


def suggest(
    texts_or_path: Sequence[str] | str | os.PathLike[str],
    model_dir: str | os.PathLike[str] | None = None,
    n: int = 50,
    *,
    text_column: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> list[Suggestion]:
    """The ``n`` unlabelled comments the model is least sure about, most uncertain first.

    ``texts_or_path`` is a list of comments or an input table (.csv .tsv .txt .jsonl
    .xlsx, ``"-"`` for stdin; its text column is found by name or ``text_column``).
    ``model_dir`` is a model directory or version name (None: the default model).

    **Uncertainty** is ``1 − p_topic × p_stance``, where ``p_head`` is the calibrated
    probability of the label the model would give. A comment needs both labels, and a
    person's work on it teaches the model about both heads, so the score combines them;
    under calibration the product is the chance that both guesses are right, making the
    score the model's own estimate that labelling it corrects at least one mistake. Unlike
    ``max`` over the per-head scores it does not let the six-class topic head (whose
    least-confidence runs higher than the three-class stance head's) always dominate, and
    unlike the smallest margin it uses the whole distribution, matching how the review
    threshold routes comments (on the top probability).

    Empty texts and exact duplicates (same text after normalisation) are skipped. Going
    down the ranking, a comment whose character-bigram Jaccard with one already picked is
    ``>= 0.6`` is passed over, so the batch is diverse. Ties keep input order. Only the
    ``max(20 n, 1000)`` most uncertain comments are kept while reading, so memory stays
    flat for large files; if near-duplicates eat that whole pool, fewer than ``n`` come back.
    """
    return select(
        texts_or_path, model_dir, n, text_column=text_column, sheet=sheet, encoding=encoding
    ).suggestions


def select(
    texts_or_path: Sequence[str] | str | os.PathLike[str],
    model_dir: str | os.PathLike[str] | None = None,
    n: int = 50,
    *,
    text_column: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SuggestResult:
    """:func:`suggest` with counts of what was skipped (used by ``opinions suggest``)."""
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.model.registry import resolve_model

    if n < 1:
        raise ValueError("n must be at least 1")
    predictor = Predictor(resolve_model(model_dir))
    result = SuggestResult([])
    pool = _Pool(max(POOL_FACTOR * n, MIN_POOL))
    seen: set[bytes] = set()
    if isinstance(texts_or_path, (str, os.PathLike)):
        rows = _table_rows(texts_or_path, text_column, sheet, encoding, result)
    else:
        rows = ((i, t, "") for i, t in enumerate(texts_or_path, start=1))
    for chunk in _chunks(rows, CHUNK_ROWS):
        result.n_rows += len(chunk)
        _score_chunk(predictor, chunk, seen, pool, result)
        if progress is not None:
            progress(result.n_rows)
    result.suggestions = _diverse(pool.ranked(), n, result)
    return result


# ---------------------------------------------------------------------------------------
# Reading and scoring


def _table_rows(
    path: str | os.PathLike[str],
    text_column: str | None,
    sheet: str | None,
    encoding: str | None,
    result: SuggestResult,
) -> Iterator[tuple[int, object, str]]:
    from nlp_pipeline.io.readers import find_text_column, open_table

    with open_table(path, encoding=encoding, sheet=sheet) as table:
        column = find_text_column(table.columns, text_column, path=os.fspath(path))
        id_column = next((c for c in ID_COLUMNS if c in table.columns and c != column), None)
        for row in table.rows():
            if row.error:
                result.n_errors += 1
                if len(result.errors) < 5:
                    result.errors.append(row.error)
                continue
            rid = row.values.get(id_column, "") if id_column else ""
            yield row.number, row.values.get(column), "" if rid is None else str(rid)


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _score_chunk(predictor, chunk, seen: set[bytes], pool: _Pool, result: SuggestResult) -> None:
    from nlp_pipeline.text.normalize import prepare

    kept, prepared = [], []
    for number, text, rid in chunk:
        if not isinstance(text, str) or not text.strip():
            result.n_empty += 1
            continue
        norm = prepare(text)[0]
        if not norm:
            result.n_empty += 1
            continue
        key = hashlib.blake2b(norm.encode("utf-8"), digest_size=16).digest()
        if key in seen:
            result.n_duplicate += 1
            continue
        seen.add(key)
        kept.append((number, text, rid))
        prepared.append(norm)
    if not kept:
        return
    proba = predictor.probabilities(prepared)
    for i, (number, text, rid) in enumerate(kept):
        guesses = {}
        for head in ("topic", "stance"):
            p = proba[head][i]
            order = p.argsort()[::-1]
            labels = predictor.labels[head]
            guesses[head] = [(labels[k], float(p[k])) for k in order[:2]]
        (topic, p_topic), (stance, p_stance) = guesses["topic"][0], guesses["stance"][0]
        suggestion = Suggestion(
            row=number,
            text=text,
            topic=topic,
            topic_confidence=p_topic,
            stance=stance,
            stance_confidence=p_stance,
            uncertainty=1.0 - p_topic * p_stance,
            id=rid,
            runner_up={h: g[1] for h, g in guesses.items() if len(g) > 1},
        )
        pool.push(suggestion)


class _Pool:
    """The ``size`` most uncertain suggestions seen so far (ties: earlier rows win)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[tuple[float, int, Suggestion]] = []
        self._seq = 0

    def push(self, s: Suggestion) -> None:
        self._seq += 1
        item = (s.uncertainty, -self._seq, s)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, item)
        elif item[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, item)

    def ranked(self) -> list[Suggestion]:
        return [s for _u, _seq, s in sorted(self._heap, key=lambda x: x[:2], reverse=True)]


def _diverse(ranked: list[Suggestion], n: int, result: SuggestResult) -> list[Suggestion]:
    """Greedy walk down the ranking, passing over near-duplicates of what is picked."""
    from nlp_pipeline.text.similarity import bigrams, jaccard

    picked: list[Suggestion] = []
    picked_grams: list[set[str]] = []
    for s in ranked:
        if len(picked) >= n:
            break
        grams = bigrams(s.text)
        if any(jaccard(grams, other) >= NEAR_DUPLICATE for other in picked_grams):
            result.n_similar += 1
            continue
        picked.append(s)
        picked_grams.append(grams)
    return picked


# ---------------------------------------------------------------------------------------
# Files to label


def label_columns(suggestions: Sequence[Suggestion]) -> list[str]:
    """Columns of a file to label; ``id`` only when the input had ids."""
    columns = [ROW, TEXT, TOPIC, STANCE, HINT_TOPIC, HINT_STANCE, UNCERTAINTY]
    if any(s.id for s in suggestions):
        columns.insert(1, ID)
    return columns


def _hint(s: Suggestion, head: str) -> str:
    names = TOPICS if head == "topic" else STANCES
    label, conf = (
        (s.topic, s.topic_confidence) if head == "topic" else (s.stance, s.stance_confidence)
    )
    text = f"{names[label]} {conf:.2f}"
    second = s.runner_up.get(head)
    if second is not None:
        text += f" / {names[second[0]]} {second[1]:.2f}"
    return text


def label_rows(suggestions: Sequence[Suggestion]) -> list[dict]:
    """One row per suggestion, topic and stance left empty for a person to fill in."""
    return [
        {
            ROW: s.row,
            ID: s.id,
            TEXT: s.text,
            TOPIC: "",
            STANCE: "",
            HINT_TOPIC: _hint(s, "topic"),
            HINT_STANCE: _hint(s, "stance"),
            UNCERTAINTY: round(s.uncertainty, 3),
        }
        for s in suggestions
    ]


def write_suggestions(suggestions: Sequence[Suggestion], path: str | os.PathLike[str]) -> Path:
    """Write a file ready to label; the format follows the extension.

    * ``.xlsx``: sheet 待标注 (row, text, empty topic and stance with drop-downs of the
      Chinese names, the model's guesses as hints) and sheet 标注说明 (allowed ids and
      names, what each covers, the deciding rules of docs/LABELS.md).
    * ``.csv`` (UTF-8 with BOM, for Excel) and ``.jsonl``: the same columns, nothing else;
      the allowed values are listed in the README.

    Written atomically. Once topic and stance are filled in (ids or Chinese names),
    :func:`nlp_pipeline.data.labelled.read_labelled` reads the file back.
    """
    columns = label_columns(suggestions)
    rows = label_rows(suggestions)
    target = os.fspath(path)
    if target != "-" and Path(target).suffix.lower() == ".xlsx":
        _write_xlsx(target, columns, rows)
        return Path(target)
    if target != "-" and Path(target).suffix.lower() not in (".csv", ".jsonl"):
        shown = Path(target).suffix or "（没有扩展名）"
        raise OutputError(f"{where(target)}不支持的文件类型 {shown}；支持: .xlsx .csv .jsonl")
    from nlp_pipeline.io.writers import open_writer

    with open_writer(target, columns) as writer:
        writer.write_rows(rows)
    return Path(target)


def _write_xlsx(path: str, columns: list[str], rows: list[dict]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from nlp_pipeline.io.writers import xlsx_text

    wb = Workbook()
    todo = wb.active
    todo.title = SHEET_TODO
    todo.append(columns)
    for row in rows:
        todo.append([row.get(c) for c in columns])
    for cells in todo.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.value = xlsx_text(cell.value)
                cell.data_type = "s"  # text, never a formula
    bold = Font(bold=True)
    for cell in todo[1]:
        cell.font = bold
    todo.freeze_panes = "A2"
    widths = {TEXT: 70, TOPIC: 18, STANCE: 12, HINT_TOPIC: 30, HINT_STANCE: 22}
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        todo.column_dimensions[letter].width = widths.get(name, 10)
        if name == TEXT:
            for cell in todo[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = max(len(rows) + 1, 2)
    for name, names, what in ((TOPIC, TOPICS, "主题"), (STANCE, STANCES, "立场")):
        letter = get_column_letter(columns.index(name) + 1)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(names.values()) + '"',
            allow_blank=True,
            errorStyle="warning",
            errorTitle=f"不在{what}列表中",
            error=f"请从下拉框选择{what}，或填写英文 id（见「{SHEET_GUIDE}」表）。",
            promptTitle=f"{what} {name}",
            prompt="从下拉框选择",
        )
        dv.showErrorMessage = True
        dv.showInputMessage = True
        todo.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{last}")

    guide = wb.create_sheet(SHEET_GUIDE)
    guide.append(["标注说明 How to label"])
    guide["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTIONS:
        guide.append([line])
    guide.append([])
    start = guide.max_row + 1
    guide.append(["主题 topic", "中文名（下拉框）", "包括"])
    for label, zh in TOPICS.items():
        guide.append([label, zh, TOPIC_GUIDE[label]])
    guide.append([])
    guide.append(["立场 stance", "中文名（下拉框）", "这条意见主要是"])
    for label, zh in STANCES.items():
        guide.append([label, zh, STANCE_GUIDE[label]])
    guide.append([])
    guide.append(["判断规则（docs/LABELS.md）"])
    for line in GUIDE_RULES:
        guide.append([line])
    for row in guide.iter_rows(min_row=start):
        if row[0].value in ("主题 topic", "立场 stance", "判断规则（docs/LABELS.md）"):
            for cell in row:
                cell.font = bold
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 22
    guide.column_dimensions["C"].width = 100
    _save_atomic(wb, path)


def _save_atomic(workbook, path: str) -> None:
    """Save under a temporary name beside ``path``, then move it onto ``path``."""
    from nlp_pipeline.io.atomic import atomic_write
    from nlp_pipeline.io.xlsx_guard import save_workbook

    atomic_write(path, lambda temp: save_workbook(workbook, temp))

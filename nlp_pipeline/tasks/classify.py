"""Batch classification: every input row gives exactly one output row, in input order.

Rows are read, classified and written in chunks, so memory stays flat whatever the file
size; with ``jobs > 1`` the chunks are classified in parallel worker processes (joblib),
each of which loads the model and the whole jieba dictionary once. The output is identical
whatever the number of jobs.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from nlp_pipeline.errors import OutputError
from nlp_pipeline.taxonomy import STANCES, TOPICS

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
CHUNK_ROWS = 4000
ERROR_EMPTY = "文本为空 (empty text)"
ERROR_NOT_TEXT = "不是文本 (not a string)"

# (model directory, content key) -> Predictor, one per process (workers keep theirs).
_worker_predictors: dict[tuple[str, str], object] = {}


def _predictor_for(model_dir: str, key: str):
    """One Predictor per process and model content, with the whole dictionary loaded once.

    ``key`` is :func:`~nlp_pipeline.model.format.content_key` read when the run started: a
    directory replaced in place (a rebuilt default model) gets a new key, so a cached
    Predictor of the old content is never used for it.
    """
    predictor = _worker_predictors.get((model_dir, key))
    if predictor is None:
        from nlp_pipeline.model.predictor import Predictor
        from nlp_pipeline.text.segment import warm_up

        warm_up()
        predictor = Predictor(model_dir)
        for stale in [k for k in _worker_predictors if k[0] == model_dir]:
            del _worker_predictors[stale]
        _worker_predictors[(model_dir, key)] = predictor
    return predictor


def _empty_result(error: str) -> dict:
    out = dict.fromkeys(OUTPUT_FIELDS, "")
    out["needs_review"] = True
    out["no_opinion"] = False
    out["error"] = error
    return out


def classify_chunk(model_dir: str, texts: list[object], key: str) -> list[tuple | str]:
    """Classify one chunk of raw values (runs in a worker process).

    Returns, per value, a compact tuple ``(topic, topic_confidence, stance,
    stance_confidence, needs_review)`` or, for a value that is not usable text, the error
    message — small to send back from a worker.
    """
    predictor = _predictor_for(model_dir, key)
    results: list[tuple | str] = [""] * len(texts)
    todo, positions = [], []
    for i, value in enumerate(texts):
        if not isinstance(value, str):
            results[i] = ERROR_EMPTY if value is None else ERROR_NOT_TEXT
        elif not value.strip():
            results[i] = ERROR_EMPTY
        else:
            todo.append(value)
            positions.append(i)
    for i, row in zip(positions, predictor.predict_rows(todo), strict=True):
        results[i] = row
    return results


def _as_record(result: tuple | str) -> dict:
    """The output fields of one row from what ``classify_chunk`` returned."""
    if isinstance(result, str):
        return _empty_result(result)
    topic, tconf, stance, sconf, review = result
    if topic is None:  # no opinion (无, 无意见, 同上): no labels, nothing to review
        out = dict.fromkeys(OUTPUT_FIELDS, "")
        out.update(needs_review=False, no_opinion=True)
        return out
    return {
        "topic": topic,
        "topic_zh": TOPICS[topic],
        "topic_confidence": round(tconf, 4),
        "stance": stance,
        "stance_zh": STANCES[stance],
        "stance_confidence": round(sconf, 4),
        "needs_review": review,
        "no_opinion": False,
        "error": "",
    }


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def classify_values(
    values: Iterable[object], model_dir: str | Path, *, jobs: int = 1, chunk_rows: int = CHUNK_ROWS
) -> Iterator[dict]:
    """Classify raw values (texts) lazily, in order; one result dict per value."""
    from nlp_pipeline.model.format import content_key

    model_dir = str(model_dir)
    key = content_key(model_dir)
    chunks = _chunks(values, chunk_rows)
    if jobs > 1:
        # Look one chunk ahead: input that fits in one chunk is not worth starting workers.
        head = list(islice(chunks, 2))
        chunks = chain(head, chunks)
        if len(head) < 2:
            jobs = 1
    if jobs == 1:
        for chunk in chunks:
            yield from map(_as_record, classify_chunk(model_dir, chunk, key))
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs")
    for results in parallel(delayed(classify_chunk)(model_dir, c, key) for c in chunks):
        yield from map(_as_record, results)


def classify_texts(
    texts: Iterable[str], model: str | Path | None = None, *, jobs: int = 1
) -> list[dict]:
    """Notebook-friendly: classify texts and return ``[{"text": …, "topic": …, …}]``."""
    from nlp_pipeline.model.registry import resolve_model

    texts = list(texts)
    model_dir = resolve_model(model)
    return [
        {"text": t, **r}
        for t, r in zip(texts, classify_values(texts, model_dir, jobs=jobs), strict=True)
    ]


@dataclass
class BatchSummary:
    """What a batch run did: counts for the closing message."""

    input: str
    output: str
    rows: int = 0
    errors: int = 0
    needs_review: int = 0
    skipped_empty: int = 0
    topics: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    text_column: str = ""

    def lines(self) -> list[str]:
        rate = self.rows / self.seconds if self.seconds else 0.0
        out = [
            f"共 {self.rows} 行 rows, 出错 {self.errors} errors, 需复核 {self.needs_review} need review"
            f" ({self.seconds:.1f} s, {rate:.0f} 行/秒)",
        ]
        if self.skipped_empty:
            out.append(f"跳过完全空白的行 {self.skipped_empty} (blank rows, not data)")
        out.append(
            "主题 topics: "
            + "，".join(f"{zh} {self.topics.get(tid, 0)}" for tid, zh in TOPICS.items())
        )
        return out


def output_columns(input_columns: list[str]) -> tuple[list[str], dict[str, str]]:
    """Output columns = input columns (renamed if they clash) + the prediction fields."""
    renames = {c: f"{c}_input" for c in input_columns if c in OUTPUT_FIELDS}
    return [renames.get(c, c) for c in input_columns] + OUTPUT_FIELDS, renames


def classify_file(
    input_path: str | Path,
    output_path: str | Path = "-",
    *,
    model: str | Path | None = None,
    text_column: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    jobs: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Classify every row of ``input_path`` into ``output_path`` (format from its extension).

    The output is written under a temporary name and renamed at the end; a failed run
    leaves any existing file under the final name untouched.
    """
    from nlp_pipeline.io.readers import find_text_column, open_table
    from nlp_pipeline.io.writers import open_writer, same_file
    from nlp_pipeline.model.registry import resolve_model

    if str(output_path) != "-" and str(input_path) != "-" and same_file(input_path, output_path):
        raise OutputError(
            f"{output_path}: 输出文件不能与输入文件相同 (output would overwrite the input)"
        )
    model_dir = resolve_model(model)
    from nlp_pipeline.model.predictor import Predictor

    Predictor(model_dir)  # fail early, in this process, on a missing or tampered model
    jobs = jobs or os.cpu_count() or 1
    started = time.perf_counter()
    summary = BatchSummary(str(input_path), str(output_path))
    with open_table(input_path, encoding=encoding, sheet=sheet) as table:
        column = find_text_column(table.columns, text_column, path=str(input_path))
        summary.text_column = column
        columns, renames = output_columns(table.columns)
        rows = table.rows()
        pending: deque = deque()  # rows read but not yet written, in order

        def texts() -> Iterator[object]:
            for row in rows:
                pending.append(row)
                yield None if row.error else row.values.get(column)

        with open_writer(output_path, columns) as writer:
            buffer = []
            for result in classify_values(texts(), model_dir, jobs=jobs, chunk_rows=chunk_rows):
                row = pending.popleft()
                if renames:
                    out = {renames.get(c, c): row.values.get(c, "") for c in table.columns}
                else:  # the reader's dict is ours and already in column order
                    out = row.values
                if row.error:
                    result = _empty_result(row.error)
                out.update(result)
                summary.rows += 1
                summary.errors += bool(out["error"])
                summary.needs_review += bool(out["needs_review"])
                if out["topic"]:
                    summary.topics[out["topic"]] += 1
                buffer.append(out)
                if len(buffer) >= chunk_rows:
                    writer.write_rows(buffer)
                    buffer = []
                    if progress:
                        progress(summary.rows)
            writer.write_rows(buffer)
            if progress:
                progress(summary.rows)
        summary.skipped_empty = table.skipped_empty
    summary.seconds = time.perf_counter() - started
    return summary

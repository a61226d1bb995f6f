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
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from nlp_pipeline.errors import OutputError
from nlp_pipeline.io.schema import NO, OUTPUT_FIELDS, YES, ZH_HEADERS
from nlp_pipeline.taxonomy import STANCES, TOPICS

CHUNK_ROWS = 4000
NOT_TEXT_SAMPLE = 1000
"""Rows looked at before classifying to tell whether the text column holds text."""
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
        _ignore_ctrl_c_in_workers()
        from nlp_pipeline.model.predictor import Predictor
        from nlp_pipeline.text.segment import warm_up

        warm_up()
        predictor = Predictor(model_dir)
        for stale in [k for k in _worker_predictors if k[0] == model_dir]:
            del _worker_predictors[stale]
        _worker_predictors[(model_dir, key)] = predictor
    return predictor


def _ignore_ctrl_c_in_workers() -> None:
    """Ctrl-C reaches every process of the terminal; only the main one handles it (cleanly)."""
    import multiprocessing
    import signal

    if multiprocessing.parent_process() is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start the worker processes with Ctrl-C ignored (inherited), so only the main process
    reacts to it — cleanly, with one message — not every worker with a traceback."""
    import signal

    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _empty_result(error: str) -> dict:
    out: dict[str, object] = dict.fromkeys(OUTPUT_FIELDS, "")
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
        out: dict[str, object] = dict.fromkeys(OUTPUT_FIELDS, "")
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
    with _workers_ignore_ctrl_c():
        results_of = parallel(delayed(classify_chunk)(model_dir, c, key) for c in chunks)
    try:
        for results in results_of:
            yield from map(_as_record, results)
    except BaseException:  # Ctrl-C, an error while writing, the consumer stopping early
        _quiet_pool_shutdown()
        results_of.close()
        raise


def _quiet_pool_shutdown() -> None:
    """A pool stopped early reports cancelled tasks at length; the user only needs one line."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", module="joblib")
    for name in ("concurrent.futures", "joblib", "loky"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


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


def not_text_warning(column: str, values: list[object]) -> str | None:
    """A warning when the chosen column holds short, repeated values (town names), not text."""
    texts = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if len(texts) < 10:
        return None
    lengths = sorted(len(t) for t in texts)
    median = lengths[len(lengths) // 2]
    distinct = len(set(texts))
    if median > 6 or distinct > len(texts) / 2:
        return None
    shown = "、".join(t for t, _n in Counter(texts).most_common(3))
    return (
        f"注意：文本列 {column!r} 看起来不像意见文本——前 {len(texts)} 行只有 {distinct} 个不同的值，"
        f"多为 {median} 个字左右（如 {shown}）。分类结果会没有意义；"
        "请用 --text-column 指定意见内容所在的列 (the text column looks like short repeated values)"
    )


@dataclass
class BatchSummary:
    """What a batch run did: counts for the closing message.

    ``needs_review`` counts classified rows (not error rows) that need review, the same
    number ``opinions report`` shows.
    """

    input: str
    output: str
    rows: int = 0
    errors: int = 0
    needs_review: int = 0
    no_opinion: int = 0
    skipped_empty: int = 0
    topics: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    text_column: str = ""
    header_row: int | None = None
    skipped_above: int = 0
    footer_rows: list[tuple[int, str]] = field(default_factory=list)
    undecodable_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    date_formats: dict[int, dict[str, int | str]] = field(default_factory=dict)
    """Input column position → kind of value → number format of its dates (XLSX input)."""

    def lines(self) -> list[str]:
        rate = self.rows / self.seconds if self.seconds else 0.0
        out = [
            f"共 {self.rows:,} 行 rows, 出错 {self.errors:,} errors, 需复核 {self.needs_review:,} need review"
            f", 无实质意见 {self.no_opinion:,} no opinion"
            f" ({self.seconds:.1f} s, {rate:,.0f} 行/秒)",
        ]
        if self.skipped_above:
            out.append(
                f"表头在第 {self.header_row} 行，跳过上方 {self.skipped_above} 行标题 "
                f"(header found on row {self.header_row}; --header-row N to choose another)"
            )
        if self.footer_rows:
            shown = "；".join(f"第 {n} 行「{t[:30]}」" for n, t in self.footer_rows[:5])
            out.append(
                f"表尾 {len(self.footer_rows)} 行不是意见，未分类 (footer rows left out): {shown}"
            )
        if self.undecodable_lines:
            out.append(
                f"{self.undecodable_lines} 行无法解码，已记为出错行 (undecodable lines → error rows)"
            )
        if self.skipped_empty:
            out.append(f"跳过完全空白的行 {self.skipped_empty} (blank rows, not data)")
        out.append(
            "主题 topics: "
            + "，".join(f"{zh} {self.topics.get(tid, 0)}" for tid, zh in TOPICS.items())
        )
        return out


def output_columns(
    input_columns: list[str], headers: str = "id"
) -> tuple[list[str], dict[str, str]]:
    """Output columns = input columns (renamed if they clash) + the prediction fields."""
    fields = OUTPUT_FIELDS if headers == "id" else list(ZH_HEADERS.values())
    renames = {c: f"{c}_input" for c in input_columns if c in fields}
    return [renames.get(c, c) for c in input_columns] + fields, renames


def zh_record(result: dict) -> dict:
    """The prediction fields of one row under ``--headers zh``: Chinese names, 是/否."""
    out = {}
    for key, name in ZH_HEADERS.items():
        value = result[key]
        out[name] = (YES if value else NO) if isinstance(value, bool) else value
    return out


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
    header_row: int | None = None,
    encoding_errors: str = "strict",
    headers: str = "id",
    warn: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Classify every row of ``input_path`` into ``output_path`` (format from its extension).

    The output is written under a temporary name and renamed at the end; a failed run
    leaves any existing file under the final name untouched. ``header_row`` names the
    header's row (found by itself otherwise: title rows above it are skipped, footer rows
    below the data left out and listed in the summary); ``encoding_errors="rows"`` turns
    lines that do not decode into error rows; ``headers="zh"`` writes Chinese column names
    (主题, 立场, 需人工复核 是/否 …) instead of the ids. ``warn`` receives warnings before
    classification starts (a text column that looks like town names, not text).
    """
    if headers not in ("id", "zh"):
        raise ValueError(f"headers must be 'id' or 'zh', not {headers!r}")
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
    with open_table(
        input_path,
        encoding=encoding,
        sheet=sheet,
        header_row=header_row,
        text_column=text_column,
        encoding_errors=encoding_errors,
    ) as table:
        column = find_text_column(table.columns, text_column, path=str(input_path))
        summary.text_column = column
        summary.header_row, summary.skipped_above = table.header_row, table.skipped_above
        summary.undecodable_lines = table.undecodable_lines
        columns, renames = output_columns(table.columns, headers)
        stream = table.rows()
        head = list(islice(stream, NOT_TEXT_SAMPLE))
        for note in table.notes:  # columns dropped beyond the cap …
            summary.warnings.append(note)
            if warn:
                warn(note)
        warning = not_text_warning(column, [r.values.get(column) for r in head if not r.error])
        if warning:
            summary.warnings.append(warning)
            if warn:
                warn(warning)
        rows = chain(head, stream)
        pending: deque = deque()  # rows read but not yet written, in order

        def texts() -> Iterator[object]:
            for row in rows:
                pending.append(row)
                yield None if row.error else row.values.get(column)

        from nlp_pipeline.io.locks import output_lock
        from nlp_pipeline.io.writers import XlsxLayout
        from nlp_pipeline.model.format import read_meta

        version = read_meta(model_dir).get("version") or Path(model_dir).name
        confidences = ("topic_confidence", "stance_confidence")
        layout = XlsxLayout(
            text_columns=(renames.get(column, column),),
            percent_columns=confidences
            if headers == "id"
            else tuple(ZH_HEADERS[c] for c in confidences),
            keywords=f"opinions-model:{version}",
            date_formats=table.date_formats,  # input columns keep their positions
        )
        summary.date_formats = table.date_formats  # the same dict, filled while reading
        with output_lock(output_path), open_writer(output_path, columns, layout=layout) as writer:
            buffer = []
            for result in classify_values(texts(), model_dir, jobs=jobs, chunk_rows=chunk_rows):
                row = pending.popleft()
                if renames:
                    out = {renames.get(c, c): row.values.get(c, "") for c in table.columns}
                else:  # the reader's dict is ours and already in column order
                    out = row.values
                if row.error:
                    result = _empty_result(row.error)
                summary.rows += 1
                summary.errors += bool(result["error"])
                summary.needs_review += bool(result["needs_review"]) and not result["error"]
                summary.no_opinion += bool(result["no_opinion"])
                if result["topic"]:
                    summary.topics[result["topic"]] += 1
                out.update(result if headers == "id" else zh_record(result))
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
        summary.footer_rows = list(table.footer_rows)
    summary.seconds = time.perf_counter() - started
    return summary

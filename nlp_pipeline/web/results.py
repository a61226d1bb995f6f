"""Uploads, classified rows, corrections and exports: the data behind the pages.

A classification job runs :func:`nlp_pipeline.classify_file` into a JSONL file of the
workspace and loads its rows into the database, so that filtering, sorting and paging
100,000 rows are indexed SQL queries. Corrections made in Review live in their own table;
every export (the classified file, the report, the labelled corrections) applies them on
the way out and is written by the library's own writers (``open_writer``,
``compute_report`` + ``write_report``), which keep formula neutralising and masking.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from nlp_pipeline.errors import InputError
from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.web import db
from nlp_pipeline.web.config import ServeConfig

UPLOAD_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".jsonl": "jsonl"}
PREVIEW_ROWS = 5
LOAD_BATCH = 2000
PER_PAGE = 50
SORTS = {
    "n": "r.n",
    "topic": "topic",
    "stance": "stance",
    "topic_confidence": "r.topic_confidence",
    "stance_confidence": "r.stance_confidence",
}
EXPORTS = {
    # kind: (file suffix, what it is, download name suffix)
    "classified.xlsx": (".xlsx", "分类结果"),
    "classified.csv": (".csv", "分类结果"),
    "report.html": (".html", "分类报告"),
    "report.xlsx": (".xlsx", "分类报告"),
    "report.md": (".md", "分类报告"),
    "labels.xlsx": (".xlsx", "人工标注"),
}
REVIEWED_COLUMN = "reviewed"
"""Added to the classified file: ``corrected`` or ``confirmed`` for rows a person reviewed."""


# ---------------------------------------------------------------------------------------
# Uploads


def upload_format(filename: str) -> str:
    """The table format of an uploaded file, from its extension; InputError otherwise."""
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    fmt = UPLOAD_FORMATS.get(suffix)
    if fmt is None:
        raise InputError(
            f"不支持的文件类型 {suffix or '（没有扩展名）'}；请上传 .xlsx、.csv、.txt 或 .jsonl "
            "(unsupported file type)"
        )
    return fmt


def save_upload(conn: sqlite3.Connection, config: ServeConfig, stream, filename: str) -> dict:
    """Store an upload under a random name, check that it reads, return what the form needs."""
    from nlp_pipeline.web.jobs import new_id

    fmt = upload_format(filename)
    upload_id = new_id()
    stored = f"{upload_id}.{fmt}"
    path = config.folder("uploads") / stored
    stream.save(path)
    size = path.stat().st_size
    try:
        info = inspect_upload(path, fmt, None)
    except InputError as exc:
        path.unlink(missing_ok=True)
        raise InputError(str(exc).replace(str(path), display_name(filename))) from None
    conn.execute(
        "INSERT INTO uploads (id, original_name, stored_name, format, size, created)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (upload_id, display_name(filename), stored, fmt, size, db.now()),
    )
    return {"id": upload_id, "name": display_name(filename), "size": size, **info}


def display_name(filename: str) -> str:
    """The user's file name without any folder part (shown, never used as a path)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:200] or "upload"


def get_upload(conn: sqlite3.Connection, upload_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
    return dict(row) if row else None


def upload_path(config: ServeConfig, upload: dict) -> Path:
    return config.folder("uploads") / upload["stored_name"]


def inspect_upload(path: Path, fmt: str, sheet: str | None) -> dict:
    """Sheets, columns (header found as the CLI finds it), the guessed text column, a preview."""
    from nlp_pipeline.io.readers import find_text_column, open_table

    sheets: list[str] = []
    if fmt == "xlsx":
        sheets = _sheet_names(path)
    with open_table(path, sheet=sheet, fmt=fmt) as table:
        columns = list(table.columns)
        try:
            text_column = find_text_column(columns)
        except InputError:
            text_column = None
        preview = []
        for row in table.rows():
            preview.append({c: _cell(row.values.get(c)) for c in columns})
            if len(preview) >= PREVIEW_ROWS:
                break
    return {
        "format": fmt,
        "sheets": sheets,
        "sheet": sheet or (sheets[0] if sheets else None),
        "columns": columns,
        "text_column": text_column,
        "preview": preview,
    }


def _sheet_names(path: Path) -> list[str]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - open_table says what is wrong with the file
        return []
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def estimate_rows(path: Path, fmt: str, sheet: str | None) -> int | None:
    """An approximate row count for the progress bar (lines, or the sheet's dimension)."""
    try:
        if fmt == "xlsx":
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True)
            try:
                ws = workbook[sheet] if sheet else workbook.worksheets[0]
                return max((ws.max_row or 1) - 1, 0) or None
            finally:
                workbook.close()
        with open(path, "rb") as fh:
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        return max(lines - (fmt in ("csv", "tsv")), 0) or None
    except Exception:  # noqa: BLE001 - only an estimate
        return None


# ---------------------------------------------------------------------------------------
# Classification job


def run_classify(conn: sqlite3.Connection, config: ServeConfig, job: dict, reporter) -> dict:
    """``opinions classify`` on the upload, then the rows into the database."""
    from nlp_pipeline.model.registry import resolve_model
    from nlp_pipeline.tasks.classify import classify_file, output_columns

    params = job["params"]
    upload = get_upload(conn, params["upload_id"])
    if upload is None:
        raise InputError("上传的文件已不存在 (the upload is gone)")
    source = upload_path(config, upload)
    target = config.folder("results") / f"{job['id']}.jsonl"
    total = estimate_rows(source, upload["format"], params.get("sheet"))
    reporter.rows(0, total, force=True)
    model_dir = resolve_model(None)

    def progress(done: int) -> None:
        reporter.rows(done, max(total or 0, done))

    try:
        summary = classify_file(
            source,
            target,
            model=model_dir,
            text_column=params["text_column"],
            sheet=params.get("sheet"),
            jobs=config.classify_jobs,
            chunk_rows=500,
            progress=progress,
        )
    except InputError as exc:
        raise InputError(str(exc).replace(str(source), upload["original_name"])) from None
    reporter.rows(summary.rows, summary.rows, force=True)
    conn.execute("UPDATE jobs SET message = ? WHERE id = ?", ("载入结果 loading", job["id"]))
    from nlp_pipeline.io.readers import open_table

    with open_table(source, sheet=params.get("sheet"), fmt=upload["format"]) as table:
        columns, renames = output_columns(table.columns)
    text_key = renames.get(summary.text_column, summary.text_column)
    _load_rows(conn, job["id"], target, text_key)
    other = [c for c in columns[: len(table.columns)] if c != text_key]
    from nlp_pipeline.model.predictor import Predictor

    return {
        "rows": summary.rows,
        "errors": summary.errors,
        "needs_review": summary.needs_review,
        "skipped_empty": summary.skipped_empty,
        "topics": dict(summary.topics),
        "seconds": round(summary.seconds, 2),
        "text_column": text_key,
        "columns": columns,
        "other_columns": other,
        "values": {c: _common_values(conn, job["id"], c) for c in other},
        "model_dir": str(model_dir),
        "model_version": Predictor(model_dir).version,
        "upload_name": upload["original_name"],
        "date_formats": {str(k): v for k, v in summary.date_formats.items()},
    }


MAX_LISTED_VALUES = 200


def _common_values(conn: sqlite3.Connection, job_id: str, column: str) -> list[str]:
    """The values of a column, most frequent first, when it has few (乡镇, 派出所); else []."""
    rows = conn.execute(
        "SELECT json_extract(data, ?) AS v, COUNT(*) AS k FROM rows WHERE job_id = ?"
        " GROUP BY v ORDER BY k DESC LIMIT ?",
        (json_path(column), job_id, MAX_LISTED_VALUES + 1),
    ).fetchall()
    if len(rows) > MAX_LISTED_VALUES:
        return []
    return [str(v) for v, _ in rows if v not in (None, "")]


def _load_rows(conn: sqlite3.Connection, job_id: str, path: Path, text_key: str) -> None:
    def records() -> Iterator[tuple]:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                row = json.loads(line)
                text = row.get(text_key)
                yield (
                    job_id,
                    n,
                    "" if text is None else str(text),
                    row.get("topic") or "",
                    row.get("stance") or "",
                    row.get("topic_confidence") or None,
                    row.get("stance_confidence") or None,
                    int(bool(row.get("needs_review"))),
                    int(bool(row.get("no_opinion"))),
                    row.get("error") or "",
                    line,
                )

    it = records()
    while True:
        batch = [r for _, r in zip(range(LOAD_BATCH), it, strict=False)]
        if not batch:
            break
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
        conn.execute("COMMIT")


# ---------------------------------------------------------------------------------------
# Queries


def query_rows(
    conn: sqlite3.Connection,
    job: dict,
    *,
    topic: str = "",
    stance: str = "",
    review: str = "",
    column: str = "",
    value: str = "",
    q: str = "",
    sort: str = "n",
    desc: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[list[dict], int]:
    """One page of a job's rows (corrections applied) and the number of rows matching."""
    where, args = ["r.job_id = ?"], [job["id"]]
    if topic == "-":
        where.append("COALESCE(c.topic, r.topic) = ''")
    elif topic in TOPICS:
        where.append("COALESCE(c.topic, r.topic) = ?")
        args.append(topic)
    if stance == "-":
        where.append("COALESCE(c.stance, r.stance) = ''")
    elif stance in STANCES:
        where.append("COALESCE(c.stance, r.stance) = ?")
        args.append(stance)
    if review == "yes":
        where.append("r.needs_review = 1")
    elif review == "no":
        where.append("r.needs_review = 0")
    elif review == "reviewed":
        where.append("c.n IS NOT NULL")
    elif review == "open":
        where.append("r.needs_review = 1 AND c.n IS NULL")
    other = (job.get("result") or {}).get("other_columns", [])
    if column in other and value:
        where.append("json_extract(r.data, ?) = ?")
        args += [json_path(column), value]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("r.text LIKE ? ESCAPE '\\'")
        args.append(f"%{escaped}%")
    order = SORTS.get(sort)
    order_args: list = []
    if order is None and sort in other:
        order, order_args = "json_extract(r.data, ?)", [json_path(sort)]
    order = order or "r.n"
    direction = "DESC" if desc else "ASC"
    base = (
        "FROM rows r LEFT JOIN corrections c ON c.job_id = r.job_id AND c.n = r.n"
        f" WHERE {' AND '.join(where)}"
    )
    total = conn.execute(f"SELECT COUNT(*) {base}", args).fetchone()[0]
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = conn.execute(
        f"{SELECT_ROW} {base} ORDER BY {order} {direction}, r.n {direction} LIMIT ? OFFSET ?",
        [*args, *order_args, per_page, (page - 1) * per_page],
    ).fetchall()
    return [_row(r, other) for r in rows], total


SELECT_ROW = (
    "SELECT r.job_id, r.n, r.text, r.topic_confidence, r.stance_confidence, r.needs_review,"
    " r.no_opinion, r.error, r.data, COALESCE(c.topic, r.topic) AS topic,"
    " COALESCE(c.stance, r.stance) AS stance, r.topic AS model_topic, r.stance AS model_stance,"
    " c.n IS NOT NULL AS reviewed"
)


def json_path(column: str) -> str:
    return "$." + json.dumps(column, ensure_ascii=False)


def _row(r: sqlite3.Row, other: list[str]) -> dict:
    row = dict(r)
    data = json.loads(row.pop("data"))
    row["others"] = {c: _cell(data.get(c)) for c in other}
    row["topic_zh"] = TOPICS.get(row["topic"], "")
    row["stance_zh"] = STANCES.get(row["stance"], "")
    return row


def review_numbers(conn: sqlite3.Connection, job_id: str) -> list[int]:
    """Row numbers the model flagged for review, in file order (reviewed ones stay listed)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT n FROM rows WHERE job_id = ? AND needs_review = 1 ORDER BY n", (job_id,)
        )
    ]


def get_row(conn: sqlite3.Connection, job: dict, n: int) -> dict | None:
    r = conn.execute(
        SELECT_ROW + " FROM rows r LEFT JOIN corrections c ON c.job_id = r.job_id AND c.n = r.n"
        " WHERE r.job_id = ? AND r.n = ?",
        (job["id"], n),
    ).fetchone()
    return _row(r, (job.get("result") or {}).get("other_columns", [])) if r else None


def save_correction(conn: sqlite3.Connection, job_id: str, n: int, topic: str, stance: str) -> None:
    if topic not in TOPICS or stance not in STANCES:
        raise InputError(f"未知的标签 (unknown label): {topic!r} / {stance!r}")
    conn.execute(
        "INSERT INTO corrections (job_id, n, topic, stance, updated) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (job_id, n) DO UPDATE SET topic = excluded.topic,"
        " stance = excluded.stance, updated = excluded.updated",
        (job_id, n, topic, stance, time.time()),
    )


def count_corrections(conn: sqlite3.Connection, job_id: str | None = None) -> int:
    if job_id is None:
        return conn.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]
    return conn.execute("SELECT COUNT(*) FROM corrections WHERE job_id = ?", (job_id,)).fetchone()[
        0
    ]


def revision(conn: sqlite3.Connection, job_id: str) -> str:
    """Changes whenever the job's corrections change: exports are cached per revision."""
    count, last, labels = conn.execute(
        "SELECT COUNT(*), MAX(updated), GROUP_CONCAT(n || topic || stance) FROM corrections"
        " WHERE job_id = ?",
        (job_id,),
    ).fetchone()
    return hashlib.sha256(f"{count}|{last}|{labels}".encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# Exports


def effective_rows(conn: sqlite3.Connection, job_id: str) -> Iterator[dict]:
    """The classified file's rows with the corrections applied, in file order."""
    cursor = conn.execute(
        "SELECT r.data, c.topic AS c_topic, c.stance AS c_stance FROM rows r"
        " LEFT JOIN corrections c ON c.job_id = r.job_id AND c.n = r.n"
        " WHERE r.job_id = ? ORDER BY r.n",
        (job_id,),
    )
    for data, c_topic, c_stance in cursor:
        row = json.loads(data)
        reviewed = ""
        if c_topic:
            changed = (c_topic, c_stance) != (row.get("topic"), row.get("stance"))
            reviewed = "corrected" if changed else "confirmed"
            row.update(
                topic=c_topic,
                topic_zh=TOPICS[c_topic],
                stance=c_stance,
                stance_zh=STANCES[c_stance],
                needs_review=False,
                no_opinion=False,
                error="",
            )
        row[REVIEWED_COLUMN] = reviewed
        yield row


def export_path(config: ServeConfig, job_id: str, kind: str, rev: str, by: str | None) -> Path:
    suffix, _ = EXPORTS[kind]
    by_part = "-" + hashlib.sha256(by.encode()).hexdigest()[:12] if by else ""
    stem = kind.split(".")[0]
    return config.folder("exports") / f"{job_id}-{stem}-{rev}{by_part}{suffix}"


def run_export(conn: sqlite3.Connection, config: ServeConfig, job: dict, reporter) -> dict:
    """Write one export of a classification job (a job of its own: big files take a while)."""
    from nlp_pipeline.web import jobs as jobs_module

    params = job["params"]
    source = jobs_module.get(conn, params["source"])
    if source is None or source["status"] != "done":
        raise InputError("分类任务不存在或未完成 (no finished classification)")
    kind, by = params["kind"], params.get("by") or None
    path = export_path(config, source["id"], kind, params["rev"], by)
    if kind.startswith("classified."):
        write_classified(conn, source, path, reporter)
    elif kind.startswith("report."):
        write_report_file(conn, source, path, by)
    else:
        write_labels(conn, path, job_id=source["id"])
    return {"file": path.name}


def write_classified(conn, job: dict, path: Path, reporter=None) -> None:
    """The classified file as ``opinions classify`` writes it (same XLSX layout, the
    input's date formats), with the reviewers' corrections and a 已复核 column."""
    from nlp_pipeline.io.writers import XlsxLayout, open_writer

    result = job["result"]
    columns = [*result["columns"], REVIEWED_COLUMN]
    total = result["rows"]
    date_formats = {
        int(k): v for k, v in result.get("date_formats", {}).items() if int(k) < len(columns)
    }
    dated = [columns[i] for i in date_formats]
    layout = XlsxLayout(
        text_columns=(result["text_column"],),
        percent_columns=("topic_confidence", "stance_confidence"),
        keywords=f"opinions-model:{result.get('model_version', '')}",
        date_formats=date_formats,
    )
    with open_writer(path, columns, layout=layout) as writer:
        batch, done = [], 0
        for row in effective_rows(conn, job["id"]):
            for column in dated:  # stored as ISO text in the database
                row[column] = _as_datetime(row.get(column))
            batch.append(row)
            if len(batch) >= LOAD_BATCH:
                writer.write_rows(batch)
                done += len(batch)
                batch = []
                if reporter:
                    reporter.rows(done, total)
        writer.write_rows(batch)


# Exactly what the JSONL writer makes of a date or a date and time (isoformat, sep " ").
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{6})?)?")
_ISO_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d{6})?")


def _as_datetime(value: object) -> object:
    """A date, date and time or time of day as the results file holds it (ISO text), back to
    what the input had; any other text unchanged."""
    if isinstance(value, str):
        try:
            if _ISO_DATE.fullmatch(value):
                return dt.datetime.fromisoformat(value)
            if _ISO_TIME.fullmatch(value):
                return dt.time.fromisoformat(value)
        except ValueError:
            pass
    return value


def write_report_file(conn, job: dict, path: Path, by: str | None) -> None:
    from nlp_pipeline.report.compute import compute_report
    from nlp_pipeline.report.render import write_report

    report = compute_report(
        effective_rows(conn, job["id"]), by=by, text_column=job["result"]["text_column"]
    )
    if hasattr(report, "model_version"):  # a file records it; rows need telling
        report.model_version = job["result"].get("model_version")
    title = f"{Path(job['result']['upload_name']).stem} 群众意见分类报告"
    write_report(report, path, title=title)


LABEL_COLUMNS = ["text", "topic", "stance", "topic_zh", "stance_zh", "来源文件", "行号"]


def write_labels(conn: sqlite3.Connection, path: Path, job_id: str | None) -> int:
    """The corrections as a labelled sheet (text, topic, stance) that ``train --add`` reads."""
    from nlp_pipeline.io.writers import open_writer

    sql = (
        "SELECT r.text, c.topic, c.stance, c.n, j.result FROM corrections c"
        " JOIN rows r ON r.job_id = c.job_id AND r.n = c.n JOIN jobs j ON j.id = c.job_id"
    )
    args: tuple = ()
    if job_id is not None:
        sql += " WHERE c.job_id = ?"
        args = (job_id,)
    rows = []
    for text, topic, stance, n, result in conn.execute(sql + " ORDER BY j.created, c.n", args):
        rows.append(
            {
                "text": text,
                "topic": topic,
                "stance": stance,
                "topic_zh": TOPICS[topic],
                "stance_zh": STANCES[stance],
                "来源文件": json.loads(result)["upload_name"],
                "行号": n,
            }
        )
    with open_writer(path, LABEL_COLUMNS) as writer:
        writer.write_rows(rows)
    return len(rows)


def request_export(conn, config: ServeConfig, job: dict, kind: str, by: str | None) -> tuple:
    """(path, None) when the export is ready, else (None, the id of the job making it)."""
    from nlp_pipeline.web import jobs as jobs_module

    rev = revision(conn, job["id"])
    path = export_path(config, job["id"], kind, rev, by)
    if path.is_file():
        return path, None
    params = {"source": job["id"], "kind": kind, "rev": rev, "by": by}
    for row in conn.execute(
        "SELECT id, params, status FROM jobs WHERE kind = 'export' AND status IN"
        " ('queued', 'running', 'failed') ORDER BY created DESC"
    ):
        if json.loads(row["params"]) == params:
            if row["status"] != "failed":
                return None, row["id"]
            break
    return None, jobs_module.create(conn, "export", params)


def active_jobs(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')"
    ).fetchone()[0]


def recent_jobs(conn: sqlite3.Connection, kind: str, limit: int = 20) -> list[dict]:
    from nlp_pipeline.web.jobs import as_dict

    return [
        as_dict(r)
        for r in conn.execute(
            "SELECT * FROM jobs WHERE kind = ? ORDER BY created DESC LIMIT ?", (kind, limit)
        )
    ]


def ensure_dirs(config: ServeConfig) -> None:
    for name in ("uploads", "results", "exports", "labels"):
        config.folder(name)
    db.connect(config.db_path).close()

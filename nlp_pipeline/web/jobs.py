"""Long work as jobs: queued in the database, run by worker processes, polled by the page.

``opinions serve`` starts ``ServeConfig.workers`` processes running :func:`worker_main`
(``python -m nlp_pipeline.web.jobs``); each claims one queued job at a time, so two jobs
run at once with two workers. A job's progress (``done``/``total``, a message) and result
are written to its row, so a reload of the page shows the same job. Every job calls the
library function the CLI calls: ``classify_file``, ``compute_report``/``write_report``,
``retrain``; nothing here classifies, reports or trains by itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sqlite3
import sys
import time
import traceback
from pathlib import Path

from nlp_pipeline.errors import OpinionsError
from nlp_pipeline.web import db
from nlp_pipeline.web.config import ServeConfig

KINDS = ("classify", "export", "retrain")
ACTIVE = ("queued", "running")
POLL_SECONDS = 0.3
PROGRESS_EVERY = 0.25  # seconds between progress writes
HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 60.0  # a running job with no heartbeat for this long lost its worker


def new_id() -> str:
    return secrets.token_hex(16)


def create(conn: sqlite3.Connection, kind: str, params: dict) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    job_id = new_id()
    conn.execute(
        "INSERT INTO jobs (id, kind, status, params, created) VALUES (?, ?, 'queued', ?, ?)",
        (job_id, kind, json.dumps(params, ensure_ascii=False), db.now()),
    )
    return job_id


def get(conn: sqlite3.Connection, job_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return as_dict(row) if row else None


def as_dict(row: sqlite3.Row) -> dict:
    job = dict(row)
    job["params"] = json.loads(job["params"])
    job["result"] = json.loads(job["result"]) if job["result"] else None
    return job


def status(job: dict) -> dict:
    """What the page's progress bar shows: rows done, total, rows/s, seconds left."""
    elapsed = ((job["finished"] or time.time()) - job["started"]) if job["started"] else 0.0
    rate = job["done"] / elapsed if elapsed > 0 and job["done"] else 0.0
    left = None
    if rate and job["total"] and job["total"] > job["done"]:
        left = (job["total"] - job["done"]) / rate
    return {
        "id": job["id"],
        "kind": job["kind"],
        "status": job["status"],
        "done": job["done"],
        "total": job["total"],
        "rate": round(rate, 1),
        "seconds_left": round(left, 1) if left is not None else None,
        "elapsed": round(elapsed, 1),
        "message": job["message"],
        "error": job["error"],
    }


def claim(conn: sqlite3.Connection) -> dict | None:
    """Take the oldest queued job for this process, atomically."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1"
        ).fetchone()
        if row is not None:
            conn.execute(
                "UPDATE jobs SET status = 'running', started = ?, heartbeat = ?, worker_pid = ?"
                " WHERE id = ?",
                (db.now(), db.now(), os.getpid(), row["id"]),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return get(conn, row["id"]) if row is not None else None


def fail_interrupted(conn: sqlite3.Connection, stale_seconds: float = STALE_SECONDS) -> int:
    """Running jobs whose worker stopped beating (a stopped server, a killed worker): failed.

    Called at start-up and by idle workers. A live worker beats every
    ``HEARTBEAT_SECONDS`` whatever its job is doing, so another server's jobs on the same
    workspace are left alone.
    """
    cur = conn.execute(
        "UPDATE jobs SET status = 'failed', finished = ?,"
        " error = '任务中断（服务已停止或重启），请重新提交 (interrupted: the worker stopped)'"
        " WHERE status = 'running' AND COALESCE(heartbeat, started, 0) < ?",
        (db.now(), db.now() - stale_seconds),
    )
    return cur.rowcount


class Heartbeat:
    """A thread that marks a running job alive while the library call works."""

    def __init__(self, path, job_id: str) -> None:
        import threading

        self.path = path
        self.job_id = job_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        conn = db.connect(self.path)
        try:
            while not self.stop.wait(HEARTBEAT_SECONDS):
                conn.execute("UPDATE jobs SET heartbeat = ? WHERE id = ?", (db.now(), self.job_id))
        finally:
            conn.close()

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()


class Reporter:
    """Progress writes from a running job, throttled."""

    def __init__(self, conn: sqlite3.Connection, job_id: str) -> None:
        self.conn = conn
        self.job_id = job_id
        self.last = 0.0
        self.messages: list[str] = []

    def rows(self, done: int, total: int | None = None, force: bool = False) -> None:
        t = time.monotonic()
        if not force and t - self.last < PROGRESS_EVERY:
            return
        self.last = t
        if total is None:
            self.conn.execute(
                "UPDATE jobs SET done = ?, heartbeat = ? WHERE id = ?",
                (done, db.now(), self.job_id),
            )
        else:
            self.conn.execute(
                "UPDATE jobs SET done = ?, total = ?, heartbeat = ? WHERE id = ?",
                (done, total, db.now(), self.job_id),
            )

    def say(self, message: str) -> None:
        self.messages.append(message)
        self.conn.execute(
            "UPDATE jobs SET message = ?, done = ?, heartbeat = ? WHERE id = ?",
            (message, len(self.messages), db.now(), self.job_id),
        )


def run(conn: sqlite3.Connection, config: ServeConfig, job: dict) -> None:
    """Run one claimed job to its end, recording the result or the error."""
    from nlp_pipeline.web import results

    reporter = Reporter(conn, job["id"])
    try:
        with Heartbeat(config.db_path, job["id"]):
            if job["kind"] == "classify":
                result = results.run_classify(conn, config, job, reporter)
            elif job["kind"] == "export":
                result = results.run_export(conn, config, job, reporter)
            else:
                result = run_retrain(conn, config, job, reporter)
    except OpinionsError as exc:
        _finish(conn, job["id"], "failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a job must end with a message, not vanish
        traceback.print_exc(file=sys.stderr)
        _finish(conn, job["id"], "failed", error=f"内部错误 (internal error): {exc!r}")
    else:
        _finish(conn, job["id"], "done", result=result)


def _finish(conn, job_id: str, state: str, *, result=None, error: str = "") -> None:
    conn.execute(
        "UPDATE jobs SET status = ?, finished = ?, result = ?, error = ? WHERE id = ?",
        (
            state,
            db.now(),
            json.dumps(result, ensure_ascii=False, default=str) if result is not None else None,
            error,
            job_id,
        ),
    )


def run_retrain(conn, config: ServeConfig, job: dict, reporter: Reporter) -> dict:
    """``opinions train --add <the saved corrections>``, without promotion: the page promotes."""
    from nlp_pipeline.training.retrain import retrain
    from nlp_pipeline.web import results

    labels = config.folder("labels") / f"{job['id']}.xlsx"
    n = results.write_labels(conn, labels, job_id=None)
    if n == 0:
        raise OpinionsError("还没有保存的更正，请先在“复核”页标注 (no corrections saved yet)")
    reporter.say(f"导出更正 {n} 条 exported {n} corrections")
    shown = "人工更正 (the saved corrections)"  # row numbers are those of the labels export
    try:
        outcome = retrain(
            [labels],
            corpus_dir=config.corpus_dir,
            promote=False,
            skip_invalid=bool(job["params"].get("skip_invalid")),
            progress=reporter.say,
        )
    except OpinionsError as exc:
        raise type(exc)(str(exc).replace(str(labels), shown)) from None
    result = outcome_dict(outcome)
    result["issues"] = [i.replace(str(labels), shown) for i in result["issues"]]
    return result


def outcome_dict(outcome) -> dict:
    """Every field of what ``retrain`` returned, JSON-ready; shown as it is, not recomputed."""
    out = {}
    for f in dataclasses.fields(outcome):
        value = getattr(outcome, f.name)
        if f.name == "issues":
            value = [str(i) for i in value]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        out[f.name] = value
    return json.loads(json.dumps(out, ensure_ascii=False, default=str))


def run_pending(config: ServeConfig, conn: sqlite3.Connection | None = None) -> int:
    """Run every queued job in this process, oldest first; return how many ran (tests)."""
    conn = conn or db.connect(config.db_path)
    count = 0
    while (job := claim(conn)) is not None:
        run(conn, config, job)
        count += 1
    return count


def worker_main(config: ServeConfig, parent_pid: int | None = None) -> None:
    """Claim and run jobs until the server process that started us is gone."""
    conn = db.connect(config.db_path)
    while parent_pid is None or _alive(parent_pid):
        job = claim(conn)
        if job is None:
            fail_interrupted(conn)
            time.sleep(POLL_SECONDS)
            continue
        run(conn, config, job)


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        return os.getppid() == pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def main(argv: list[str] | None = None) -> None:
    """Entry point of a worker process: ``python -m nlp_pipeline.web.jobs CONFIG_JSON``."""
    args = json.loads((argv or sys.argv[1:])[0])
    parent = args.pop("parent_pid", None)
    args["home"] = Path(args["home"])
    if args.get("corpus_dir"):
        args["corpus_dir"] = Path(args["corpus_dir"])
    try:
        worker_main(ServeConfig(**args), parent)
    except KeyboardInterrupt:  # Ctrl+C in the server's console reaches its workers too
        pass


if __name__ == "__main__":
    main()

"""The web page's state: one SQLite file in the workspace, with a schema version and migrations.

``PRAGMA user_version`` holds the schema version. ``MIGRATIONS[i]`` takes a database from
version ``i`` to ``i + 1``; :func:`connect` applies the missing ones in one transaction, so
a database written by an older release is upgraded on first use and one written by a newer
release is refused with a message rather than damaged. Never edit a released migration:
add one.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from nlp_pipeline.errors import OpinionsError

MIGRATIONS: list[str] = [
    # 1: uploads, jobs, classified rows, corrections, settings
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        original_name TEXT NOT NULL,
        stored_name TEXT NOT NULL,
        format TEXT NOT NULL,
        size INTEGER NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        params TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER,
        message TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        result TEXT,
        created REAL NOT NULL,
        started REAL,
        finished REAL,
        worker_pid INTEGER
    );
    CREATE INDEX jobs_status ON jobs (status, created);
    CREATE TABLE rows (
        job_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        text TEXT NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL,
        topic_confidence REAL,
        stance_confidence REAL,
        needs_review INTEGER NOT NULL,
        no_opinion INTEGER NOT NULL,
        error TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (job_id, n)
    ) WITHOUT ROWID;
    CREATE INDEX rows_review ON rows (job_id, needs_review, n);
    CREATE TABLE corrections (
        job_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (job_id, n)
    ) WITHOUT ROWID;
    """,
    # 2: a worker heartbeat, to tell a job whose worker died from a slow one
    """
    ALTER TABLE jobs ADD COLUMN heartbeat REAL;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(OpinionsError):
    """The database was written by a newer release."""


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create or migrate) the database; autocommit, WAL, rows as ``sqlite3.Row``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to ``SCHEMA_VERSION``; return the version found before."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"数据库版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 nlp_pipeline "
            f"(the database was written by a newer release)"
        )
    if version == SCHEMA_VERSION:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the lock.
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(current, SCHEMA_VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def setting(conn: sqlite3.Connection, key: str, make) -> str:
    """The stored value of ``key``, created with ``make()`` the first time."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    if row is not None:
        return row[0]
    conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, make()))
    return conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()[0]


def now() -> float:
    return time.time()

"""The database's schema version and migrations, and jobs in real worker processes."""

from __future__ import annotations

import sqlite3
import time

import pytest

from nlp_pipeline.web import db, jobs, results
from nlp_pipeline.web.server import start_workers, stop_workers

from .conftest import classify, csrf_of, fresh_records, upload, write_sheet


def test_a_new_database_gets_the_current_schema(tmp_path):
    conn = db.connect(tmp_path / "x.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(jobs)")}
    assert "heartbeat" in columns


def test_an_older_database_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(db.MIGRATIONS[0])
    old.execute(
        "INSERT INTO jobs (id, kind, status, params, created) VALUES ('a', 'classify', 'done', '{}', 1)"
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    row = conn.execute("SELECT id, heartbeat FROM jobs").fetchone()
    assert tuple(row) == ("a", None)
    assert db.migrate(conn) == db.SCHEMA_VERSION  # nothing left to do


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    new = sqlite3.connect(path)
    new.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    new.commit()
    new.close()
    with pytest.raises(db.SchemaError, match="升级"):
        db.connect(path)


def test_settings_are_created_once(tmp_path):
    conn = db.connect(tmp_path / "x.sqlite3")
    first = db.setting(conn, "k", lambda: "one")
    assert db.setting(conn, "k", lambda: "two") == first == "one"


def test_running_jobs_whose_worker_stopped_are_marked_interrupted(tmp_path):
    conn = db.connect(tmp_path / "x.sqlite3")
    job_id = jobs.create(conn, "classify", {})
    assert jobs.claim(conn)["id"] == job_id
    assert jobs.fail_interrupted(conn) == 0  # beating: another server's job, left alone
    conn.execute("UPDATE jobs SET heartbeat = heartbeat - ? WHERE id = ?", (61, job_id))
    assert jobs.fail_interrupted(conn) == 1
    assert "中断" in jobs.get(conn, job_id)["error"]


def test_a_running_job_beats_while_the_library_works(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.05)
    conn = db.connect(tmp_path / "x.sqlite3")
    job_id = jobs.create(conn, "classify", {})
    jobs.claim(conn)
    conn.execute("UPDATE jobs SET heartbeat = 0 WHERE id = ?", (job_id,))
    with jobs.Heartbeat(tmp_path / "x.sqlite3", job_id):
        time.sleep(0.3)
    assert jobs.get(conn, job_id)["heartbeat"] > time.time() - 5


def test_two_jobs_run_at_once_in_two_worker_processes(client, web_config, tmp_path):
    texts = [r["text"] for r in fresh_records()] * 60  # enough rows to take a moment
    token = csrf_of(client)
    ids = []
    for name in ("甲.xlsx", "乙.xlsx"):
        info = upload(client, write_sheet(tmp_path / name, texts), token=token).get_json()
        response = client.post(
            "/jobs",
            data={"upload_id": info["id"], "csrf_token": token},
            headers={"Accept": "application/json"},
        )
        ids.append(response.get_json()["id"])
    workers = start_workers(web_config)
    try:
        deadline = time.monotonic() + 120
        conn = db.connect(web_config.db_path)
        while time.monotonic() < deadline:
            states = [jobs.get(conn, i) for i in ids]
            if all(s["status"] in ("done", "failed") for s in states):
                break
            time.sleep(0.2)
    finally:
        stop_workers(workers)
    assert [s["status"] for s in states] == ["done", "done"], [s["error"] for s in states]
    assert {s["worker_pid"] for s in states} == {w.pid for w in workers}
    first, second = sorted(states, key=lambda s: s["started"])
    assert second["started"] < first["finished"]  # they overlapped
    for s in states:
        assert s["result"]["rows"] == len(texts)


def test_two_people_correct_the_same_file_at_once(app, web_config, sheet):
    alice, bob = app.test_client(), app.test_client()
    job_id = classify(alice, web_config, sheet)
    for person, n, topic in ((alice, 1, "traffic"), (bob, 2, "team_building")):
        response = person.post(
            f"/api/jobs/{job_id}/rows/{n}/label",
            json={"topic": topic, "stance": "praise"},
            headers={"X-CSRF-Token": csrf_of(person)},
        )
        assert response.status_code == 200
    conn = db.connect(web_config.db_path)
    assert results.count_corrections(conn, job_id) == 2

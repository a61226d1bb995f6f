"""Start ``opinions serve``: the workspace, the worker processes and the waitress server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict

from nlp_pipeline.web import db, jobs
from nlp_pipeline.web.config import ServeConfig

WAITRESS_THREADS = 8


def start_workers(config: ServeConfig) -> list[subprocess.Popen]:
    """``config.workers`` processes running jobs; each exits when this process is gone."""
    args: dict[str, object] = {
        k: (str(v) if v is not None else None) for k, v in asdict(config).items()
    }
    args.update(port=config.port, max_upload_mb=config.max_upload_mb, workers=config.workers)
    args.update(classify_jobs=config.classify_jobs, parent_pid=os.getpid())
    command = [sys.executable, "-m", "nlp_pipeline.web.jobs", json.dumps(args)]
    return [subprocess.Popen(command) for _ in range(config.workers)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for proc in workers:
        proc.terminate()
    for proc in workers:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve(config: ServeConfig, ready: Callable[[str], None]) -> None:
    """Run until interrupted; ``ready`` gets the base URL once the port is bound."""
    from waitress import create_server

    from nlp_pipeline.web.app import create_app

    conn = db.connect(config.db_path)
    try:
        jobs.fail_interrupted(conn)
    finally:
        conn.close()
    app = create_app(config)
    server = create_server(
        app,
        host=config.host,
        port=config.port,
        threads=WAITRESS_THREADS,
        max_request_body_size=(config.max_upload_mb + 1) * 1024 * 1024,
        ident="opinions",
    )
    config.port = server.effective_port
    workers = start_workers(config)
    host = config.host if ":" not in config.host else f"[{config.host}]"
    try:
        ready(f"http://{host}:{config.port}/")
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        stop_workers(workers)

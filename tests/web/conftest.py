"""Fixtures of the web page's tests: a workspace, the app and its test client, an input sheet."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS, PER_CELL

HOSTILE = "<script>alert(1)</script>这个派出所</textarea>办事太慢了"
PHONE = "13812345678"
TOWNS = ["城关镇", "河西乡", "北山镇"]
SHOTS = Path(__file__).resolve().parent / "screenshots"  # git-ignored
WAIT = 180


def fresh_records(n_per_cell: int = 2) -> list[dict]:
    """Labelled records of corpora/train.jsonl that the small test corpus does not hold."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for line in (CORPUS / "train.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        cell = (rec["topic"], rec["stance"])
        seen[cell] = seen.get(cell, 0) + 1
        if PER_CELL < seen[cell] <= PER_CELL + n_per_cell:
            out.append(rec)
    return out


def write_sheet(path: Path, texts: list[str], *, extra_sheet: bool = False) -> Path:
    """An .xlsx like a bureau's: 序号 / 乡镇 / 意见内容, and optionally a second sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见汇总"
    ws.append(["序号", "乡镇", "意见内容"])
    for i, text in enumerate(texts, start=1):
        ws.append([i, TOWNS[i % len(TOWNS)], text])
    if extra_sheet:
        other = wb.create_sheet("来电")
        other.append(["来电内容", "派出所"])
        other.append(["交警在路口指挥交通很辛苦，点赞", "城关派出所"])
    wb.save(path)
    return path


def sheet_texts() -> list[str]:
    texts = [r["text"] for r in fresh_records()]
    texts[3] = HOSTILE
    texts[5] = f"我的电话{PHONE}，小区门口晚上有人飙车，希望管一管"
    texts.insert(7, "无")
    return texts


@pytest.fixture
def corpus_copy(small_corpus, tmp_path) -> Path:
    """A writable copy of the small corpus (retraining adds files to it)."""
    target = tmp_path / "corpus"
    shutil.copytree(small_corpus, target)
    return target


@pytest.fixture
def web_config(tmp_path, default_model, corpus_copy):
    from nlp_pipeline.web import ServeConfig

    return ServeConfig(home=tmp_path / "workspace", corpus_dir=corpus_copy)


@pytest.fixture
def app(web_config):
    from nlp_pipeline.web import create_app

    app = create_app(web_config)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sheet(tmp_path) -> Path:
    return write_sheet(tmp_path / "意见汇总.xlsx", sheet_texts(), extra_sheet=True)


def csrf_of(client) -> str:
    page = client.get("/classify").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def upload(client, path: Path, name: str | None = None, token: str | None = None):
    token = token or csrf_of(client)
    with open(path, "rb") as fh:
        return client.post(
            "/uploads",
            data={"file": (fh, name or path.name)},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )


def start(client, path: Path, **form) -> tuple[str, str]:
    """Upload and queue a classification (not run yet); return the job and upload ids."""
    token = csrf_of(client)
    info = upload(client, path, token=token).get_json()
    assert "id" in info, info
    response = client.post(
        "/jobs",
        data={"upload_id": info["id"], "csrf_token": token, **form},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1], info["id"]


def classify(client, config, path: Path, **form) -> str:
    """Upload, start and run a classification in this process; return the job id."""
    from nlp_pipeline.web.jobs import run_pending

    job_id, _upload = start(client, path, **form)
    run_pending(config)
    return job_id


def download(client, config, url: str):
    """A download: the first request queues an export job, the worker makes it, then the file."""
    from nlp_pipeline.web.jobs import run_pending

    first = client.get(url)
    if first.status_code == 200 and "正在生成" in first.get_data(as_text=True):
        run_pending(config)
        return client.get(url)
    return first


# Browser tests (test_browser.py: Chromium, test_firefox.py: Firefox) share these.


@pytest.fixture
def server(request, default_model, corpus_copy, tmp_path):
    """`opinions serve` on a free port, as a user starts it; yields its URL."""
    extra = getattr(request, "param", [])
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nlp_pipeline",
            "serve",
            "--port",
            "0",
            "--no-browser",
            "--corpus",
            str(corpus_copy),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "server.log", "w"),  # noqa: SIM115 - closed with the process
        text=True,
        env=os.environ.copy(),
    )
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    assert match, (line, (tmp_path / "server.log").read_text())
    yield match.group(1).rstrip("/")
    process.terminate()
    process.wait(timeout=30)


def wait_for(condition, timeout: float = WAIT, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page is changing under us
            value = None
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {condition.__code__.co_firstlineno}")

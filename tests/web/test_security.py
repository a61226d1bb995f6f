"""One test (at least) for each security rule of issue 15."""

from __future__ import annotations

import hashlib
import re
import sqlite3

import pytest
from click.testing import CliRunner

from nlp_pipeline.web import ServeConfig, create_app, security

from .conftest import HOSTILE, PHONE, classify, csrf_of, download, upload, write_sheet

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# -- binding and the access token -------------------------------------------------------


def serve_config(monkeypatch, *args) -> tuple[ServeConfig, str]:
    """What `opinions serve ARGS` would run with, and what it prints (the server is not started)."""
    from nlp_pipeline.cli.main import cli

    seen = {}

    def fake_serve(config, ready):
        seen["config"] = config
        ready(f"http://{config.host}:{config.port}/")

    monkeypatch.setattr("nlp_pipeline.web.server.serve", fake_serve)
    result = CliRunner().invoke(cli, ["serve", "--no-browser", *args])
    assert result.exit_code == 0, result.output
    return seen["config"], result.output


def test_binds_to_loopback_by_default_without_a_token(monkeypatch):
    config, output = serve_config(monkeypatch)
    assert config.host == "127.0.0.1" and config.token_hash is None
    assert "http://127.0.0.1:8765/" in output and "token" not in output


def test_another_host_requires_a_generated_token_stored_hashed(monkeypatch):
    config, output = serve_config(monkeypatch, "--host", "0.0.0.0", "--port", "8765")
    token = re.search(r"\?token=(\S+)", output).group(1)
    assert len(token) >= 24
    assert config.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(config)


def test_a_given_token_is_used(monkeypatch):
    config, output = serve_config(monkeypatch, "--host", "0.0.0.0", "--token", "s3cret-token-value")
    assert config.token_hash == security.hash_token("s3cret-token-value")
    assert "?token=s3cret-token-value" in output


@pytest.fixture
def guarded(web_config):
    web_config.host = "0.0.0.0"
    web_config.token_hash = security.hash_token("right-token")
    app = create_app(web_config)
    app.testing = True
    return app


def test_no_token_or_a_wrong_token_is_refused(guarded):
    client = guarded.test_client()
    assert client.get("/classify").status_code == 401
    assert client.get("/api/jobs/" + "0" * 32).status_code == 401
    assert client.get("/classify?token=wrong").status_code == 401
    assert client.get("/classify", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_right_token_signs_in_once(guarded):
    client = guarded.test_client()
    response = client.get("/classify?token=right-token&x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/classify?x=1"
    assert client.get("/classify").status_code == 200  # the session remembers it
    other = guarded.test_client()
    assert other.get("/one", headers={"Authorization": "Bearer right-token"}).status_code == 200


def test_a_session_signed_in_with_an_old_token_is_refused_after_a_restart(guarded, web_config):
    client = guarded.test_client()
    client.get("/classify?token=right-token")
    cookie = client.get_cookie("opinions_session").value
    web_config.token_hash = security.hash_token("new-token")
    restarted = create_app(web_config).test_client()
    restarted.set_cookie("opinions_session", cookie)
    assert restarted.get("/classify").status_code == 401
    assert "right-token" not in cookie and security.hash_token("right-token")[:16] not in cookie


def test_token_comparison_is_constant_time(guarded, monkeypatch):
    calls = []
    real = security.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    guarded.test_client().get("/classify?token=wrong")
    assert calls and calls[0][1] == security.hash_token("right-token")


def test_the_token_is_stored_nowhere_in_clear(guarded, web_config):
    guarded.test_client().get("/classify?token=right-token")
    assert "right-token" not in repr(guarded.config) and "right-token" not in repr(web_config)
    for path in web_config.home.rglob("*"):
        if path.is_file():
            assert b"right-token" not in path.read_bytes(), path


def test_an_unexpected_host_header_is_refused_on_loopback(client):
    assert client.get("/classify", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/classify", headers={"Host": "127.0.0.1:8765"}).status_code == 200


# -- CSRF -------------------------------------------------------------------------------

STATE_CHANGING = [
    ("/uploads", {}),
    ("/jobs", {"upload_id": "0" * 32}),
    ("/one", {"text": "交警辛苦了"}),
    ("/models/retrain", {}),
    ("/models/use", {"version": "default"}),
    ("/api/jobs/" + "0" * 32 + "/rows/1/label", {"topic": "traffic", "stance": "praise"}),
]


@pytest.mark.parametrize("url, form", STATE_CHANGING, ids=[u for u, _ in STATE_CHANGING])
def test_state_changing_requests_need_the_csrf_token(client, url, form):
    csrf_of(client)  # the session has a token; the request does not carry it
    missing = client.post(url, data=form)
    assert missing.status_code == 403 and "CSRF" in missing.get_data(as_text=True)
    wrong = client.post(url, data={**form, "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert client.post(url, data=form, headers={"X-CSRF-Token": "forged"}).status_code == 403


def test_a_csrf_token_belongs_to_its_session(app):
    alice, bob = app.test_client(), app.test_client()
    alice_token = csrf_of(alice)
    bob_token = csrf_of(bob)
    assert alice_token != bob_token
    assert (
        bob.post("/one", data={"text": "交警辛苦了", "csrf_token": alice_token}).status_code == 403
    )
    assert bob.post("/one", data={"text": "交警辛苦了", "csrf_token": bob_token}).status_code == 200


# -- upload size ------------------------------------------------------------------------


def test_oversize_upload_gets_a_clear_message(web_config, tmp_path):
    web_config.max_upload_mb = 1
    app = create_app(web_config)
    client = app.test_client()
    big = tmp_path / "big.csv"
    big.write_bytes(b"text\n" + "交警辛苦了\n".encode() * 120_000)  # ~1.9 MB
    response = upload(client, big)
    assert response.status_code == 413
    assert "1 MB" in response.get_json()["error"] and "上限" in response.get_json()["error"]
    html = client.post(
        "/uploads",
        data={"file": (big.open("rb"), "big.csv")},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert html.status_code == 413 and "上传上限" in html.get_data(as_text=True)
    assert list(web_config.folder("uploads").iterdir()) == []


# -- escaping ---------------------------------------------------------------------------


def test_every_page_escapes_comment_text(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)
    conn = sqlite3.connect(web_config.db_path)
    (n,) = conn.execute("SELECT n FROM rows WHERE text = ?", (HOSTILE,)).fetchone()
    conn.execute("UPDATE rows SET needs_review = 1 WHERE n = ?", (n,))
    conn.commit()
    pages = [
        client.get(f"/jobs/{job_id}?q=script"),
        client.get(f"/jobs/{job_id}/review?view=table"),
    ]
    numbers = [r[0] for r in conn.execute("SELECT n FROM rows WHERE needs_review = 1 ORDER BY n")]
    pages.append(client.get(f"/jobs/{job_id}/review?i={numbers.index(n) + 1}"))
    token = csrf_of(client)
    pages.append(client.post("/one", data={"text": HOSTILE, "csrf_token": token}))
    for page in pages:
        text = page.get_data(as_text=True)
        assert "<script>alert" not in text and "</textarea>办事" not in text
        assert "&lt;script&gt;" in text
    assert "&lt;/textarea&gt;" in pages[-1].get_data(as_text=True)


def test_upload_preview_and_names_are_data_not_markup(client, tmp_path):
    path = write_sheet(tmp_path / "x.xlsx", [HOSTILE, "交警辛苦了"])
    info = upload(client, path, name="<img src=x onerror=alert(1)>.xlsx").get_json()
    assert info["preview"][0]["意见内容"] == HOSTILE  # JSON; the page sets it as textContent
    page = client.get("/classify").get_data(as_text=True)
    assert "<img src=x" not in page


def test_pages_send_a_content_security_policy(client):
    policy = client.get("/classify").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]


# -- downloads and paths ----------------------------------------------------------------


def test_downloads_are_attachments_with_safe_names(client, web_config, tmp_path):
    path = write_sheet(tmp_path / "in.xlsx", ["交警辛苦了", "希望加强巡逻"])
    token = csrf_of(client)
    info = upload(client, path, name="../../evil;na me\x07.xlsx", token=token).get_json()
    assert info["name"] == "evil;na me.xlsx"  # shown without folders or control characters
    response = client.post("/jobs", data={"upload_id": info["id"], "csrf_token": token})
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    from nlp_pipeline.web.jobs import run_pending

    run_pending(web_config)
    got = download(client, web_config, f"/jobs/{job_id}/files/classified.xlsx")
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert ".." not in disposition and "\\" not in disposition and "\r" not in disposition
    assert "na;me" not in disposition and "evil_na me" in disposition
    assert security.safe_filename('a/b\\..\\c:"d<>|?*.xlsx') == "c_d_.xlsx"
    assert security.safe_filename("意见 汇总_分类结果.xlsx") == "意见 汇总_分类结果.xlsx"
    assert security.safe_filename("...") == "download"


def test_uploads_are_stored_under_random_names_only(client, web_config, tmp_path):
    path = write_sheet(tmp_path / "in.xlsx", ["交警辛苦了"])
    info = upload(client, path, name="../../../../tmp/owned.xlsx").get_json()
    stored = list(web_config.folder("uploads").iterdir())
    assert [p.name for p in stored] == [f"{info['id']}.xlsx"]
    assert re.fullmatch(r"[0-9a-f]{32}", info["id"])
    assert not (tmp_path / "owned.xlsx").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/jobs/../../etc/passwd",
        "/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/uploads/..%2fweb.sqlite3",
        "/jobs/" + "0" * 32 + "/files/..%2f..%2fopinions.sqlite3",
        "/static/../web.sqlite3",
    ],
)
def test_no_request_path_reaches_the_file_system(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert b"SQLite format" not in response.data and b"root:" not in response.data


# -- reports keep masking ---------------------------------------------------------------


def test_reports_keep_personal_data_masked(client, web_config, sheet):
    job_id = classify(client, web_config, sheet)
    for kind in ("report.html", "report.md"):
        text = download(client, web_config, f"/jobs/{job_id}/files/{kind}").get_data(as_text=True)
        assert PHONE not in text, kind
    html = download(client, web_config, f"/jobs/{job_id}/files/report.html").get_data(as_text=True)
    assert "<script>alert" not in html

"""The Flask application: configuration, per-request database, access checks, error pages."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, abort, g, jsonify, redirect, render_template, request, session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.web import db, security
from nlp_pipeline.web.config import ServeConfig, is_loopback

STANCE_KEYS = {"praise": "p", "criticism": "c", "suggestion": "s", "inquiry": "i"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


class HexIdConverter(BaseConverter):
    """Ids in URLs are 32 hex digits; anything else never reaches a lookup."""

    regex = "[0-9a-f]{32}"


def create_app(config: ServeConfig) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.url_map.converters["hexid"] = HexIdConverter
    config.home.mkdir(parents=True, exist_ok=True)
    conn = db.connect(config.db_path)
    try:
        secret = db.setting(conn, "session_secret", lambda: secrets.token_hex(32))
    finally:
        conn.close()
    app.config.update(
        SECRET_KEY=secret,
        MAX_CONTENT_LENGTH=config.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_NAME="opinions_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["opinions"] = config
    # What a signed-in session carries: tied to this token and this workspace's secret,
    # and revealing nothing about the token.
    auth_marker = security.hash_token(f"{secret}:{config.token_hash}")
    app.jinja_env.autoescape = True  # every template, whatever its extension

    @app.before_request
    def checks():
        if is_loopback(config.host) and not _host_allowed(request.host):
            abort(400, "Host 不被允许 (unexpected Host header)")
        if config.token_hash and request.endpoint != "static":
            presented = request.args.get("token")
            if presented is not None:
                if not security.token_matches(presented, config.token_hash):
                    abort(401, "访问令牌不正确 (wrong access token)")
                session["auth"] = auth_marker
                session.setdefault("csrf", secrets.token_urlsafe(32))
                args = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
                return redirect(request.path + ("?" + urlencode(args) if args else ""))
            bearer = request.headers.get("Authorization", "")
            if bearer.startswith("Bearer ") and security.token_matches(
                bearer[7:], config.token_hash
            ):
                pass
            elif not security.csrf_matches(session.get("auth"), auth_marker):
                abort(401, "需要访问令牌：请使用启动时显示的网址 (access token required)")
        if request.method not in security.SAFE_METHODS:
            presented = request.headers.get("X-CSRF-Token")
            if presented is None and request.mimetype in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                presented = request.form.get("csrf_token")
            if not security.csrf_matches(presented, session.get("csrf")):
                abort(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试 (CSRF token missing or wrong)")
        return None

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_appcontext
    def close_db(_exc):
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    @app.context_processor
    def template_globals():
        return {
            "csrf_token": csrf_token,
            "TOPICS": TOPICS,
            "STANCES": STANCES,
            "STANCE_KEYS": STANCE_KEYS,
        }

    @app.template_filter("pct")
    def pct(value):
        return "—" if value in (None, "") else f"{float(value) * 100:.0f}%"

    @app.template_filter("num")
    def num(value, digits=3):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "—"
        if isinstance(value, int) or float(value).is_integer() and abs(value) >= 2:
            return f"{int(value):,}"
        return f"{value:.{digits}f}"

    @app.template_filter("when")
    def when(value):
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(value)) if value else ""

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc):
        message = (
            f"文件超过 {config.max_upload_mb} MB 的上传上限 "
            f"(the upload is larger than the {config.max_upload_mb} MB limit; "
            "start the server with --max-upload-mb to change it)"
        )
        return _error(413, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    from nlp_pipeline.web.views import classify, models, one, review

    for module in (classify, review, one, models):
        app.register_blueprint(module.bp)
    return app


def _host_allowed(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.strip("[]") in {"127.0.0.1", "localhost", "::1"} or name.startswith("127.")


def _error(code: int, message: str):
    if wants_json():
        return jsonify({"error": message}), code
    return render_template("error.html", code=code, message=message), code


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def config() -> ServeConfig:
    from flask import current_app

    return current_app.extensions["opinions"]


def conn():
    if "db" not in g:
        g.db = db.connect(config().db_path)
    return g.db


_predictors: dict[tuple[str, float], object] = {}


def predictor(model_dir: str | Path | None = None):
    """The data-only Predictor (the one ``opinions triage`` uses), cached per model files."""
    from nlp_pipeline.model.format import META
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.model.registry import resolve_model

    path = Path(model_dir) if model_dir and Path(model_dir).is_dir() else resolve_model(None)
    key = (str(path), (path / META).stat().st_mtime)
    if key not in _predictors:
        _predictors.clear()
        _predictors[key] = Predictor(path)
    return _predictors[key]

"""What ``opinions serve`` was started with, and where its state lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_UPLOAD_MB = 200
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def workspace_dir() -> Path:
    """The user's workspace (``nlp_pipeline.workspace``): database, uploads, exports."""
    from nlp_pipeline.workspace import workspace_dir as shared

    return shared()


def is_loopback(host: str) -> bool:
    return host.strip("[]") in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass
class ServeConfig:
    """Settings of one server. ``token_hash`` is the sha256 of the access token, never the token."""

    home: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token_hash: str | None = None
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    corpus_dir: Path | None = None
    workers: int = 2
    classify_jobs: int = 1

    @property
    def db_path(self) -> Path:
        from nlp_pipeline.workspace import DATABASE

        return self.home / DATABASE

    def folder(self, name: str) -> Path:
        """A folder of the web page's files in the workspace: ``web/uploads``, ``web/results``,
        ``web/exports``, ``web/labels``."""
        path = self.home / "web" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

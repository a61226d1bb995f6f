"""The workspace: the one folder that holds a user's state, and where everything else lives.

Which folder (first match wins):

1. ``$OPINIONS_HOME`` — set it to keep everything in a folder of your choice (a shared
   drive, a test's temporary folder).
2. A source checkout (``pyproject.toml`` and ``models/`` beside the package) — the checkout
   itself, so a developer's ``models/`` and ``corpora/`` keep working as they always did.
3. The platform's per-user data folder (platformdirs ``user_data_dir("opinions")``):
   ``%LOCALAPPDATA%\\opinions`` on Windows, ``~/.local/share/opinions`` on Linux,
   ``~/Library/Application Support/opinions`` on macOS.

What lives where::

    <workspace>/
      models/                 model versions made by `opinions train`
        CURRENT               one line: the default version (absent = "default")
        HISTORY.jsonl         every switch of the default (`opinions models history`)
        .train.lock           present while a training runs
        .switch.lock          present while the default is being switched
        <version>/            meta.json, features.json, weights.npz, pipeline.joblib, MODEL_CARD.md
      corpora/                the training corpus
        train.jsonl, test.jsonl   the base corpus (a copy of the one shipped in the package,
                              made on first use; refreshed when the package ships a new one)
        added/<version>.jsonl labels added with `opinions train --add`, one file per version
      opinions.sqlite3        the web page's database (`opinions serve`)

Shipped with the package (read-only, never written): the default model
(``nlp_pipeline/_bundled_models/default``) and the base corpus
(``nlp_pipeline/_bundled_corpus``); in a source checkout, ``models/default`` and
``corpora/``. ``$OPINIONS_MODELS_DIR`` still overrides the models folder alone.

Nothing here imports more than the standard library (and platformdirs when no folder is
set), so ``opinions triage`` stays fast.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "OPINIONS_HOME"
ENV_MODELS = "OPINIONS_MODELS_DIR"
APP_NAME = "opinions"
DATABASE = "opinions.sqlite3"
BASE_CORPUS_FILES = ("train.jsonl", "test.jsonl", "README.md")


def package_dir() -> Path:
    return Path(__file__).resolve().parent


def source_root() -> Path | None:
    """The project checkout this package runs from, if any (editable install or source)."""
    root = package_dir().parent
    if (root / "pyproject.toml").is_file() and (root / "models").is_dir():
        return root
    return None


def workspace_dir() -> Path:
    """The folder of the user's state: $OPINIONS_HOME, else a checkout, else per-user data."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    root = source_root()
    if root is not None:
        return root
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Where model versions and the CURRENT pointer live ($OPINIONS_MODELS_DIR overrides)."""
    env = os.environ.get(ENV_MODELS)
    if env:
        return Path(env).expanduser()
    return workspace_dir() / "models"


def database_path() -> Path:
    """The web page's SQLite database."""
    return workspace_dir() / DATABASE


def shipped_model_dir() -> Path | None:
    """The default model shipped with the code: the wheel's copy, else the checkout's."""
    bundled = package_dir() / "_bundled_models" / "default"
    if (bundled / "meta.json").is_file():
        return bundled
    root = source_root()
    if root is not None and (root / "models" / "default" / "meta.json").is_file():
        return root / "models" / "default"
    return None


def shipped_corpus_dir() -> Path | None:
    """The base corpus shipped with the code: the wheel's copy, else the checkout's."""
    bundled = package_dir() / "_bundled_corpus"
    if (bundled / "train.jsonl").is_file():
        return bundled
    root = source_root()
    if root is not None and (root / "corpora" / "train.jsonl").is_file():
        return root / "corpora"
    return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_dir(create: bool = True) -> Path | None:
    """The workspace's corpus folder, with the base corpus in it.

    In a checkout used as the workspace this is ``corpora/`` itself. Elsewhere the shipped
    base corpus is copied in on first use (and replaced when the package ships a different
    one), so added labels and the base sit side by side as retraining expects. None when
    no corpus can be found.
    """
    target = workspace_dir() / "corpora"
    shipped = shipped_corpus_dir()
    if shipped is not None and shipped.resolve() == target.resolve():
        return target
    if shipped is None:
        return target if (target / "train.jsonl").is_file() else None
    if create:
        target.mkdir(parents=True, exist_ok=True)
        for name in BASE_CORPUS_FILES:
            src, dst = shipped / name, target / name
            if not src.is_file():
                continue
            if dst.is_file() and _digest(dst) == _digest(src):
                continue
            tmp = target / f".{name}.tmp-{os.getpid()}"
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    return target


@dataclass(frozen=True)
class Location:
    name: str
    path: Path | None
    note: str

    @property
    def exists(self) -> bool:
        return self.path is not None and self.path.exists()


def locations() -> list[Location]:
    """Everything `opinions workspace` shows, in the order a user needs it."""
    home = workspace_dir()
    how = (
        f"${ENV_HOME}"
        if os.environ.get(ENV_HOME)
        else ("source checkout" if source_root() == home else "per-user data folder")
    )
    models = models_dir()
    current = "default"
    try:
        current = (models / "CURRENT").read_text(encoding="utf-8").strip() or "default"
    except OSError:
        pass
    return [
        Location("workspace", home, f"工作区 ({how})"),
        Location(
            "models",
            models,
            f"模型版本 model versions; default = {current}"
            + (f" (${ENV_MODELS})" if os.environ.get(ENV_MODELS) else ""),
        ),
        Location("corpus", home / "corpora", "语料 base corpus copy + added/ labels"),
        Location("added", home / "corpora" / "added", "新增标注 labels added by train --add"),
        Location("database", database_path(), "网页数据库 web page database (opinions serve)"),
        Location("shipped model", shipped_model_dir(), "随软件发布的默认模型 (read-only)"),
        Location("shipped corpus", shipped_corpus_dir(), "随软件发布的基础语料 (read-only)"),
    ]

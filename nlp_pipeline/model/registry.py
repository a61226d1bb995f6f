"""Where models live and which one is the default (the training lock: ``training/lock.py``).

Layout of the models folder (in the workspace: see ``nlp_pipeline.workspace``)::

    models/
      default/            the model shipped with the project
      20261127-1530-3fa9c2e/  a retrained version (date-time and short hash)
      CURRENT             one line: the version in use (absent = "default")
      HISTORY.jsonl       every switch of the default: when, to what, how, forced or not
      .train.lock         present while a training runs (nlp_pipeline.training.lock)

Switching the default rewrites ``CURRENT`` through a temporary file and ``os.replace``,
which is atomic: a reader sees the old or the new version, never a half-written name.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from nlp_pipeline import workspace
from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.format import META

ENV_MODELS = workspace.ENV_MODELS
POINTER = "CURRENT"
DEFAULT = "default"
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}")  # always .fullmatch


def source_root() -> Path | None:
    """The project checkout this package runs from, if any (editable install or source)."""
    return workspace.source_root()


def bundled_default() -> Path | None:
    """The shipped default model: the wheel's copy, else the checkout's ``models/default``."""
    return workspace.shipped_model_dir()


def models_root() -> Path:
    """$OPINIONS_MODELS_DIR, else the workspace's ``models/`` (see nlp_pipeline.workspace)."""
    return workspace.models_dir()


def current_version(root: Path | None = None) -> str:
    root = root or models_root()
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return DEFAULT
    return name or DEFAULT


def version_dir(version: str, root: Path | None = None) -> Path:
    """Directory of a named version; the shipped default falls back to the bundled copy."""
    if not _VERSION.fullmatch(version):
        raise ModelError(f"版本名不合法: {version!r} (invalid version name)")
    root = root or models_root()
    path = root / version
    if version == DEFAULT and not (path / META).is_file():
        bundled = bundled_default()
        if bundled is not None:
            return bundled
    return path


def resolve_model(spec: str | os.PathLike | None = None, root: Path | None = None) -> Path:
    """A model directory from ``--model``: None → the default, a folder path, or a version name."""
    if spec is None:
        return version_dir(current_version(root), root)
    path = Path(spec)
    if path.is_dir():
        return path
    if _VERSION.fullmatch(str(spec)) and (root or models_root()).joinpath(str(spec)).is_dir():
        return version_dir(str(spec), root)
    raise ModelError(f"{spec}: 找不到模型目录或版本 (no such model directory or version)")


def read_version_meta(path: Path) -> dict:
    """A version's meta.json, or {} when it is missing or not a JSON object."""
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def gate_verdict(meta: dict) -> bool | None:
    """Whether a version passed its quality gate: True, False, or None when it never met one
    (the shipped model, a plain rebuild). Anything but a clean ``true`` counts as failed."""
    promotion = meta.get("promotion")
    if promotion is None:
        return None
    if not isinstance(promotion, dict) or "gate_passed" not in promotion:
        return False
    passed = promotion["gate_passed"]
    return None if passed is None else passed is True


def list_versions(root: Path | None = None) -> list[dict]:
    """Every model version under the models folder, oldest first, with headline metrics."""
    root = root or models_root()
    current = current_version(root)
    names = (
        sorted(
            p.name
            for p in root.glob("*")
            if _VERSION.fullmatch(p.name) and p.is_dir() and (p / META).is_file()
        )
        if root.is_dir()
        else []
    )
    if DEFAULT not in names and bundled_default() is not None:
        names.insert(0, DEFAULT)
    out = []
    for name in names:
        meta = read_version_meta(version_dir(name, root))
        out.append(
            {
                "version": name,
                "default": name == current,
                "created": meta.get("created", ""),
                "parent": meta.get("parent"),
                "n_train": meta.get("n_train"),
                "metrics": meta.get("metrics", {}),
                "promoted": meta["promotion"] if isinstance(meta.get("promotion"), dict) else {},
                "gate": gate_verdict(meta),
            }
        )
    out.sort(key=lambda v: (v["version"] != DEFAULT, v["created"], v["version"]))
    return out


def set_current(version: str, root: Path | None = None) -> None:
    """Make ``version`` the default, atomically."""
    root = root or models_root()
    path = version_dir(version, root)
    if not (path / META).is_file():
        raise ModelError(f"{path}: 没有这个模型版本 (no such version)")
    from nlp_pipeline.io.atomic import write_text_atomic

    root.mkdir(parents=True, exist_ok=True)
    write_text_atomic(root / POINTER, version + "\n")


HISTORY = "HISTORY.jsonl"
SWITCH_LOCK = ".switch.lock"


class NoSuchVersion(ModelError):
    """No model version of that name in the models folder."""


class GateFailed(ModelError):
    """The version's quality gate failed and the switch was not forced."""


def use_version(
    version: str, *, force: bool = False, via: str = "cli", root: Path | None = None
) -> dict:
    """Make ``version`` the default, as ``opinions models use`` and the web page do.

    The model must load (a broken or tampered one is refused). A retrained version whose
    quality gate failed needs ``force``, as ``train --add --promote`` does. The switch is
    appended to ``HISTORY.jsonl`` in the models folder (written before ``CURRENT``, so a
    default is never in use without its record) and the record is returned.
    """
    from nlp_pipeline.model.predictor import Predictor

    root = root or models_root()
    path = version_dir(version, root)
    meta = read_version_meta(path)
    if not meta:
        raise NoSuchVersion(f"{path}: 没有这个模型版本 (no such version)")
    gate_passed = gate_verdict(meta)
    if gate_passed is False and not force:
        raise GateFailed(
            f"{version}: 该版本未通过质量门槛，如确需使用请加 --force "
            "(the quality gate failed for this version; use --force to switch anyway)"
        )
    Predictor(path)  # refuse a broken or tampered model
    root.mkdir(parents=True, exist_ok=True)
    with _switch_lock(root):
        record = {
            "at": _now(),
            "version": version,
            "previous": current_version(root),
            "via": via,
            "gate_passed": gate_passed,
            "forced": bool(force and gate_passed is False),
        }
        _append_history(root, record)
        try:
            set_current(version, root)
        except BaseException as exc:
            try:  # the record above must not stand for a switch that did not happen
                _append_history(root, {"at": _now(), "version": version, "failed": str(exc)})
            except OSError:
                pass
            raise
    return record


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _append_history(root: Path, record: dict) -> None:
    """One JSON line, on a line of its own even after a line a crash cut short."""
    path = root / HISTORY
    with open(path, "a+b") as log:
        log.seek(0, os.SEEK_END)
        start = b""
        if log.tell():
            log.seek(-1, os.SEEK_END)
            start = b"" if log.read(1) == b"\n" else b"\n"
        log.write(start + (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        log.flush()
        os.fsync(log.fileno())


SWITCH_WAIT_SECONDS = 10.0


class _SwitchBusy(ModelError):
    pass


@contextmanager
def _switch_lock(root: Path) -> Iterator[None]:
    """One switch of the default at a time (history line and CURRENT together); a second
    waits up to SWITCH_WAIT_SECONDS, then is refused."""
    import time

    from nlp_pipeline.io.locks import exclusive_lock

    def busy(holder: dict) -> Exception:
        return _SwitchBusy(
            f"另一个进程正在切换默认模型 (another switch of the default model is running: "
            f"pid {holder.get('pid', '?')})"
        )

    deadline = time.monotonic() + SWITCH_WAIT_SECONDS
    with ExitStack() as held:
        while True:
            try:
                held.enter_context(exclusive_lock(root / SWITCH_LOCK, busy, unwritable_ok=True))
                break
            except _SwitchBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield


def switch_history(root: Path | None = None) -> list[dict]:
    """The switches of the default, oldest first (a line cut short by a crash is skipped)."""
    try:
        lines = ((root or models_root()) / HISTORY).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def __getattr__(name: str) -> object:
    # The training lock moved to nlp_pipeline.training.lock; callers written before still work.
    if name == "training_lock":
        from nlp_pipeline.training.lock import training_lock

        return training_lock
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

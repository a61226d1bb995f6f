"""The model directory: fixed file names, reading and checking ``meta.json`` and the files.

A model is a directory holding:

- ``meta.json``      format version, labels with Chinese names, library versions, corpus
                     sha256, the sha256 of every other file, config, metrics, thresholds;
- ``features.json``  analyzer configs and vocabularies (terms in column order);
- ``weights.npz``    idf vectors and calibrated coefficients, plain float arrays
                     (read with ``allow_pickle=False``);
- ``pipeline.joblib`` the fitted scikit-learn pipelines, for analysts (loaded only when
                     asked for explicitly, after its sha256 checks out);
- ``MODEL_CARD.md``  a short human description.

The CLI predicts from ``features.json`` + ``weights.npz`` only: nothing is unpickled, so a
tampered model cannot run code. Writing a directory is :mod:`nlp_pipeline.model.export`.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeGuard

import numpy as np

from nlp_pipeline.errors import ModelError
from nlp_pipeline.text.tokens import tokenizer_changes

# 2: analyzers may read a section of the message (title, request, substance) and the
# stance head may have a fourth class (inquiry). Format-1 models read the whole text with
# the same code, so they still load; code that knows only format 1 refuses format 2.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
META = "meta.json"
FEATURES = "features.json"
WEIGHTS = "weights.npz"
PIPELINE = "pipeline.joblib"
CARD = "MODEL_CARD.md"
CHECKED_FILES = (FEATURES, WEIGHTS, PIPELINE, CARD)
HEAD_NAMES = ("topic", "stance")


def content_key(model_dir: str | Path) -> str:
    """An identifier of a model's content: the sha256 of its ``meta.json``.

    ``meta.json`` records the sha256 of every other file, so two directories with the same
    key hold the same model, and a directory rebuilt in place gets a new key. Caches of
    loaded models are keyed by it, never by the path alone.
    """
    path = Path(model_dir) / META
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelError(f"{path}: 无法读取 (cannot read: {exc.strerror})") from exc


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_meta(model_dir: str | Path) -> dict:
    """Read and check ``meta.json``: present, valid JSON, this format version."""
    model_dir = Path(model_dir)
    path = model_dir / META
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: 模型目录不存在 (model directory not found)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: 缺少 meta.json (missing file)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: meta.json 已损坏 (cannot parse: {exc})") from exc
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, a 5,000-digit number, nesting
        raise ModelError(f"{path}: meta.json 已损坏 (cannot parse: {exc})") from exc
    if not isinstance(meta, dict):
        raise ModelError(f"{path}: meta.json 已损坏 (not an object)")
    validate_meta(meta, path)
    version = meta.get("format_version")
    if version not in READABLE_FORMATS:
        raise ModelError(
            f"{path}: 模型格式版本 {version!r} 与本程序支持的 {FORMAT_VERSION} 不符 "
            "(model format version mismatch: retrain or upgrade nlp_pipeline)"
        )
    if not isinstance(meta.get("files"), dict):
        raise ModelError(f"{path}: meta.json 缺少文件校验和 (no 'files' sha256 table)")
    return meta


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _bad(path: Path, field: str, why: str) -> ModelError:
    return ModelError(f"{path}: meta.json 字段 {field} 无效 (invalid field {field!r}: {why})")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_meta(meta: dict, path: Path) -> None:
    """Check the fields prediction relies on: types, ranges, finite numbers.

    A tampered ``meta.json`` must not crash later with a traceback, nor switch review off
    quietly (a NaN threshold compares false with every confidence). Raises ModelError
    naming the field.
    """
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad(path, "format_version", f"not an integer: {str(version)[:40]!r}")
    files = meta.get("files")
    if not isinstance(files, dict):
        raise _bad(path, "files", "not a table of sha256 checksums")
    for name, digest in files.items():
        if name not in CHECKED_FILES:
            raise _bad(path, "files", f"unknown file {str(name)[:40]!r}")
        if not isinstance(digest, str) or len(digest) != 64 or not _is_hex(digest):
            raise _bad(path, f"files.{name}", "not a sha256 (64 hex digits)")
    thresholds = meta.get("thresholds")
    if not isinstance(thresholds, dict):
        raise _bad(path, "thresholds", "not a table of the review thresholds")
    for head in HEAD_NAMES:
        value = thresholds.get(head)
        # just above 1 is "review everything" (training.metrics.REVIEW_ALL)
        if not _is_number(value) or not math.isfinite(value) or not 0.0 <= value <= 1.0 + 1e-6:
            raise _bad(path, f"thresholds.{head}", f"not a number in [0, 1]: {str(value)[:40]!r}")
    labels = meta.get("labels")
    if labels is not None:
        if not isinstance(labels, dict):
            raise _bad(path, "labels", "not a table")
        for head, entries in labels.items():
            if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries
            ):
                raise _bad(path, f"labels.{head}", "not a list of {id, zh}")
    for field, kinds in _OPTIONAL_FIELDS.items():
        value = meta.get(field)
        if value is not None and not isinstance(value, kinds):
            raise _bad(path, field, f"wrong type {type(value).__name__}")
    n_train = meta.get("n_train")
    if n_train is not None and (not _is_number(n_train) or not 0 <= n_train < 10**12):
        raise _bad(path, "n_train", "not a count")
    metrics = meta.get("metrics") or {}
    for key, value in metrics.items():
        if value is not None and not isinstance(value, (str, list, dict)):
            if not _is_number(value) or not math.isfinite(value):
                raise _bad(path, f"metrics.{key}", "not a finite number")


_OPTIONAL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "version": str,
    "created": str,
    "parent": str,
    "corpus_sha256": str,
    "corpus_files": list,
    "config": dict,
    "metrics": dict,
    "libraries": dict,
    "promotion": dict,
}


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdef" for ch in text)


def check_weights_finite(path: Path) -> None:
    """Refuse weight arrays holding NaN or ±Infinity (they would make every score NaN)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            for name in npz.files:
                array = npz[name]
                if array.dtype.kind == "f" and not np.isfinite(array).all():
                    raise ModelError(
                        f"{path}: 数组 {name} 含有 NaN 或无穷大 (non-finite values in {name})"
                    )
    except ModelError:
        raise
    except Exception:  # noqa: BLE001 - the loader says what is wrong with a corrupt archive
        return


def check_tokenizer(model_dir: str | Path, meta: dict) -> None:
    """Refuse a model whose recorded tokenizer differs from today's, naming each change.

    Models saved before the tokenizer was recorded (no ``tokenizer`` in meta.json) load
    as before: there is nothing to compare.
    """
    saved = meta.get("tokenizer")
    if saved is None:
        return
    changes = tokenizer_changes(saved) if isinstance(saved, dict) else ["unreadable record"]
    if changes:
        raise ModelError(
            f"{model_dir}: 分词与训练时不同，模型看到的词会变 (the tokenizer differs from the one "
            f"this model was trained with): {'; '.join(changes)}. "
            "请重新训练模型或恢复原文件 (retrain the model, or restore what changed)"
        )


def verify_file(model_dir: str | Path, meta: dict, name: str) -> Path:
    """Check one file of the model against the sha256 recorded in meta.json."""
    path = Path(model_dir) / name
    expected = meta["files"].get(name)
    if expected is None:
        raise ModelError(f"{path}: meta.json 中没有此文件的校验和 (no sha256 recorded)")
    if not path.is_file():
        raise ModelError(f"{path}: 缺少模型文件 (missing file)")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"{path}: sha256 不符，文件已被修改或损坏 (expected {expected[:12]}…, got {actual[:12]}…)"
        )
    if name == WEIGHTS:
        check_weights_finite(path)
    return path


def load_pipelines(model_dir: str | Path, *, trust: bool = False) -> dict:
    """Load the joblib pipelines, for analysts. Unpickling runs code: ``trust=True`` is required."""
    if not trust:
        raise ModelError(
            "pipeline.joblib 只能在明确信任该模型时加载 (pass trust=True / --trust: "
            "unpickling a file can run code)"
        )
    import joblib

    meta = read_meta(model_dir)
    check_tokenizer(model_dir, meta)
    path = verify_file(model_dir, meta, PIPELINE)
    with _old_module_paths():
        return joblib.load(path)


# Pipelines pickled before the package was split into subpackages name these modules.
# They are aliased only while such a file is unpickled: no shim modules on disk.
OLD_MODULE_PATHS = {
    "nlp_pipeline.classifier": "nlp_pipeline.training.estimator",
    "nlp_pipeline.features": "nlp_pipeline.model.features",
    "nlp_pipeline.normalize": "nlp_pipeline.text.normalize",
    "nlp_pipeline.tokenize": "nlp_pipeline.text.tokens",
}


@contextmanager
def _old_module_paths() -> Iterator[None]:
    import importlib

    added = []
    for old, new in OLD_MODULE_PATHS.items():
        if old not in sys.modules:
            sys.modules[old] = importlib.import_module(new)
            added.append(old)
    try:
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)

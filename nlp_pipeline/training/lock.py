"""One training at a time per models folder: an exclusive lock file naming its holder."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nlp_pipeline.errors import TrainingError
from nlp_pipeline.io.atomic import pid_alive
from nlp_pipeline.model.registry import models_root

LOCK = ".train.lock"


@contextmanager
def training_lock(root: Path | None = None) -> Iterator[Path]:
    """Exclusive lock for one training at a time in a models folder.

    A lock left by a killed process (same host, pid gone) is taken over.
    """
    root = root or models_root()
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                holder = {}
            stale = (
                holder.get("host") == me["host"]
                and isinstance(holder.get("pid"), int)
                and not pid_alive(holder["pid"])
            )
            if stale:
                path.unlink(missing_ok=True)
                continue
            raise TrainingError(
                f"另一个训练正在进行 (another training holds {path}: pid {holder.get('pid')}, "
                f"since {holder.get('since')}); 请等它结束后再试"
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)

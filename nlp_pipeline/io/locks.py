"""One writer per output file: a second ``opinions classify`` to the same file is refused.

The lock is a small file beside the output (``.<name>.opinions-lock``) created with
``O_EXCL``; it names the process holding it. A lock left by a process that no longer runs
(same host) is taken over, so a crash never blocks the next run.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nlp_pipeline.errors import OutputError, where


def lock_path(output: str | os.PathLike[str]) -> Path:
    path = Path(output)
    return path.with_name(f".{path.name}.opinions-lock")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@contextmanager
def output_lock(output: str | os.PathLike[str]) -> Iterator[Path | None]:
    """Hold the output's lock while writing it; refuse when another run holds it."""
    if os.fspath(output) == "-":
        yield None
        return
    path = lock_path(output)
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%H:%M:%S")}
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                holder = {}
            pid = holder.get("pid")
            if holder.get("host") == me["host"] and isinstance(pid, int) and not _alive(pid):
                path.unlink(missing_ok=True)
                continue
            raise OutputError(
                f"{where(os.fspath(output))}另一个 opinions classify 正在写这个文件（进程 {pid}，"
                f"{holder.get('since', '?')} 开始）；请等它结束，或换一个输出文件名 "
                f"(another run is writing this output; lock: {path})"
            ) from None
        except OSError:
            yield None  # a folder we cannot write a lock in: the writer will say what is wrong
            return
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)

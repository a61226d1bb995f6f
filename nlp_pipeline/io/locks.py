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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from nlp_pipeline.errors import OutputError, where
from nlp_pipeline.io.atomic import pid_alive


def lock_path(output: str | os.PathLike[str]) -> Path:
    path = Path(output)
    return path.with_name(f".{path.name}.opinions-lock")


@contextmanager
def exclusive_lock(
    path: Path, busy: Callable[[dict], Exception], *, unwritable_ok: bool = False
) -> Iterator[Path | None]:
    """Hold ``path`` (created with ``O_EXCL``, naming this process) for the block.

    A lock left by a process that no longer runs on this host is taken over; a live holder
    raises ``busy(holder)``. With ``unwritable_ok``, a folder that cannot take a lock file
    yields None instead of failing (the caller's own write will say what is wrong).
    """
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
            pid = holder.get("pid")
            if holder.get("host") == me["host"] and isinstance(pid, int) and not pid_alive(pid):
                path.unlink(missing_ok=True)
                continue
            raise busy(holder) from None
        except OSError:
            if not unwritable_ok:
                raise
            yield None
            return
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def output_lock(output: str | os.PathLike[str]) -> Iterator[Path | None]:
    """Hold the output's lock while writing it; refuse when another run holds it."""
    if os.fspath(output) == "-":
        yield None
        return
    path = lock_path(output)

    def busy(holder: dict) -> Exception:
        return OutputError(
            f"{where(os.fspath(output))}另一个 opinions classify 正在写这个文件（进程 "
            f"{holder.get('pid')}，{holder.get('since', '?')} 开始）；请等它结束，或换一个输出"
            f"文件名 (another run is writing this output; lock: {path})"
        )

    with exclusive_lock(path, busy, unwritable_ok=True) as held:
        yield held

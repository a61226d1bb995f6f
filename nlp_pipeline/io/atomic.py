"""Atomic file writing: the one way this package replaces a file.

A file is written under a temporary name in the target's own folder (``.name.tmp-<pid>-<random>``,
same file system, so the final :func:`os.replace` is atomic) and moved onto the final name
only when it is complete. An interrupted run, a full disk or an unwritable folder never
leaves a half-written file under the final name, and an existing file stays as it was.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable

from nlp_pipeline.errors import OutputError, where


def check_target(final: str) -> str:
    """The folder of ``final``, after checking ``final`` can be a file there."""
    if os.path.isdir(final):
        raise OutputError(f"{where(final)}这是一个文件夹，不能作为输出文件 (is a folder)")
    folder = os.path.dirname(os.path.abspath(final))
    if not os.path.isdir(folder):
        raise OutputError(f"{where(final)}所在的文件夹不存在 (the folder {folder} does not exist)")
    return folder


def temp_name(final: str) -> str:
    """A fresh temporary name beside ``final``: ``.<name>.tmp-<pid>-<random>``.

    The process id in the name lets a later run tell a temporary of a killed process from
    one still being written (:func:`remove_stale_temporaries`).
    """
    folder = check_target(final)
    remove_stale_temporaries(folder)
    name = f".{os.path.basename(final)}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    return os.path.join(folder, name)


# Ours: files from temp_name (hex suffix), model folders from tempfile.mkdtemp (its alphabet).
_TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)-[0-9a-z_]{8}$")


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this machine (or may: no permission)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        return _win_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[str]:
    """Remove the temporaries (``.<name>.tmp-<pid>-<random>``) of processes that are gone.

    A run killed with ``kill -9`` (or a power cut) cannot clean up; the next run writing to
    the same folder does. Files of live processes, and anything not named like ours, are
    left alone. Returns the names removed.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        if pid_alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.remove(entry.path)
            removed.append(entry.name)
        except OSError:
            pass  # another run removed it first, or it is not ours to remove
    return removed


def write_error(final: str, exc: OSError) -> OutputError:
    """The user-facing error for an OS error while writing ``final``."""
    if isinstance(exc, PermissionError):
        return OutputError(
            f"{where(final)}没有写入权限，或文件正在 Excel/浏览器中打开，请关闭后重试 "
            f"(permission denied — is the file open in another program?): {exc.strerror or exc}"
        )
    return OutputError(f"{where(final)}无法写入 (cannot write): {exc.strerror or exc}")


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], None]) -> None:
    """Call ``write(temporary_path)``, then move the complete file onto ``path``.

    On any error the temporary file is removed and ``path`` is untouched; OS errors become
    :class:`~nlp_pipeline.errors.OutputError` naming the file.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_text_atomic(target, "好\\n")
    >>> target.read_text(encoding="utf-8")
    '好\\n'
    """
    final = os.fspath(path)
    temp = temp_name(final)
    try:
        write(temp)
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, final)
    except OSError as exc:
        raise write_error(final, exc) from exc
    finally:
        if os.path.exists(temp):
            try:
                os.remove(temp)
            except OSError:
                pass  # the error that brought us here is the one to report


def write_text_atomic(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (``\\n`` line endings)."""

    def write(temp: str) -> None:
        with open(temp, "w", encoding=encoding, newline="\n") as fh:
            fh.write(text)

    atomic_write(path, write)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""

    def write(temp: str) -> None:
        with open(temp, "wb") as fh:
            fh.write(data)

    atomic_write(path, write)


def _win_pid_alive(pid: int) -> bool:
    """Windows: a process handle that can be opened and has not exited."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)

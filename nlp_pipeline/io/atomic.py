"""Atomic file writing: the one way this package replaces a file.

A file is written under a temporary name in the target's own folder (``.name.tmp-<random>``,
same file system, so the final :func:`os.replace` is atomic) and moved onto the final name
only when it is complete. An interrupted run, a full disk or an unwritable folder never
leaves a half-written file under the final name, and an existing file stays as it was.
"""

from __future__ import annotations

import os
import secrets
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
    """A fresh temporary name beside ``final``: ``.<name>.tmp-<random>``."""
    folder = check_target(final)
    return os.path.join(folder, f".{os.path.basename(final)}.tmp-{secrets.token_hex(4)}")


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
            os.remove(temp)


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

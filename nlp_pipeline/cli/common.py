"""Pieces shared by the CLI modules: error handling, the --model option, stderr messages."""

from __future__ import annotations

import errno
import functools

import click

from nlp_pipeline.errors import OpinionsError


def handle_errors(func):
    """Turn the library's user-facing errors into clean click errors (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OpinionsError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            # The library turns the OS errors it expects into OpinionsError; any other (a
            # full disk or a read-only folder while training, say) is still a message.
            raise click.ClickException(os_error_message(exc)) from exc

    return wrapper


_OS_REASONS = {
    errno.ENOSPC: "磁盘空间不足 (disk full)",
    errno.EDQUOT: "磁盘配额已用完 (quota exceeded)",
    errno.EROFS: "磁盘是只读的 (read-only file system)",
    errno.EACCES: "没有权限 (permission denied)",
    errno.EPERM: "没有权限 (operation not permitted)",
    errno.ENOENT: "找不到文件或文件夹 (not found)",
}


def os_error_message(exc: OSError) -> str:
    """``path: 无法读写: 磁盘空间不足 (…)`` for an OS error that reached the CLI."""
    reason = _OS_REASONS.get(exc.errno or -1, exc.strerror or str(exc))
    name = exc.filename if exc.filename is not None else ""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "backslashreplace")
    name = str(name).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return f"{name + ': ' if name else ''}无法读写 (cannot read or write): {reason}"


def model_option(func):
    return click.option(
        "--model",
        "model",
        metavar="DIR|VERSION",
        default=None,
        help="模型目录或版本名 (model directory or version; default: the current default model).",
    )(func)


def echo_err(message: str, quiet: bool = False) -> None:
    if not quiet:
        click.echo(message, err=True)


def load_predictor(model: str | None):
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.model.registry import resolve_model

    return Predictor(resolve_model(model))

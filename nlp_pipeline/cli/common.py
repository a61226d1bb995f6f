"""Pieces shared by the CLI modules: error handling, the --model option, stderr messages."""

from __future__ import annotations

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

    return wrapper


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

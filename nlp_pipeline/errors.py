"""User-facing errors. Core code raises these; the CLI turns them into click exceptions.

Messages are written for bureau staff: they name the file, the line or row, and what to do.
"""

from __future__ import annotations


class OpinionsError(Exception):
    """Base class for every error the tool reports to a user."""


class InputError(OpinionsError):
    """An input file or value cannot be read or is not what it should be."""


class LabelError(InputError):
    """A label is not in the label guide."""


class ModelError(OpinionsError):
    """A model directory is missing, incomplete, tampered with or of another format."""


class OutputError(OpinionsError):
    """An output cannot be written."""


class TrainingError(OpinionsError):
    """Training cannot start or was refused (lock held, gate failed, invalid samples)."""


def where(path: object, line: int | None = None, *, unit: str = "行") -> str:
    """Format a location prefix such as ``data.csv 第 17 行: ``."""
    if line is None:
        return f"{path}: "
    return f"{path} 第 {line} {unit}: "

"""JSON text that is always valid JSON: NaN and ±Infinity become null.

Python's ``json`` writes ``NaN`` by default, which no other JSON reader (and not
``json.loads(..., parse_constant=...)``-strict readers such as the model loader) accepts. A
metric that is undefined (a precision over zero accepted messages) is NaN in memory and
``null`` on disk.
"""

from __future__ import annotations

import json
import math


def finite(value: object) -> object:
    """``value`` with every NaN and ±Infinity (nested too) replaced by None (JSON null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(value: object, *, indent: int | None = None, default=None) -> str:
    """``json.dumps`` with non-ASCII kept and non-finite numbers as null."""
    try:
        return json.dumps(
            value, ensure_ascii=False, indent=indent, default=default, allow_nan=False
        )
    except ValueError:  # NaN or ±Infinity somewhere
        return json.dumps(
            finite(value), ensure_ascii=False, indent=indent, default=default, allow_nan=False
        )

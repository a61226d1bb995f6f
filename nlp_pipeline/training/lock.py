"""One training at a time per models folder: an exclusive lock file naming its holder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nlp_pipeline.errors import TrainingError
from nlp_pipeline.io.locks import exclusive_lock
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

    def busy(holder: dict) -> Exception:
        return TrainingError(
            f"另一个训练正在进行 (another training holds {path}: pid {holder.get('pid')}, "
            f"since {holder.get('since')}); 请等它结束后再试"
        )

    with exclusive_lock(path, busy) as held:
        assert held is not None  # only unwritable_ok locks yield None
        yield held

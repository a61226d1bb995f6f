"""The public API: what a notebook or another program calls (re-exported by ``nlp_pipeline``).

Each function is the library function behind one ``opinions`` command; the CLI calls the
same functions and only renders their results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlp_pipeline.model.predictor import Prediction, Predictor
    from nlp_pipeline.training.build import BuiltModel
    from nlp_pipeline.training.config import TrainConfig

ModelSpec = str | os.PathLike[str] | None


def load_model(model: ModelSpec = None) -> Predictor:
    """The data-only predictor of a model: a directory, a version name, or None for the default.

    It loads only JSON and ``.npz`` files (no pickle) after checking their sha256.

    >>> predictor = load_model()
    >>> sorted(predictor.labels)
    ['stance', 'topic']
    """
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.model.registry import resolve_model

    return Predictor(resolve_model(model))


def triage(text: str, model: ModelSpec = None, *, explain: bool = True) -> Prediction:
    """Classify one comment: topic, stance, confidences, review flag and the words behind them.

    >>> p = triage("晚上小区里经常有人偷电动车，希望加强巡逻")
    >>> p.topic, p.stance
    ('public_order', 'suggestion')
    """
    return load_model(model).predict([text], explain=explain)[0]


def evaluate(
    data: str | os.PathLike[str],
    model: ModelSpec = None,
    *,
    text_column: str | None = None,
) -> dict:
    """Metrics of a model on a labelled file (.jsonl .csv .tsv .xlsx): a flat, named dict.

    Keys include ``model`` (the version evaluated), ``eval_topic_macro_f1``,
    ``eval_stance_macro_f1``, per-class ``details`` and the ``review`` routing at the
    model's thresholds. ``opinions evaluate`` prints this dict.
    """
    from nlp_pipeline.data.labelled import read_labelled
    from nlp_pipeline.errors import InputError
    from nlp_pipeline.training.metrics import evaluate_predictions

    predictor = load_model(model)
    records = read_labelled(Path(data), text_column=text_column).records
    if not records:
        raise InputError(f"{data}: 没有可评估的记录 (no labelled records)")
    preds = predictor.predict([r.text for r in records])
    result = evaluate_predictions(records, preds, predictor.thresholds, prefix="eval")
    return {"model": predictor.version, **result}


def train(
    corpus_files: Sequence[str | os.PathLike[str]],
    target: str | os.PathLike[str],
    *,
    test_file: str | os.PathLike[str] | None = None,
    config: TrainConfig | None = None,
    version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuiltModel:
    """Train a model on labelled corpus files and write its directory to ``target``.

    ``test_file`` (the frozen split) is evaluated and its metrics stored in ``meta.json``.
    ``version`` names the model (default: derived from the corpus sha256, config and
    time); ``progress`` receives one message per training phase. For guarded retraining
    of the default model with new labels, see :func:`nlp_pipeline.retrain`.
    """
    from nlp_pipeline.training.build import build_model

    return build_model(
        [Path(f) for f in corpus_files],
        Path(test_file) if test_file is not None else None,
        Path(target),
        config=config,
        version=version,
        progress=progress,
    )


def labels() -> dict[str, dict[str, str]]:
    """The label set of docs/LABELS.md: ``{head: {label id: Chinese name}}``.

    >>> labels()["topic"]["traffic"]
    '交通管理'
    """
    from nlp_pipeline.taxonomy import HEADS

    return {head: dict(names) for head, names in HEADS.items()}

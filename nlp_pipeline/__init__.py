"""nlp_pipeline: triage Chinese citizens' opinions for public-security bureaus.

The public API (see the README's "Library" section)::

    import nlp_pipeline as nlp

    nlp.triage("晚上小区里经常有人偷电动车，希望加强巡逻")   # one comment -> Prediction
    nlp.classify_texts(texts)                            # many -> list of dicts
    nlp.classify_file("in.xlsx", "out.xlsx")             # what `opinions classify` does
    nlp.compute_report("out.xlsx")                       # what `opinions report` computes

Names are imported lazily, so ``import nlp_pipeline`` stays cheap (the CLI's cold start
imports neither scikit-learn nor scipy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "triage": "nlp_pipeline.api",
    "load_model": "nlp_pipeline.api",
    "evaluate": "nlp_pipeline.api",
    "train": "nlp_pipeline.api",
    "labels": "nlp_pipeline.api",
    "classify_texts": "nlp_pipeline.tasks.classify",
    "classify_file": "nlp_pipeline.tasks.classify",
    "suggest": "nlp_pipeline.tasks.suggest",
    "audit": "nlp_pipeline.tasks.audit",
    "retrain": "nlp_pipeline.training.retrain",
    "compute_report": "nlp_pipeline.report.compute",
    "write_report": "nlp_pipeline.report.render",
    "read_corpus": "nlp_pipeline.data.corpus",
    "training_files": "nlp_pipeline.data.corpus",
    "normalize": "nlp_pipeline.text.normalize",
    "Prediction": "nlp_pipeline.model.predictor",
    "Predictor": "nlp_pipeline.model.predictor",
    "TrainConfig": "nlp_pipeline.training.config",
    "OpinionsError": "nlp_pipeline.errors",
}

__all__ = [
    "__version__",
    "triage",
    "load_model",
    "evaluate",
    "train",
    "labels",
    "classify_texts",
    "classify_file",
    "suggest",
    "audit",
    "retrain",
    "compute_report",
    "write_report",
    "read_corpus",
    "training_files",
    "normalize",
    "Prediction",
    "Predictor",
    "TrainConfig",
    "OpinionsError",
]

if TYPE_CHECKING:
    from nlp_pipeline.api import evaluate, labels, load_model, train, triage
    from nlp_pipeline.data.corpus import read_corpus, training_files
    from nlp_pipeline.errors import OpinionsError
    from nlp_pipeline.model.predictor import Prediction, Predictor
    from nlp_pipeline.report.compute import compute_report
    from nlp_pipeline.report.render import write_report
    from nlp_pipeline.tasks.audit import audit
    from nlp_pipeline.tasks.classify import classify_file, classify_texts
    from nlp_pipeline.tasks.suggest import suggest
    from nlp_pipeline.text.normalize import normalize
    from nlp_pipeline.training.config import TrainConfig
    from nlp_pipeline.training.retrain import retrain


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp_pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

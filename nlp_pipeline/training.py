"""Training both heads: pipelines, cross-validated metrics, and review thresholds.

Each head is its own scikit-learn ``Pipeline`` (prepare → features → classifier). The
two pipelines share one fitted feature step, because both heads use the same features:
it is fitted once per fold instead of twice, and a comment is tokenised once at
prediction time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nlp_pipeline.classifier import CalibratedLinearSVC
from nlp_pipeline.config import FeatureConfig, HeadConfig, TrainConfig
from nlp_pipeline.corpus import Record
from nlp_pipeline.evaluation import choose_thresholds, flat_metrics, head_metrics, routing_metrics
from nlp_pipeline.features import CharAnalyzer, WordAnalyzer
from nlp_pipeline.normalize import prepare_many
from nlp_pipeline.tokenize import token_cache, tokenize

HEAD_NAMES = ("topic", "stance")
Progress = Callable[[str], None]


def build_features(cfg: FeatureConfig):
    """Word n-gram TF-IDF joined with character n-gram TF-IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    def tfidf(analyzer):
        return TfidfVectorizer(
            analyzer=analyzer, min_df=cfg.min_df, sublinear_tf=cfg.sublinear_tf, dtype=np.float64
        )

    return FeatureUnion(
        [
            ("word", tfidf(WordAnalyzer(cfg.word_ngram_max))),
            ("char", tfidf(CharAnalyzer(cfg.char_ngram_min, cfg.char_ngram_max))),
        ]
    )


def build_classifier(cfg: HeadConfig, seed: int) -> CalibratedLinearSVC:
    return CalibratedLinearSVC(
        C=cfg.C, class_weight=cfg.class_weight, cv=cfg.calibration_folds, random_state=seed
    )


def assemble_pipeline(features, classifier):
    """A head's pipeline from an already fitted feature step and classifier."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    prepare = FunctionTransformer(prepare_many).fit([""])
    return Pipeline([("prepare", prepare), ("features", features), ("clf", classifier)])


def fit_heads(texts: Sequence[str], labels: dict[str, Sequence[str]], config: TrainConfig) -> dict:
    """Fit the shared features and one classifier per head; return the pipelines."""
    prepared = prepare_many(texts)
    features = build_features(config.features)
    X = features.fit_transform(prepared)
    return {
        head: assemble_pipeline(
            features, build_classifier(config.head(head), config.seed).fit(X, list(y))
        )
        for head, y in labels.items()
    }


def _fold(prepared, labels, train_idx, test_idx, config, tokens) -> dict[str, np.ndarray]:
    """One cross-validation fold: fit on ``train_idx``, predict ``test_idx`` (worker job)."""
    with token_cache(tokens):
        features = build_features(config.features)
        X_train = features.fit_transform([prepared[i] for i in train_idx])
        X_test = features.transform([prepared[i] for i in test_idx])
        out = {}
        for head, y in labels.items():
            y = np.asarray(y)
            clf = build_classifier(config.head(head), config.seed).fit(X_train, y[train_idx])
            out[head] = clf.predict_proba(X_test)
        return out


def _fit_job(texts, labels, config, tokens) -> tuple[dict, dict[str, float]]:
    """The final fit (worker job), with the time of its phases."""
    with token_cache(tokens):
        started = time.perf_counter()
        pipelines = fit_heads(texts, labels, config)
        total = time.perf_counter() - started
    clf = [p.named_steps["clf"].seconds_ for p in pipelines.values()]
    phases = {k: sum(c[k] for c in clf) for k in ("calibrate", "fit")}
    phases["features"] = total - phases["calibrate"] - phases["fit"]
    return pipelines, {f"final_{k}": v for k, v in phases.items()}


def _run(jobs: list, n_jobs: int) -> list:
    if n_jobs == 1:
        return [fn(*args) for fn, args in jobs]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(fn)(*args) for fn, args in jobs)


def _fold_jobs(prepared, labels, config, tokens) -> tuple[list, list]:
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{a}|{b}" for a, b in zip(*labels.values(), strict=True)]
    folds = StratifiedKFold(n_splits=config.cv_folds, shuffle=True, random_state=config.seed)
    splits = list(folds.split(np.zeros(len(strata)), strata))
    jobs = [(_fold, (prepared, labels, tr, te, config, tokens)) for tr, te in splits]
    return jobs, [te for _, te in splits]


def _assemble_oof(results: list, test_parts: list, n: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for result, test_idx in zip(results, test_parts, strict=True):
        for head, proba in result.items():
            if head not in out:
                out[head] = np.zeros((n, proba.shape[1]))
            out[head][test_idx] = proba
    return out


def out_of_fold(
    texts: Sequence[str], labels: dict[str, Sequence[str]], config: TrainConfig, n_jobs: int = 1
) -> dict[str, np.ndarray]:
    """Calibrated probabilities for every text from models that never saw it.

    Folds are stratified by topic × stance; features and calibration are refitted inside
    every fold, so nothing of the held-out part leaks into its prediction. The result does
    not depend on ``n_jobs``.
    """
    prepared = prepare_many(texts)
    jobs, test_parts = _fold_jobs(prepared, labels, config, None)
    return _assemble_oof(_run(jobs, n_jobs), test_parts, len(prepared))


@dataclass
class TrainResult:
    """Fitted pipelines plus everything measured while training them."""

    pipelines: dict
    config: TrainConfig
    thresholds: dict[str, float]
    cv_metrics: dict
    cv_details: dict
    timings: dict[str, float] = field(default_factory=dict)
    n_train: int = 0


def train(
    records: Sequence[Record],
    config: TrainConfig | None = None,
    progress: Progress | None = None,
    n_jobs: int | None = None,
) -> TrainResult:
    """Fit both heads on ``records`` and measure them by cross-validation on those records.

    The review thresholds are chosen on the out-of-fold predictions, never on data a model
    trained on.
    """
    config = config or TrainConfig()
    say = progress or (lambda _msg: None)
    texts = [r.text for r in records]
    labels = {head: [getattr(r, head) for r in records] for head in HEAD_NAMES}
    timings: dict[str, float] = {}
    n_jobs = n_jobs or os.cpu_count() or 1
    with token_cache() as cache:
        t0 = time.perf_counter()
        say("分词 tokenize")
        prepared = prepare_many(texts)
        for text in prepared:
            tokenize(text)  # once, shared with every fold
        timings["tokenize"] = time.perf_counter() - t0
        tokens = dict(cache) if n_jobs > 1 else None  # worker processes get a copy

        t0 = time.perf_counter()
        say(f"交叉验证 + 训练 cross-validate ({config.cv_folds} folds) + fit, {n_jobs} 进程")
        # The folds and the final fit are independent: one parallel batch of jobs.
        jobs, test_parts = _fold_jobs(prepared, labels, config, tokens)
        results = _run([*jobs, (_fit_job, (texts, labels, config, tokens))], n_jobs)
        pipelines, final_phases = results.pop()
        oof = _assemble_oof(results, test_parts, len(prepared))
        timings["cross_validate_and_fit"] = time.perf_counter() - t0
        timings.update(final_phases)  # inside the line above, measured in the worker

    t0 = time.perf_counter()
    details, conf, correct = {}, {}, {}
    for head in HEAD_NAMES:
        classes = sorted(set(labels[head]))
        pred = [classes[i] for i in oof[head].argmax(axis=1)]
        conf[head] = oof[head].max(axis=1)
        correct[head] = np.array([p == t for p, t in zip(pred, labels[head], strict=True)])
        details[head] = head_metrics(head, labels[head], pred, conf[head])
    thresholds = choose_thresholds(
        conf["topic"], conf["stance"], correct["topic"], correct["stance"], config.target_precision
    )
    routing = routing_metrics(
        conf["topic"], conf["stance"], correct["topic"], correct["stance"], thresholds
    )
    timings["evaluate"] = time.perf_counter() - t0
    return TrainResult(
        pipelines=pipelines,
        config=config,
        thresholds=thresholds,
        cv_metrics=flat_metrics("cv", details, routing),
        cv_details=details,
        timings=timings,
        n_train=len(records),
    )

"""Training both heads: pipelines, cross-validated metrics, and review thresholds.

Each head is its own scikit-learn ``Pipeline`` (prepare → features → classifier). The
two pipelines share one fitted feature step, because both heads use the same features:
it is fitted once per fold instead of twice, and a comment is tokenised once at
prediction time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from nlp_pipeline.data.corpus import Record
from nlp_pipeline.model.features import CharAnalyzer, WordAnalyzer
from nlp_pipeline.text.normalize import prepare_many
from nlp_pipeline.text.tokens import token_cache, tokenize
from nlp_pipeline.training.config import FeatureConfig, HeadConfig, TrainConfig
from nlp_pipeline.training.estimator import CalibratedLinearSVC, fit_temperature, softmax
from nlp_pipeline.training.metrics import (
    choose_thresholds,
    flat_metrics,
    routing_metrics,
    score_heads,
    top_labels,
)

HEAD_NAMES = ("topic", "stance")
Progress = Callable[[str], None]


def feature_blocks(cfg: FeatureConfig) -> list[tuple[str, WordAnalyzer | CharAnalyzer]]:
    """The named analyzers of the feature union, in column order."""
    if not cfg.structure:
        return [
            ("word", WordAnalyzer(cfg.word_ngram_max)),
            ("char", CharAnalyzer(cfg.char_ngram_min, cfg.char_ngram_max)),
        ]
    blocks: list[tuple[str, WordAnalyzer | CharAnalyzer]] = [
        ("word", WordAnalyzer(cfg.word_ngram_max, section="substance")),
        ("char", CharAnalyzer(cfg.char_ngram_min, cfg.char_ngram_max, section="substance")),
        ("title", WordAnalyzer(cfg.word_ngram_max, section="title")),
    ]
    if cfg.request_block:
        blocks.append(("request", WordAnalyzer(cfg.word_ngram_max, section="request")))
    return blocks


def build_features(cfg: FeatureConfig):
    """TF-IDF blocks of ``feature_blocks`` joined in one ``FeatureUnion``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    def tfidf(analyzer):
        return TfidfVectorizer(
            analyzer=analyzer, min_df=cfg.min_df, sublinear_tf=cfg.sublinear_tf, dtype=np.float64
        )

    return FeatureUnion([(name, tfidf(a)) for name, a in feature_blocks(cfg)])


def build_classifier(cfg: HeadConfig, seed: int, scale: float | None = None) -> CalibratedLinearSVC:
    return CalibratedLinearSVC(
        C=cfg.C, class_weight=cfg.class_weight, random_state=seed, scale=scale
    )


def assemble_pipeline(features, classifier):
    """A head's pipeline from an already fitted feature step and classifier."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    prepare = FunctionTransformer(prepare_many).fit([""])
    return Pipeline([("prepare", prepare), ("features", features), ("clf", classifier)])


def fit_heads(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    config: TrainConfig,
    scales: dict[str, float] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> dict:
    """Fit the shared features and one classifier per head; return the pipelines.

    Without ``scales`` each classifier calibrates itself on inner folds.
    """
    prepared = prepare_many(texts)
    features = build_features(config.features)
    X = features.fit_transform(prepared)
    return {
        head: assemble_pipeline(
            features,
            build_classifier(config.head(head), config.seed, (scales or {}).get(head)).fit(
                X, list(y), sample_weight=sample_weight
            ),
        )
        for head, y in labels.items()
    }


def count_blocks(prepared: Sequence[str], cfg: FeatureConfig) -> list:
    """Raw term counts of every text, per feature block (word, char), vocabulary = all terms.

    Counting is the expensive part of fitting a TF-IDF vectorizer; cross-validation counts
    once here and derives each fold's TF-IDF from these counts (``fold_tfidf``).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    return [
        CountVectorizer(analyzer=a).fit_transform(prepared).tocsr()
        for _name, a in feature_blocks(cfg)
    ]


def fold_tfidf(blocks: list, train_idx, test_idx, cfg: FeatureConfig):
    """What ``build_features(cfg)`` fitted on the ``train_idx`` rows gives for both parts.

    Same vocabulary rule (document frequency >= min_df in the training rows), same smoothed
    idf, sublinear tf and l2 norm per block, and the same column order (each block's terms
    sorted). ``tests/training/test_fit.py`` checks it per fold, and
    ``tests/training/test_tfidf_equivalence.py`` ties it to the pipelines and the predictor.
    """
    from scipy.sparse import diags, hstack
    from sklearn.preprocessing import normalize

    parts: tuple[list, list] = ([], [])
    for counts in blocks:
        train = counts[train_idx]
        df = np.bincount(train.indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= cfg.min_df)
        idf = np.log((1 + len(train_idx)) / (1 + df[keep])) + 1.0
        for rows, out in ((train, parts[0]), (counts[test_idx], parts[1])):
            X = rows[:, keep].astype(np.float64)
            if cfg.sublinear_tf:
                X.data = np.log(X.data) + 1.0
            out.append(normalize(X @ diags(idf), norm="l2"))
    return hstack(parts[0]).tocsr(), hstack(parts[1]).tocsr()


def _fold(blocks, labels, train_idx, test_idx, config, weights=None) -> dict[str, np.ndarray]:
    """One cross-validation fold: fit on ``train_idx``, score ``test_idx`` (worker job)."""
    X_train, X_test = fold_tfidf(blocks, train_idx, test_idx, config.features)
    out = {}
    w = None if weights is None else np.asarray(weights)[train_idx]
    for head, y in labels.items():
        y = np.asarray(y)
        clf = build_classifier(config.head(head), config.seed, scale=1.0).fit(
            X_train, y[train_idx], sample_weight=w
        )
        out[head] = clf.decision_function(X_test)
    return out


def _fit_job(texts, labels, config, tokens, weights=None) -> tuple[dict, dict[str, float]]:
    """The final fit (worker job), with the time of its phases; temperatures set later."""
    with token_cache(tokens):
        started = time.perf_counter()
        placeholder = dict.fromkeys(labels, 1.0)
        pipelines = fit_heads(texts, labels, config, scales=placeholder, sample_weight=weights)
        total = time.perf_counter() - started
    svm = sum(p.named_steps["clf"].seconds_["fit"] for p in pipelines.values())
    return pipelines, {"final_features": total - svm, "final_svm": svm}


def calibrate(
    scores: dict[str, np.ndarray], labels: Mapping[str, Sequence[str]]
) -> tuple[dict, dict]:
    """Temperatures fitted on out-of-fold scores, and the calibrated probabilities."""
    scales, proba = {}, {}
    for head, z in scores.items():
        classes = sorted(set(labels[head]))
        y_index = np.searchsorted(classes, labels[head])
        scales[head] = fit_temperature(z, y_index)
        proba[head] = softmax(scales[head] * z)
    return scales, proba


def _run(jobs: list, n_jobs: int) -> list:
    if n_jobs == 1:
        return [fn(*args) for fn, args in jobs]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(fn)(*args) for fn, args in jobs)


def _fold_jobs(blocks, labels, config, weights=None) -> tuple[list, list]:
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{a}|{b}" for a, b in zip(*labels.values(), strict=True)]
    folds = StratifiedKFold(n_splits=config.cv_folds, shuffle=True, random_state=config.seed)
    splits = list(folds.split(np.zeros(len(strata)), strata))
    jobs = [(_fold, (blocks, labels, tr, te, config, weights)) for tr, te in splits]
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
    texts: Sequence[str], labels: Mapping[str, Sequence[str]], config: TrainConfig, n_jobs: int = 1
) -> dict[str, np.ndarray]:
    """Calibrated probabilities for every text from models that never saw it.

    Folds are stratified by topic × stance; features and calibration are refitted inside
    every fold, so nothing of the held-out part leaks into its prediction. The result does
    not depend on ``n_jobs``.
    """
    prepared = prepare_many(texts)
    with token_cache():
        blocks = count_blocks(prepared, config.features)
    jobs, test_parts = _fold_jobs(blocks, labels, config)
    return calibrate(_assemble_oof(_run(jobs, n_jobs), test_parts, len(prepared)), labels)[1]


def is_added(record: Record) -> bool:
    """A sample a bureau added with ``train --add`` (its source names the added file)."""
    return record.source.startswith("added")


def sample_weights(records: Sequence[Record], config: TrainConfig) -> list[float] | None:
    """``config.added_weight`` for added samples, 1 for corpus records; None when all are 1."""
    if config.added_weight == 1.0 or not any(is_added(r) for r in records):
        return None
    return [config.added_weight if is_added(r) else 1.0 for r in records]


# A group needs this many held-out predictions before its own thresholds count.
MIN_GROUP = 30


def review_group(record: Record) -> str:
    """The kind of text a record is, for the review promise: added samples, or a register."""
    return "added" if is_added(record) else (record.register or "corpus")


def review_thresholds(
    groups: Sequence[str],
    conf: dict[str, np.ndarray],
    correct: dict[str, np.ndarray],
    target: float,
) -> tuple[dict[str, float], dict[str, dict]]:
    """Thresholds that keep the promise on every kind of text, not only on average.

    The promise (rows not sent to review have both labels right at least ``target`` of
    the time) is met on the held-out predictions of each group with at least
    ``MIN_GROUP`` records — the corpus' registers (letters, hotline work orders, form
    answers …) and a bureau's own added samples — by taking, per head, the strictest of
    the groups' thresholds. Real messages read like the hardest register, not the average.
    """
    names = sorted(set(groups))
    idx = {g: np.array([x == g for x in groups]) for g in names}
    chosen = {
        g: choose_thresholds(
            conf["topic"][m], conf["stance"][m], correct["topic"][m], correct["stance"][m], target
        )
        for g, m in idx.items()
        if m.sum() >= MIN_GROUP
    }
    overall = choose_thresholds(
        conf["topic"], conf["stance"], correct["topic"], correct["stance"], target
    )
    thresholds = {h: max([overall[h], *(c[h] for c in chosen.values())]) for h in overall}
    report = {}
    for g, m in idx.items():
        r = routing_metrics(
            conf["topic"][m],
            conf["stance"][m],
            correct["topic"][m],
            correct["stance"][m],
            thresholds,
        )
        r = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}  # NaN
        report[g] = {"n": int(m.sum()), "own_thresholds": chosen.get(g), **r}
    return thresholds, report


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
    weights = sample_weights(records, config)
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
        say("计数 count terms")
        blocks = count_blocks(prepared, config.features)  # once, for every fold
        timings["count"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        say(f"交叉验证 + 训练 cross-validate ({config.cv_folds} folds) + fit, {n_jobs} 进程")
        # The folds and the final fit are independent: one parallel batch of jobs.
        jobs, test_parts = _fold_jobs(blocks, labels, config, weights)
        results = _run([*jobs, (_fit_job, (texts, labels, config, tokens, weights))], n_jobs)
        pipelines, final_phases = results.pop()
        scores = _assemble_oof(results, test_parts, len(prepared))
        timings["cross_validate_and_fit"] = time.perf_counter() - t0
        timings.update(final_phases)  # inside the line above, measured in the worker

        t0 = time.perf_counter()
        say("校准 calibrate")
        scales, oof = calibrate(scores, labels)
        for head, pipe in pipelines.items():
            pipe.named_steps["clf"].set_scale(scales[head])
        timings["calibrate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pred, conf = {}, {}
    for head in HEAD_NAMES:
        pred[head], conf[head] = top_labels(oof[head], sorted(set(labels[head])))
    details, correct = score_heads(labels, pred, conf)
    thresholds, by_group = review_thresholds(
        [review_group(r) for r in records], conf, correct, config.target_precision
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
        cv_details={**details, "review_groups": by_group},
        timings=timings,
        n_train=len(records),
    )

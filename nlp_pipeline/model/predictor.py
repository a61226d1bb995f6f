"""The data-only predictor: JSON vocabularies + ``.npz`` weights, numpy arithmetic, no pickle.

It reproduces the scikit-learn pipelines' probabilities (``tests/model/test_format.py``
checks agreement within 1e-6 on the test split) while importing neither scikit-learn nor
scipy, which keeps a one-comment triage fast to start.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.features import analyzer_from_config
from nlp_pipeline.model.format import (
    FEATURES,
    HEAD_NAMES,
    WEIGHTS,
    check_tokenizer,
    read_meta,
    verify_file,
)
from nlp_pipeline.taxonomy import HEADS
from nlp_pipeline.text.no_opinion import is_no_opinion
from nlp_pipeline.text.normalize import has_chinese, prepare

NO_OPINION_ROW = (None, 0.0, None, 0.0, False)
TOP_ALTERNATIVES = 3
TOP_TERMS = 6


@dataclass
class Prediction:
    """Topic and stance of one comment, with confidences, review flag and explanation.

    An answer that states no opinion (无, 无意见, 同上, "—") has ``no_opinion`` true, no
    topic and no stance (``None``), confidences 0 and needs no review.
    """

    topic: str | None
    topic_confidence: float
    stance: str | None
    stance_confidence: float
    needs_review: bool
    review_reasons: list[str] = field(default_factory=list)
    explanation: dict[str, list[dict]] = field(default_factory=dict)
    alternatives: dict[str, list[dict]] = field(default_factory=dict)
    truncated: bool = False
    no_opinion: bool = False

    @property
    def topic_zh(self) -> str:
        return HEADS["topic"][self.topic] if self.topic else ""

    @property
    def stance_zh(self) -> str:
        return HEADS["stance"][self.stance] if self.stance else ""

    def to_dict(self) -> dict:
        return {
            "no_opinion": self.no_opinion,
            "topic": self.topic,
            "topic_zh": self.topic_zh,
            "topic_confidence": round(self.topic_confidence, 6),
            "stance": self.stance,
            "stance_zh": self.stance_zh,
            "stance_confidence": round(self.stance_confidence, 6),
            "needs_review": self.needs_review,
            "review_reasons": self.review_reasons,
            "explanation": self.explanation,
            "alternatives": self.alternatives,
            "truncated": self.truncated,
        }


@dataclass
class _Features:
    """Sparse features of a batch: entry k is (doc[k], col[k]) = val[k]; doc is sorted."""

    col: np.ndarray
    val: np.ndarray
    doc: np.ndarray
    ptr: np.ndarray  # entries of doc i are ptr[i]:ptr[i+1]

    def of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.ptr[i], self.ptr[i + 1]
        return self.col[a:b], self.val[a:b]


@dataclass
class _Decisions:
    """Everything ``_decide`` computed for a batch (rows follow the input)."""

    prepared: list[tuple[str, bool]]
    feats: _Features
    proba: dict[str, np.ndarray]
    best: dict[str, np.ndarray]
    conf: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    review: np.ndarray
    no_opinion: np.ndarray


class _Block:
    """One TF-IDF block (word or character n-grams) of the feature union."""

    def __init__(self, spec: dict, idf: np.ndarray, offset: int) -> None:
        self.name = spec["name"]
        self.analyzer = analyzer_from_config(spec["analyzer"])
        self.sublinear_tf = bool(spec["sublinear_tf"])
        if spec["norm"] != "l2":
            raise ModelError(f"unsupported norm {spec['norm']!r}")
        self.terms: list[str] = spec["vocabulary"]
        self.index = {t: i + offset for i, t in enumerate(self.terms)}
        self.idf = idf
        self.offset = offset

    def counts(self, text: str) -> Counter:
        """Column index -> term count for the terms of ``text`` that are in the vocabulary."""
        counts = Counter(map(self.index.get, self.analyzer(text)))
        counts.pop(None, None)  # out-of-vocabulary terms
        return counts


class Predictor:
    """Loads a model directory's data-only files and predicts topic and stance."""

    def __init__(self, model_dir: str | Path) -> None:
        self.model_dir = Path(model_dir)
        self.meta = read_meta(self.model_dir)
        check_tokenizer(self.model_dir, self.meta)
        feat_path = verify_file(self.model_dir, self.meta, FEATURES)
        weights_path = verify_file(self.model_dir, self.meta, WEIGHTS)
        try:
            spec = json.loads(feat_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"{feat_path}: 无法解析 (cannot parse: {exc})") from exc
        try:
            with np.load(weights_path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except ValueError as exc:  # object arrays need pickle: refused
            raise ModelError(
                f"{weights_path}: 含有不允许的对象数组 (object arrays are not allowed: {exc})"
            ) from exc
        except Exception as exc:  # noqa: BLE001 - any corrupt archive
            raise ModelError(f"{weights_path}: 无法读取 (corrupt weights: {exc})") from exc
        self._check(spec, arrays, weights_path)
        self.blocks: list[_Block] = []
        offset = 0
        for i, block in enumerate(spec["blocks"]):
            self.blocks.append(_Block(block, arrays[f"idf_{i}"], offset))
            offset += len(block["vocabulary"])
        self.n_features = offset
        self.idf = np.concatenate([b.idf for b in self.blocks])
        if len({b.sublinear_tf for b in self.blocks}) != 1:
            raise ModelError(f"{feat_path}: blocks disagree on sublinear_tf (unsupported)")
        self.sublinear_tf = self.blocks[0].sublinear_tf
        self.labels: dict[str, list[str]] = spec["labels"]
        # Rows are features: gathering a comment's features reads a few contiguous rows.
        self.weights = {h: np.ascontiguousarray(arrays[f"{h}_coef"].T) for h in HEAD_NAMES}
        self.stacked = np.ascontiguousarray(np.hstack([self.weights[h] for h in HEAD_NAMES]))
        widths = np.cumsum([0] + [self.weights[h].shape[1] for h in HEAD_NAMES])
        self.head_columns = {h: slice(widths[k], widths[k + 1]) for k, h in enumerate(HEAD_NAMES)}
        self.intercepts = {h: arrays[f"{h}_intercept"] for h in HEAD_NAMES}
        self.thresholds: dict[str, float] = {
            h: float(self.meta["thresholds"][h]) for h in HEAD_NAMES
        }

    @staticmethod
    def _check(spec: dict, arrays: dict, path: Path) -> None:
        for name, arr in arrays.items():
            if arr.dtype.kind not in "fiu":
                raise ModelError(
                    f"{path}: 数组 {name} 类型 {arr.dtype} 不允许 (numeric arrays only)"
                )
        try:
            sizes = [len(b["vocabulary"]) for b in spec["blocks"]]
            for i, n in enumerate(sizes):
                if arrays[f"idf_{i}"].shape != (n,):
                    raise ModelError(f"{path}: idf_{i} 与词表大小不符 (shape mismatch)")
            for head in HEAD_NAMES:
                k = len(spec["labels"][head])
                if arrays[f"{head}_coef"].shape != (k, sum(sizes)):
                    raise ModelError(f"{path}: {head}_coef 形状不符 (shape mismatch)")
                if arrays[f"{head}_intercept"].shape != (k,):
                    raise ModelError(f"{path}: {head}_intercept 形状不符 (shape mismatch)")
                unknown = set(spec["labels"][head]) - set(HEADS[head])
                if unknown:
                    raise ModelError(f"{path}: 未知标签 {sorted(unknown)} (unknown labels)")
        except KeyError as exc:
            raise ModelError(f"{path}: 缺少数组或字段 {exc} (missing entry)") from exc

    @property
    def version(self) -> str:
        return str(self.meta.get("version", self.model_dir.name))

    # -- features --------------------------------------------------------------------
    def features(self, prepared: Sequence[str]) -> _Features:
        """TF-IDF features of prepared texts, computed for the whole batch at once.

        Python only counts terms; the TF-IDF weighting, the l2 norm of each block and the
        scores are numpy operations over the batch, not per comment.
        """
        cols: list[int] = []
        counts: list[int] = []
        seg_len: list[int] = []
        for text in prepared:
            for block in self.blocks:
                c = block.counts(text)
                cols.extend(c.keys())
                counts.extend(c.values())
                seg_len.append(len(c))
        col = np.array(cols, dtype=np.intp)
        tf = np.array(counts, dtype=np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        val = tf * self.idf[col]
        n_seg = len(seg_len)
        seg = np.repeat(np.arange(n_seg), seg_len)
        norms = np.sqrt(np.bincount(seg, weights=val * val, minlength=n_seg))
        val /= norms[seg]
        doc = seg // len(self.blocks)
        ptr = np.searchsorted(doc, np.arange(len(prepared) + 1))
        return _Features(col, val, doc, ptr)

    def probabilities(self, prepared: Sequence[str]) -> dict[str, np.ndarray]:
        """Calibrated class probabilities of prepared texts, per head (rows follow ``labels``)."""
        return self._proba(self.features(prepared))

    def _proba(self, feats: _Features) -> dict[str, np.ndarray]:
        n = len(feats.ptr) - 1
        scores = np.zeros((n, self.stacked.shape[1]))
        nonempty = np.flatnonzero(feats.ptr[1:] > feats.ptr[:-1])
        if len(nonempty):
            # One gather of both heads' weights, then a sum per comment (its entries are
            # contiguous because ``doc`` is sorted).
            contrib = self.stacked[feats.col] * feats.val[:, None]
            scores[nonempty] = np.add.reduceat(contrib, feats.ptr[nonempty], axis=0)
        out = {}
        for head, cols in self.head_columns.items():
            s = scores[:, cols] + self.intercepts[head]
            s -= s.max(axis=1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=1, keepdims=True)
            out[head] = s
        return out

    # -- predictions -----------------------------------------------------------------
    def _decide(self, texts: Sequence[str]) -> _Decisions:
        """Normalise, featurise and score a batch; every review flag as an array."""
        prepared = [prepare(t) for t in texts]
        feats = self.features([p for p, _ in prepared])
        proba = self._proba(feats)
        best = {h: proba[h].argmax(axis=1) for h in HEAD_NAMES}
        conf = {h: proba[h].max(axis=1) for h in HEAD_NAMES}
        flags = {
            **{f"low_{h}": conf[h] < self.thresholds[h] for h in HEAD_NAMES},
            "no_chinese": np.array([not has_chinese(p) for p, _ in prepared], dtype=bool),
            "no_features": feats.ptr[1:] == feats.ptr[:-1],
            "truncated": np.array([t for _, t in prepared], dtype=bool),
        }
        review = np.logical_or.reduce(list(flags.values())) if len(texts) else np.zeros(0, bool)
        # Recognised by rule before the heads: the heads can only guess a label for "无".
        no_opinion = np.array([is_no_opinion(t) for t in texts], dtype=bool)
        review &= ~no_opinion
        return _Decisions(prepared, feats, proba, best, conf, flags, review, no_opinion)

    def predict(self, texts: Sequence[str], explain: bool = False) -> list[Prediction]:
        """Predict raw comments (normalised here). Texts must be non-empty strings."""
        d = self._decide(texts)
        return [self._prediction(d, i, explain) for i in range(len(texts))]

    def predict_one(self, text: str, explain: bool = True) -> Prediction:
        return self.predict([text], explain=explain)[0]

    def predict_rows(self, texts: Sequence[str]) -> list[tuple]:
        """Lean batch path: ``(topic, topic_conf, stance, stance_conf, needs_review)`` tuples,
        the same decisions as ``predict`` without building explanations; a no-opinion
        answer is ``(None, 0.0, None, 0.0, False)``."""
        d = self._decide(texts)
        rows = list(
            zip(
                [self.labels["topic"][k] for k in d.best["topic"]],
                d.conf["topic"].tolist(),
                [self.labels["stance"][k] for k in d.best["stance"]],
                d.conf["stance"].tolist(),
                d.review.tolist(),
                strict=True,
            )
        )
        for i in np.flatnonzero(d.no_opinion):
            rows[i] = NO_OPINION_ROW
        return rows

    def _prediction(self, d: _Decisions, i: int, explain: bool) -> Prediction:
        if d.no_opinion[i]:
            return Prediction(
                topic=None,
                topic_confidence=0.0,
                stance=None,
                stance_confidence=0.0,
                needs_review=False,
                review_reasons=[],
                truncated=bool(d.flags["truncated"][i]),
                no_opinion=True,
            )
        best = {h: int(d.best[h][i]) for h in HEAD_NAMES}
        conf = {h: float(d.conf[h][i]) for h in HEAD_NAMES}
        reasons = []
        for h in HEAD_NAMES:
            if d.flags[f"low_{h}"][i]:
                shown, bar = _apart(conf[h], self.thresholds[h])
                reasons.append(
                    f"{'主题' if h == 'topic' else '立场'}置信度 {shown} 低于阈值 "
                    f"{bar} (low {h} confidence)"
                )
        if d.flags["no_chinese"][i]:
            reasons.append("没有中文内容 (no Chinese text)")
        if d.flags["no_features"][i]:
            reasons.append("没有模型认识的词 (no known words)")
        if d.flags["truncated"][i]:
            reasons.append("文本过长，只分析了前面部分 (text truncated for features)")
        pred = Prediction(
            topic=self.labels["topic"][best["topic"]],
            topic_confidence=conf["topic"],
            stance=self.labels["stance"][best["stance"]],
            stance_confidence=conf["stance"],
            needs_review=bool(reasons),
            review_reasons=reasons,
            truncated=bool(d.flags["truncated"][i]),
        )
        if explain:
            feat = d.feats.of(i)
            pred.explanation = {h: self.explain(feat, h, best[h]) for h in HEAD_NAMES}
            pred.alternatives = {
                h: [
                    {
                        "label": self.labels[h][k],
                        "zh": HEADS[h][self.labels[h][k]],
                        "confidence": round(float(d.proba[h][i][k]), 6),
                    }
                    for k in np.argsort(-d.proba[h][i])[:TOP_ALTERNATIVES]
                ]
                for h in HEAD_NAMES
            }
        return pred

    def term(self, column: int) -> tuple[str, str]:
        """(term, block name) of a feature column."""
        for block in reversed(self.blocks):
            if column >= block.offset:
                return block.terms[column - block.offset], block.name
        raise IndexError(column)

    def explain(
        self, feat: tuple[np.ndarray, np.ndarray], head: str, label_index: int, k: int = TOP_TERMS
    ) -> list[dict]:
        """The terms that pushed ``head`` towards the class most: TF-IDF value × coefficient.

        Single characters and punctuation from the character n-grams, and terms overlapping
        one already shown, are skipped: people read words, not fragments.
        """
        cols, vals = feat
        if len(cols) == 0:
            return []
        contrib = vals * self.weights[head][cols, label_index]
        out: list[dict] = []
        shown_terms: list[str] = []
        for j in np.argsort(-contrib, kind="stable"):
            if contrib[j] <= 0 or len(out) >= k:
                break
            term, block = self.term(int(cols[j]))
            shown = term.replace(" ", "")
            if block == "char" and (len(shown) < 2 or not shown.isalnum()):
                continue
            if not shown.strip() or any(shown in o or o in shown for o in shown_terms):
                continue
            shown_terms.append(shown)
            out.append(
                {
                    "term": term,
                    "kind": "字" if block == "char" else "词",
                    "weight": round(float(contrib[j]), 4),
                }
            )
        return out


def _apart(value: float, bar: float) -> tuple[str, str]:
    """``value`` and ``bar`` with as many decimals as it takes to tell them apart
    (0.9912 against 0.9934 reads "0.991 低于 0.993", never "0.99 低于 0.99")."""
    for digits in range(2, 7):
        shown, limit = f"{value:.{digits}f}", f"{bar:.{digits}f}"
        if shown != limit:
            return shown, limit
    return shown, limit

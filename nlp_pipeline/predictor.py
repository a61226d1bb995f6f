"""The data-only predictor: JSON vocabularies + ``.npz`` weights, numpy arithmetic, no pickle.

It reproduces the scikit-learn pipelines' probabilities (``tests/test_predictor.py``
checks agreement within 1e-6 on the test split) while importing neither scikit-learn nor
scipy, which keeps a one-comment triage fast to start.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp_pipeline.errors import ModelError
from nlp_pipeline.features import analyzer_from_config
from nlp_pipeline.labels import HEADS
from nlp_pipeline.model_files import FEATURES, HEAD_NAMES, WEIGHTS, read_meta, verify_file
from nlp_pipeline.normalize import has_chinese, prepare

TOP_ALTERNATIVES = 3
TOP_TERMS = 6


@dataclass
class Prediction:
    """Topic and stance of one comment, with confidences, review flag and explanation."""

    topic: str
    topic_confidence: float
    stance: str
    stance_confidence: float
    needs_review: bool
    review_reasons: list[str] = field(default_factory=list)
    explanation: dict[str, list[dict]] = field(default_factory=dict)
    alternatives: dict[str, list[dict]] = field(default_factory=dict)
    truncated: bool = False

    @property
    def topic_zh(self) -> str:
        return HEADS["topic"][self.topic]

    @property
    def stance_zh(self) -> str:
        return HEADS["stance"][self.stance]

    def to_dict(self) -> dict:
        return {
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

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """Column indices and TF-IDF values (l2-normalised within the block)."""
        counts = Counter(self.analyzer(text))
        index = self.index
        cols, vals = [], []
        for term, n in counts.items():
            j = index.get(term)
            if j is not None:
                tf = 1.0 + math.log(n) if self.sublinear_tf else float(n)
                cols.append(j)
                vals.append(tf * self.idf[j - self.offset])
        norm = math.sqrt(sum(v * v for v in vals))
        if norm > 0:
            vals = [v / norm for v in vals]
        return cols, vals


class Predictor:
    """Loads a model directory's data-only files and predicts topic and stance."""

    def __init__(self, model_dir: str | Path) -> None:
        self.model_dir = Path(model_dir)
        self.meta = read_meta(self.model_dir)
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
        self.labels: dict[str, list[str]] = spec["labels"]
        # Column-major copies: rows are features, so gathering a comment's columns is cheap.
        self.weights = {h: np.ascontiguousarray(arrays[f"{h}_coef"].T) for h in HEAD_NAMES}
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
    def featurize(self, prepared: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse feature vector of a prepared text as (column indices, values)."""
        cols: list[int] = []
        vals: list[float] = []
        for block in self.blocks:
            c, v = block.features(prepared)
            cols.extend(c)
            vals.extend(v)
        return np.asarray(cols, dtype=np.intp), np.asarray(vals, dtype=np.float64)

    def probabilities(self, prepared: Sequence[str]) -> dict[str, np.ndarray]:
        """Calibrated class probabilities of prepared texts, per head (rows follow ``labels``)."""
        feats = [self.featurize(t) for t in prepared]
        return {h: self._proba(h, feats) for h in HEAD_NAMES}

    def _proba(self, head: str, feats: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        w = self.weights[head]
        scores = np.empty((len(feats), w.shape[1]))
        for i, (cols, vals) in enumerate(feats):
            scores[i] = vals @ w[cols] if len(cols) else 0.0
        scores += self.intercepts[head]
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    # -- predictions -----------------------------------------------------------------
    def predict(self, texts: Sequence[str], explain: bool = False) -> list[Prediction]:
        """Predict raw comments (normalised here). Texts must be non-empty strings."""
        prepared = [prepare(t) for t in texts]
        feats = [self.featurize(p) for p, _ in prepared]
        proba = {h: self._proba(h, feats) for h in HEAD_NAMES}
        out = []
        for i, (text, truncated) in enumerate(prepared):
            out.append(self._prediction(i, text, truncated, feats[i], proba, explain))
        return out

    def predict_one(self, text: str, explain: bool = True) -> Prediction:
        return self.predict([text], explain=explain)[0]

    def _prediction(self, i, text, truncated, feat, proba, explain) -> Prediction:
        best = {h: int(proba[h][i].argmax()) for h in HEAD_NAMES}
        conf = {h: float(proba[h][i][best[h]]) for h in HEAD_NAMES}
        reasons = []
        for h in HEAD_NAMES:
            if conf[h] < self.thresholds[h]:
                reasons.append(
                    f"{'主题' if h == 'topic' else '立场'}置信度 {conf[h]:.2f} 低于阈值 "
                    f"{self.thresholds[h]:.2f} (low {h} confidence)"
                )
        if not has_chinese(text):
            reasons.append("没有中文内容 (no Chinese text)")
        if len(feat[0]) == 0:
            reasons.append("没有模型认识的词 (no known words)")
        if truncated:
            reasons.append("文本过长，只分析了前面部分 (text truncated for features)")
        pred = Prediction(
            topic=self.labels["topic"][best["topic"]],
            topic_confidence=conf["topic"],
            stance=self.labels["stance"][best["stance"]],
            stance_confidence=conf["stance"],
            needs_review=bool(reasons),
            review_reasons=reasons,
            truncated=truncated,
        )
        if explain:
            pred.explanation = {h: self.explain(feat, h, best[h]) for h in HEAD_NAMES}
            pred.alternatives = {
                h: [
                    {
                        "label": self.labels[h][k],
                        "zh": HEADS[h][self.labels[h][k]],
                        "confidence": round(float(proba[h][i][k]), 6),
                    }
                    for k in np.argsort(-proba[h][i])[:TOP_ALTERNATIVES]
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
            if block != "word" and (len(shown) < 2 or not shown.isalnum()):
                continue
            if not shown.strip() or any(shown in o or o in shown for o in shown_terms):
                continue
            shown_terms.append(shown)
            out.append(
                {
                    "term": term,
                    "kind": "词" if block == "word" else "字",
                    "weight": round(float(contrib[j]), 4),
                }
            )
        return out

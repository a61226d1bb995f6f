"""Peer comparison on the same train/test split, in one run:

- nlp_pipeline (jieba words + character TF-IDF, calibrated linear SVMs);
- fastText on jieba-segmented text with word bigrams (``pip install -e ".[bench]"``);
- a plain character TF-IDF + logistic regression.

Macro-F1 of both heads on the corpus test split, topic and stance accuracy on the real
dev set (``../shared/realdev/real_dev.jsonl``, evaluation only, when it is there), training
time and prediction throughput, side by side. Every model trains on the same corpus.

    python benchmarks/peer_comparison.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import CORPUS, REPO, read_records, save
from sklearn.metrics import f1_score

HEADS = ("topic", "stance")


REAL_DEV = REPO.parent / "shared" / "realdev" / "real_dev.jsonl"


def ours(train, test):
    from nlp_pipeline.data.corpus import Record
    from nlp_pipeline.model.export import write_model_dir
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.training.fit import train as fit

    recs = [
        Record(r["text"], r["topic"], r["stance"], register=r.get("register", "")) for r in train
    ]
    t = time.perf_counter()
    result = fit(recs)
    train_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        write_model_dir(Path(tmp) / "m", result.pipelines, {"thresholds": result.thresholds})
        predictor = Predictor(Path(tmp) / "m")
        texts = [r["text"] for r in test]
        t = time.perf_counter()
        preds = predictor.predict(texts)
        rate = len(texts) / (time.perf_counter() - t)
    return {h: [getattr(p, h) for p in preds] for h in HEADS}, train_s, rate


def char_lr(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    out, train_s, pred_s = {}, 0.0, 0.0
    for h in HEADS:
        pipe = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LogisticRegression(max_iter=2000)
        )
        t = time.perf_counter()
        pipe.fit([r["text"] for r in train], [r[h] for r in train])
        train_s += time.perf_counter() - t
        t = time.perf_counter()
        out[h] = list(pipe.predict([r["text"] for r in test]))
        pred_s += time.perf_counter() - t
    return out, train_s, len(test) / pred_s


def fasttext_model(train, test):
    try:
        import fasttext
    except ImportError:
        return None
    import jieba

    def seg(text: str) -> str:
        return " ".join(t for t in jieba.lcut(text.replace("\n", " ")) if t.strip())

    out, train_s, pred_s = {}, 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for h in HEADS:
            path = Path(tmp) / f"{h}.txt"
            path.write_text(
                "\n".join(f"__label__{r[h]} {seg(r['text'])}" for r in train), encoding="utf-8"
            )
            t = time.perf_counter()
            model = fasttext.train_supervised(
                str(path), wordNgrams=2, epoch=50, lr=0.5, dim=100, seed=1, thread=1, verbose=0
            )
            train_s += time.perf_counter() - t
            t = time.perf_counter()
            labels, _ = model.predict([seg(r["text"]) for r in test])
            pred_s += time.perf_counter() - t
            out[h] = [lab[0].replace("__label__", "") for lab in labels]
    return out, train_s, len(test) / pred_s


def main() -> None:
    import json

    train, test = read_records("train.jsonl"), read_records("test.jsonl")
    real = []
    if REAL_DEV.is_file():
        real = [json.loads(x) for x in REAL_DEV.read_text(encoding="utf-8").splitlines() if x]
    n_test = len(test)
    rows = {}
    for name, fn in (
        ("nlp_pipeline", ours),
        ("fasttext_jieba_bigrams", fasttext_model),
        ("char_tfidf_logreg", char_lr),
    ):
        # one fit, one prediction call over both evaluation sets (the rate counts both)
        got = fn(train, test + real)
        if got is None:
            print(f"{name}: skipped (pip install -e '.[bench]')")
            continue
        preds, train_s, rate = got
        row = {
            f"{h}_macro_f1": round(
                f1_score([r[h] for r in test], preds[h][:n_test], average="macro"), 4
            )
            for h in HEADS
        }
        for h in HEADS:
            if real:
                right = [r[h] == p for r, p in zip(real, preds[h][n_test:], strict=True)]
                row[f"real_{h}_accuracy"] = round(sum(right) / len(real), 4)
        rows[name] = {**row, "train_s": round(train_s, 2), "predict_per_s": round(rate)}
    print(
        f"{'model':<24}{'topic F1':>10}{'stance F1':>11}{'real topic':>12}{'real stance':>13}"
        f"{'train s':>9}{'pred/s':>9}"
    )
    for name, r in rows.items():
        rt, rs = r.get("real_topic_accuracy"), r.get("real_stance_accuracy")
        print(
            f"{name:<24}{r['topic_macro_f1']:>10.4f}{r['stance_macro_f1']:>11.4f}"
            f"{(f'{rt:.4f}' if rt is not None else '—'):>12}"
            f"{(f'{rs:.4f}' if rs is not None else '—'):>13}"
            f"{r['train_s']:>9.1f}{r['predict_per_s']:>9}"
        )
    ours_row = rows["nlp_pipeline"]
    for name, r in rows.items():
        if name == "nlp_pipeline":
            continue
        line = (
            f"nlp_pipeline vs {name}: topic F1 {ours_row['topic_macro_f1'] - r['topic_macro_f1']:+.4f}, "
            f"stance F1 {ours_row['stance_macro_f1'] - r['stance_macro_f1']:+.4f}"
        )
        if real:
            line += (
                f"; real topic acc {ours_row['real_topic_accuracy'] - r['real_topic_accuracy']:+.4f}, "
                f"real stance acc {ours_row['real_stance_accuracy'] - r['real_stance_accuracy']:+.4f}"
            )
        print(line)
    print(
        save(
            "peer_comparison",
            {
                "train": str(CORPUS / "train.jsonl"),
                "n_train": len(train),
                "n_test": n_test,
                "n_real_dev": len(real),
                "results": rows,
            },
        )
    )


if __name__ == "__main__":
    main()

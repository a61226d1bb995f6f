"""How many of its own messages must a bureau label? The learning curve on real messages.

    python benchmarks/adaptation.py [--corpus corpora] [--sizes 0 25 50 100] [--png docs/adaptation.png]

The real dev set (``../shared/realdev/real_dev.jsonl``: 134 real messages from a city's
online message board) stands in for a bureau's own labelled messages. It is cut into 5
folds; for each fold, 0, 25, 50 or 100 messages of the *other* folds are added to the
corpus the way ``opinions train --add`` adds them (their weight chosen by cross-validation
over them, ``nlp_pipeline.training.adapt``), a model is fitted, and the held-out fold is
scored. Every message is scored once per size by a model that never saw it. The models
are throwaway: nothing of the real dev set is written anywhere but the figures.

Prints topic and stance accuracy per size (pooled over the folds, with the spread across
folds) and the seconds per retraining (weight selection + fit), and draws the curve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, REPO, machine, save  # noqa: E402

REAL_DEV = REPO.parent / "shared" / "realdev" / "real_dev.jsonl"
FOLDS = 5
SEED = 20261205


def main() -> None:
    from nlp_pipeline.data.corpus import Record, read_corpus
    from nlp_pipeline.training.adapt import choose_weight, with_weight
    from nlp_pipeline.training.config import TrainConfig
    from nlp_pipeline.training.fit import fit_heads, sample_weights

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--sizes", type=int, nargs="+", default=[0, 25, 50, 100])
    ap.add_argument("--png", type=Path, default=REPO / "docs" / "adaptation.png")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not REAL_DEV.is_file():
        sys.exit(f"{REAL_DEV}: the real dev set is not here (it is not part of the repository)")
    dev = [json.loads(x) for x in REAL_DEV.read_text(encoding="utf-8").splitlines() if x]
    corpus = read_corpus([args.corpus / "train.jsonl"])
    base = TrainConfig()
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(dev))
    folds = [order[k::FOLDS] for k in range(FOLDS)]

    def fit(records: list[Record], config: TrainConfig) -> dict:
        labels = {h: [getattr(r, h) for r in records] for h in ("topic", "stance")}
        return fit_heads(
            [r.text for r in records],
            labels,
            config,
            scales={"topic": 1.0, "stance": 1.0},
            sample_weight=sample_weights(records, config),
        )

    right = {k: {"topic": [], "stance": []} for k in args.sizes}
    per_fold = {k: [] for k in args.sizes}
    seconds = {k: [] for k in args.sizes}
    weights = {k: [] for k in args.sizes}
    corpus_only = None
    for f, test_idx in enumerate(folds):
        pool = np.concatenate([folds[g] for g in range(FOLDS) if g != f])
        pool = rng.permutation(pool)
        test = [dev[i] for i in test_idx]
        for k in args.sizes:
            if k > len(pool):
                sys.exit(f"size {k} is larger than the {len(pool)} messages outside a fold")
            added = [
                Record(dev[i]["text"], dev[i]["topic"], dev[i]["stance"], source="added:dev")
                for i in pool[:k]
            ]
            t0 = time.perf_counter()
            if k == 0:
                corpus_only = corpus_only or fit(corpus, base)
                pipes, w = corpus_only, None
            else:
                choice = choose_weight(corpus, added, base, n_jobs=args.jobs)
                w = choice.weight
                pipes = fit(list(corpus) + added, with_weight(base, w))
                seconds[k].append(time.perf_counter() - t0)
            weights[k].append(w)
            fold_acc = {}
            for h in ("topic", "stance"):
                pred = pipes[h].predict([r["text"] for r in test])
                hits = [p == r[h] for p, r in zip(pred, test, strict=True)]
                right[k][h].extend(hits)
                fold_acc[h] = float(np.mean(hits))
            per_fold[k].append(fold_acc)
            print(
                f"fold {f + 1}/{FOLDS} size {k:3d}: topic {fold_acc['topic']:.3f} "
                f"stance {fold_acc['stance']:.3f} weight {w}",
                flush=True,
            )
    rows = {}
    for k in args.sizes:
        rows[k] = {
            "topic_accuracy": float(np.mean(right[k]["topic"])),
            "stance_accuracy": float(np.mean(right[k]["stance"])),
            "topic_fold_range": [
                min(x["topic"] for x in per_fold[k]),
                max(x["topic"] for x in per_fold[k]),
            ],
            "stance_fold_range": [
                min(x["stance"] for x in per_fold[k]),
                max(x["stance"] for x in per_fold[k]),
            ],
            "seconds_per_retraining": float(np.mean(seconds[k])) if seconds[k] else None,
            "weights": weights[k],
            "n_scored": len(right[k]["topic"]),
        }
    print(f"\n{'labelled':>9}{'topic acc':>11}{'stance acc':>12}{'s / retrain':>13}  weights")
    for k, r in rows.items():
        sec = r["seconds_per_retraining"]
        print(
            f"{k:>9}{r['topic_accuracy']:>11.3f}{r['stance_accuracy']:>12.3f}"
            f"{(f'{sec:.1f}' if sec else '—'):>13}  {r['weights']}"
        )
    draw(rows, args.png)
    print(
        save(
            "adaptation",
            {
                "corpus": str(args.corpus),
                "n_dev": len(dev),
                "folds": FOLDS,
                "results": rows,
                "machine": machine(),
            },
        )
    )


def draw(rows: dict, png: Path) -> None:
    """The curve a bureau reads: accuracy on real messages against its own labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(rows)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for head, name, mark in (("topic", "topic", "o-"), ("stance", "stance", "s-")):
        ax.plot(sizes, [rows[k][f"{head}_accuracy"] for k in sizes], mark, label=name)
    ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("own labelled messages added (train --add)")
    ax.set_ylabel("accuracy on other real messages")
    ax.set_xticks(sizes)
    ax.set_ylim(0.5, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Learning curve on real messages (5 folds, real dev set)")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    print(f"curve: {png}")


if __name__ == "__main__":
    main()

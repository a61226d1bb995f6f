"""Cold-process triage time: `opinions triage` vs the naive joblib + plain-jieba baseline.

    python benchmarks/cold_triage.py [--runs 7]

Both are timed as fresh processes in the same run (median of N after one warm-up run,
which fills the OS file cache and each tool's jieba cache, as on any second use).
"""

from __future__ import annotations

import argparse
import shutil
import sys

import joblib
from _common import OUT, REPO, median_wall, read_records, save
from baseline_model import build

TEXT = "晚上小区里经常有人偷电动车，希望加强巡逻"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    baseline_path = OUT / "baseline_heads.joblib"
    records = read_records("train.jsonl")
    joblib.dump({h: build(records, h) for h in ("topic", "stance")}, baseline_path)

    opinions = shutil.which("opinions")
    ours_cmd = (
        [opinions, "triage", TEXT]
        if opinions
        else [sys.executable, "-m", "nlp_pipeline", "triage", TEXT]
    )
    base_cmd = [
        sys.executable,
        str(REPO / "benchmarks" / "baseline_model.py"),
        str(baseline_path),
        TEXT,
    ]
    ours = median_wall(ours_cmd, args.runs)
    base = median_wall(base_cmd, args.runs)
    result = {
        "text": TEXT,
        "runs": args.runs,
        "opinions_triage_s": round(ours, 3),
        "baseline_s": round(base, 3),
        "ratio": round(ours / base, 3),
        "targets": {"cold_triage_max_s": 1.0, "max_ratio": 0.5},
    }
    path = save("cold_triage", result)
    print(f"opinions triage (cold): {ours:.3f} s")
    print(f"baseline joblib + jieba.lcut (cold): {base:.3f} s")
    print(f"ratio: {ours / base:.2f}  (target <= 0.5 and <= 1.0 s)   -> {path}")


if __name__ == "__main__":
    main()

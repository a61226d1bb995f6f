"""Batch throughput and memory of `opinions classify` against bare jieba, in one run.

    python benchmarks/batch_throughput.py [--rows 100000] [--big-rows 1000000]

1. the reference: plain ``jieba.lcut`` (default mode) over the same texts, one process;
2. ``opinions classify`` end to end (read CSV, normalise, tokenise, predict, write CSV)
   with ``--jobs 1`` and ``--jobs 2``;
3. peak memory (RSS of the whole process tree) for ``--rows`` and ``--big-rows`` rows.

The input is made by resampling the corpus texts (train + test) with a fixed seed.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import time

from _common import OUT, read_records, run_measured, save


def make_file(path, rows: int, seed: int = 7) -> list[str]:
    texts = [r["text"] for r in read_records("train.jsonl") + read_records("test.jsonl")]
    rng = random.Random(seed)
    chosen = [rng.choice(texts) for _ in range(rows)]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "乡镇", "意见内容"])
        towns = ["城关镇", "柳堡镇", "泾河镇", "夏集镇", "范水镇"]
        for i, t in enumerate(chosen, 1):
            w.writerow([i, towns[i % len(towns)], t])
    return chosen


BARE_JIEBA = """
import csv, sys, time, jieba, logging
jieba.setLogLevel(logging.WARNING)
jieba.initialize()
with open(sys.argv[1], encoding="utf-8-sig", newline="") as fh:
    texts = [row[2] for row in csv.reader(fh)][1:]
t = time.perf_counter()
for text in texts:
    jieba.lcut(text)
print(len(texts) / (time.perf_counter() - t))
"""


def classify(path, out, jobs: int) -> tuple[float, int]:
    cmd = [
        sys.executable,
        "-m",
        "nlp_pipeline",
        "classify",
        str(path),
        "-o",
        str(out),
        "--jobs",
        str(jobs),
        "--quiet",
    ]
    wall, rss, _ = run_measured(cmd)
    return wall, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    small, big = OUT / f"comments_{args.rows}.csv", OUT / f"comments_{args.big_rows}.csv"
    texts = make_file(small, args.rows)
    mean_len = sum(map(len, texts)) / len(texts)

    bare = float(
        subprocess.run(
            [sys.executable, "-c", BARE_JIEBA, str(small)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    results = {"rows": args.rows, "mean_chars": round(mean_len, 1), "bare_jieba_per_s": round(bare)}
    for jobs in (1, 2):
        wall, rss = classify(small, OUT / f"out_{args.rows}_j{jobs}.csv", jobs)
        results[f"classify_jobs{jobs}_per_s"] = round(args.rows / wall)
        results[f"classify_jobs{jobs}_peak_rss_mib"] = rss
        print(
            f"classify --jobs {jobs}: {args.rows / wall:,.0f} rows/s, peak RSS {rss} MiB",
            flush=True,
        )
    a = (OUT / f"out_{args.rows}_j1.csv").read_bytes()
    b = (OUT / f"out_{args.rows}_j2.csv").read_bytes()
    results["jobs2_output_identical_to_jobs1"] = a == b
    results["speedup_jobs2_vs_bare_jieba"] = round(results["classify_jobs2_per_s"] / bare, 2)

    if args.big_rows:
        make_file(big, args.big_rows, seed=8)
        t = time.perf_counter()
        wall, rss = classify(big, OUT / f"out_{args.big_rows}.csv", 2)
        results[f"classify_{args.big_rows}_jobs2_per_s"] = round(args.big_rows / wall)
        results[f"classify_{args.big_rows}_peak_rss_mib"] = rss
        results["memory_ratio_big_vs_small"] = round(
            rss / results["classify_jobs2_peak_rss_mib"], 2
        )
        print(
            f"classify {args.big_rows} rows --jobs 2: {wall:.0f} s, peak RSS {rss} MiB ({time.perf_counter() - t:.0f} s)"
        )
        big.unlink()
        (OUT / f"out_{args.big_rows}.csv").unlink()
    results["targets"] = {
        "speedup_jobs2_vs_bare_jieba": 1.5,
        "peak_rss_big_max_mib": 1024,
        "memory_ratio_max": 1.2,
    }
    print(f"bare jieba.lcut: {bare:,.0f} texts/s (mean {mean_len:.0f} chars)")
    print(
        f"classify --jobs 2 / bare jieba = {results['speedup_jobs2_vs_bare_jieba']}  -> {save('batch_throughput', results)}"
    )


if __name__ == "__main__":
    main()

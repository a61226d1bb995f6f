"""Big files: `opinions report` against the `classify` run that made its input, and .xlsx
output against .csv output — ratios measured in the same run.

    python benchmarks/report_and_xlsx.py [--rows 1000000] [--xlsx-rows 200000]

1. ``opinions classify in.csv -o out.csv`` (the baseline), then ``opinions report out.csv
   -o report.html`` on its output: wall time and peak memory of each; the ratio
   report / classify should be at most 1.
2. ``opinions classify`` of ``--xlsx-rows`` rows to ``.csv`` and to ``.xlsx`` (same input,
   same jobs): rows/s of each; the ratio xlsx / csv should be at least 0.5.

The input is made by resampling the corpus texts with a fixed seed (batch_throughput.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import run_measured, save
from batch_throughput import make_file


def opinions(*args: str) -> list[str]:
    return [sys.executable, "-m", "nlp_pipeline", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--jobs", default="2")
    args = parser.parse_args()
    result: dict = {"rows": args.rows, "xlsx_rows": args.xlsx_rows, "jobs": args.jobs}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "big.csv"
        make_file(big, args.rows)
        wall_c, mem_c, _ = run_measured(
            opinions("classify", str(big), "-o", str(tmp / "out.csv"), "-q", "-j", args.jobs)
        )
        wall_r, mem_r, _ = run_measured(
            opinions("report", str(tmp / "out.csv"), "-o", str(tmp / "report.html"))
        )
        html_size = (tmp / "report.html").stat().st_size
        result["classify"] = {"seconds": round(wall_c, 1), "peak_mib": mem_c}
        result["report"] = {"seconds": round(wall_r, 1), "peak_mib": mem_r, "html_bytes": html_size}
        result["report_over_classify"] = round(wall_r / wall_c, 3)
        print(
            f"{args.rows:,} rows: classify {wall_c:.1f} s ({mem_c} MiB), "
            f"report {wall_r:.1f} s ({mem_r} MiB, HTML {html_size / 1024:.0f} KiB): "
            f"ratio {wall_r / wall_c:.2f}"
        )

        small = tmp / "small.csv"
        make_file(small, args.xlsx_rows)
        rates = {}
        for ext in ("csv", "xlsx"):
            wall, mem, _ = run_measured(
                opinions("classify", str(small), "-o", str(tmp / f"o.{ext}"), "-q", "-j", args.jobs)
            )
            rates[ext] = args.xlsx_rows / wall
            result[f"classify_to_{ext}"] = {
                "seconds": round(wall, 1),
                "rows_per_s": round(rates[ext]),
                "peak_mib": mem,
            }
        result["xlsx_over_csv"] = round(rates["xlsx"] / rates["csv"], 3)
        print(
            f"{args.xlsx_rows:,} rows: .csv {rates['csv']:,.0f} rows/s, .xlsx "
            f"{rates['xlsx']:,.0f} rows/s: ratio {rates['xlsx'] / rates['csv']:.2f}"
        )
    print(f"saved {save('report_and_xlsx', result)}")


if __name__ == "__main__":
    main()

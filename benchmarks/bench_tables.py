"""The tidy tables for R, Stata and Python: 1,000,000 answers (12,500 cases × 80 questions).

The inspection is built once per size and kept in the temporary folder (as the workbook
benchmark keeps its own): the shipped adult framework brought to 80 questions, every case
answered in full. The export is the real one (``aspire export --format parquet|csv``): read
the cases and answers, work out which questions apply, write cases, answers, interviews,
practice examples, the questions and a data dictionary, each whole or not at all, each in
the export log. The floor writes the very same rows (read beforehand, not timed) with
pyarrow (``write_table``) or Python's csv writer and nothing else. Goal (issue 21): one
million answers in under 5 s.

Run from the repository root: ``python benchmarks/bench_tables.py [--cases 12500] [--runs 2]``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from bench_export import inspection_of  # noqa: E402

GOAL_S = 5.0


def tables_of(services, inspection_id) -> list[tuple[str, list[str], list[list]]]:
    plan = services.exports.prepare(inspection_id=inspection_id, tables_only=True)
    return [(s.title, [c.header for c in s.columns], [list(r) for r in s.rows])
            for s in plan.sheets if s.title in ("Cases", "Answers", "Interview",
                                               "Practice examples")]


def raw_parquet(tables, folder: Path) -> None:
    for title, headers, rows in tables:
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in headers]
        pq.write_table(pa.table({h: pa.array([None if v is None else str(v) for v in c])
                                 for h, c in zip(headers, columns, strict=True)}),
                       folder / f"{title}.parquet")


def raw_csv(tables, folder: Path) -> None:
    for title, headers, rows in tables:
        with open(folder / f"{title}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(rows)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12_500)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir())
                        / "aspire-bench-export")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    services, inspection_id = inspection_of(args.cases, args.folder)
    try:
        tables = tables_of(services, inspection_id)
        answers = sum(len(rows) for title, _, rows in tables if title != "Cases")
        print(f"Tidy tables: {args.cases:,} cases, {answers:,} answer rows; "
              f"interleaved, best of {args.runs}")
        best: dict[str, float] = {}
        for run in range(args.runs):
            for file_format, floor in (("parquet", raw_parquet), ("csv", raw_csv)):
                steps = [("floor", lambda f=floor: f(tables, args.folder)),
                         ("ours", lambda ff=file_format: services.exports.export_tables(
                             inspection_id=inspection_id, folder=args.folder / ff,
                             file_format=ff))]
                if run % 2:
                    steps.reverse()
                for name, action in steps:
                    took = timed(action)
                    key = f"{file_format} {name}"
                    best[key] = min(best.get(key, took), took)
                    print(f"  run {run + 1}  {key:<14} {took:6.2f} s")
    finally:
        services.close()
    for file_format in ("parquet", "csv"):
        ours, floor = best[f"{file_format} ours"], best[f"{file_format} floor"]
        print(f"  {file_format}: ours {ours:.2f} s, the same rows written raw {floor:.2f} s "
              f"({ours / floor:.1f}×); goal under {GOAL_S:g} s: "
              f"{'met' if ours < GOAL_S else 'NOT met'}")


if __name__ == "__main__":
    main()

"""The analysts' workbook: 2,000 cases × 80 questions, against a raw openpyxl dump.

The inspection is built once per size and kept in the temporary folder: an 80-question
framework (the shipped adult framework plus a section of judgements), every case answered
in full. The floor writes exactly the same cell values, sheet by sheet, with openpyxl's
write-only mode and nothing else (no styles, no comments, no widths, no charts). The export
is the real one: read the cases and answers, work out applicability, write the six sheets
whole or not at all. Peak memory is the largest Python allocation during each (tracemalloc,
measured in a separate run so it does not slow the timings). Architecture budget: Excel
export, 2,000 cases × 80 questions ≤ 2 × raw openpyxl write-only dump of the same cells.

Run from the repository root: ``python benchmarks/bench_export.py [--cases 2000 10000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import open_kept  # noqa: E402
from _frameworks import answered_inspection, eighty_question_framework  # noqa: E402
from openpyxl import Workbook  # noqa: E402

BUDGET_RATIO = 2.0


def inspection_of(size: int, folder: Path):
    """Services over a database holding one inspection of `size` fully answered cases."""
    frameworks = folder / "frameworks"
    frameworks.mkdir(exist_ok=True)
    eighty_question_framework(frameworks)
    services, fresh = open_kept(folder / f"export-{size}.db", frameworks)
    if fresh:
        answered_inspection(services, size)
    inspection = services.inspections.list()[0]
    return services, inspection.id


def raw_dump(sheets: list[tuple[str, list, list[list]]], target: Path) -> None:
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    workbook.save(target)


def materialised(services, inspection_id) -> list[tuple[str, list, list[list]]]:
    plan = services.exports.prepare(inspection_id=inspection_id)
    return [(s.title, [c.header for c in s.columns],
             ([list(s.second_header)] if s.second_header else []) + [list(r) for r in s.rows])
            for s in plan.sheets]


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mib(action) -> float:
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024


def measure(size: int, folder: Path, runs: int) -> None:
    services, inspection_id = inspection_of(size, folder)
    try:
        cells = materialised(services, inspection_id)
        count = sum(len(rows) * len(headers) for _, headers, rows in cells)
        raw_file, export_file = folder / f"raw-{size}.xlsx", folder / f"export-{size}.xlsx"
        raw = best_of(runs, lambda: raw_dump(cells, raw_file))
        ours = best_of(runs, lambda: services.exports.export(inspection_id=inspection_id,
                                                             path=export_file))
        raw_peak = peak_mib(lambda: raw_dump(cells, raw_file))
        our_peak = peak_mib(lambda: services.exports.export(inspection_id=inspection_id,
                                                            path=export_file))
    finally:
        services.close()
    ratio = ours / raw
    print(f"\n{size:,} cases × 80 questions: {count:,} cells in six sheets "
          f"({os.path.getsize(export_file) / 1024 / 1024:.1f} MB)")
    print(f"  raw openpyxl write-only dump (floor)   {raw:7.2f} s   peak {raw_peak:6.1f} MiB"
          f" (cells held in memory beforehand, not counted)")
    print(f"  export (read, check, write, styled)    {ours:7.2f} s   peak {our_peak:6.1f} MiB"
          f"   {ratio:.2f} × floor")
    if size == 2000:
        verdict = "WITHIN BUDGET" if ratio <= BUDGET_RATIO else "OVER BUDGET"
        print(f"  Budget: ≤ {BUDGET_RATIO:g} × the raw dump for 2,000 cases. {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir())
                        / "aspire-bench-export")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    print(f"Excel export; best of {args.runs}; inspections kept in {args.folder}")
    for size in args.cases:
        measure(size, args.folder, args.runs)


if __name__ == "__main__":
    main()

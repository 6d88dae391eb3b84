"""Writing an analyst's workbook: 2,000 cases x 100 columns, against a raw openpyxl dump.

The rows are a realistic completed case sample: a case reference, short coded answers,
yes/no judgements, scores and proportions, dates and date-times, and some long free-text
reasons in wrapped columns. Two figures, each the best of several runs, each run in its own
child process so that their memory does not mix:

- the floor: the same values appended as they are to a plain openpyxl write-only workbook
  (no header styling, no comments, no formats, no checks on the text);
- ``write_workbook``: bold header with a comment on every header cell, a second header row,
  frozen panes, autofilter, widths, wrapped columns, number and date formats, safe text.

Peak memory is the peak of Python allocations during the write (``tracemalloc``), measured
in a separate child process from the timing (tracing slows Python code down). Rows are
generated on the fly in both cases, so a flat peak shows that no writer holds the rows;
modules are imported before timing and tracing start.

Run from the repository root: ``python benchmarks/bench_excel_writer.py [--rows N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _timing import print_table  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from app.io.excel_workbook import Column, Sheet, write_workbook  # noqa: E402

COLUMNS = 100
# the kind of each of the 100 columns, in order after the case reference
PATTERN = ("text", "yesno", "number", "percent", "date", "text", "yesno", "datetime", "long",
           "text")
WORDS = ("the", "case", "record", "shows", "that", "risk", "of", "serious", "harm", "was",
         "assessed", "before", "sentence", "and", "reviewed", "after", "a", "change", "in",
         "circumstances", "but", "the", "plan", "did", "not", "address", "contact", "with",
         "children", "=", "-", "+", "@")


def kinds() -> list[str]:
    return ["reference"] + [PATTERN[i % len(PATTERN)] for i in range(COLUMNS - 1)]


def generate(rows: int) -> Iterator[tuple[object, ...]]:
    """The same rows every time (fixed seed), made as they are asked for."""
    rng = random.Random(20260901)
    plan = kinds()
    for n in range(rows):
        row: list[object] = []
        for kind in plan:
            if kind == "reference":
                row.append(f"X{100000 + n}")
            elif kind == "text":
                row.append(rng.choice(("Low", "Medium", "High", "Not recorded", "=SUM(A1)",
                                       "-", "Community", "Custody")))
            elif kind == "yesno":
                row.append(rng.random() < 0.6)
            elif kind == "number":
                row.append(rng.randint(0, 40))
            elif kind == "percent":
                row.append(round(rng.random(), 3))
            elif kind == "date":
                row.append(dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 500)))
            elif kind == "datetime":
                row.append(dt.datetime(2026, 9, 7, 9) + dt.timedelta(minutes=rng.randint(0, 9000)))
            else:
                row.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120))))
        yield tuple(row)


def raw_dump(path: Path, rows: int) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Cases")
    sheet.append([f"column_{i}" for i in range(COLUMNS)])
    for row in generate(rows):
        # the raw writer refuses these two on its own; the floor must still write the file
        sheet.append([("Yes" if v else "No") if isinstance(v, bool) else v for v in row])
    workbook.save(path)


def with_writer(path: Path, rows: int) -> None:
    kind_of = {"reference": "text", "text": "text", "yesno": "text", "number": "number",
               "percent": "percent", "date": "date", "datetime": "datetime", "long": "text"}
    columns = tuple(
        Column(header="reference" if i == 0 else f"q{i}_{kind}", kind=kind_of[kind],
               wrap=kind == "long", note=f"Question {i}: was the {kind} recorded well enough?")
        for i, kind in enumerate(kinds()))
    second = [f"Question {i} wording, as the inspector saw it" for i in range(COLUMNS)]
    write_workbook(path, [Sheet("Cases", columns, generate(rows), second_header=second,
                                freeze_columns=1)])


WRITERS = {"raw": raw_dump, "write_workbook": with_writer}


def child(writer: str, rows: int, folder: Path, trace: bool) -> None:
    """Run one writer once in this process and print its figures as JSON."""
    path = folder / f"bench-{writer}.xlsx"
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    WRITERS[writer](path, rows)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    print(json.dumps({"seconds": seconds, "peak": peak, "bytes": path.stat().st_size}))


def run_child(writer: str, rows: int, folder: Path, trace: bool) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", writer, "--rows", str(rows),
         "--folder", str(folder), *(["--trace"] if trace else [])],
        capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--child", choices=sorted(WRITERS), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.folder, args.trace)
        return 0
    try:
        with tempfile.TemporaryDirectory(dir=args.folder) as name:
            folder = Path(name)
            figures = {}
            for writer in WRITERS:
                best = min(run_child(writer, args.rows, folder, False)["seconds"]
                           for _ in range(max(1, args.runs)))
                traced = run_child(writer, args.rows, folder, True)
                figures[writer] = (best, traced["peak"] / 2**20, traced["bytes"] / 2**20)
        floor = figures["raw"][0]
        print(f"{args.rows:,} rows x {COLUMNS} columns, best of {args.runs} runs; peak memory "
              "from tracemalloc in a separate child process per writer")
        print_table(("Writer", "Seconds", "x raw", "Peak MiB", "File MiB"),
                    [(name, seconds, seconds / floor, peak, size)
                     for name, (seconds, peak, size) in figures.items()])
    except Exception as exc:  # a benchmark reports, it never fails the build
        print(f"benchmark could not run: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

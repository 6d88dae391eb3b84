"""Importing a 50,000-row case list: checking every row against reading every cell.

The case list is a realistic provider export: every column the app reads, values written
the ways case management systems write them (codes, labels, census codes, date cells), and
a few columns the app ignores. It is built once and kept in the temporary folder. Two
figures, each the best of several runs: plain openpyxl read-only iteration over every cell
of the file (the floor: no import can read the file faster), and ``check_case_list`` (find
the header, then read and check every row into cases); and the whole import through the
service into a new inspection on a fresh database (read, check, then store every case with
its outbox row and form progress in one transaction). Architecture budget: import a
50,000-row case list <= 2 x raw openpyxl read-only iteration.

Run from the repository root: ``python benchmarks/bench_import.py [--rows N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import open_services  # noqa: E402
from _timing import print_table  # noqa: E402

from app.io.case_lists import check_case_list  # noqa: E402

BUDGET_RATIO = 2.0
HEADERS = ("CRN", "Allocated agency", "Order type", "Custody/Community", "Sex", "Ethnic group",
           "DOB", "RoSH level", "MAPPA level", "Safety and wellbeing", "Disabled",
           "Offender manager", "Assigned inspector", "Comments", "Team", "Start date")
VALUES = {
    "provider": ("NPS", "CRC", "National Probation Service", "Probation Service", "PS"),
    "sentence": ("CO", "SSO", "Community order", "Suspended sentence order", "Licence",
                 "PSS", "Post sentence supervision"),
    "phase": ("Community", "Custody", "Licence", "On licence", "in custody", "post-release"),
    "gender": ("M", "F", "Male", "Female", "Not recorded"),
    "ethnicity": ("W1", "W2", "W9", "A1", "A2", "B1", "B2", "M1", "M3", "O9",
                  "White: English, Welsh, Scottish, Northern Irish or British",
                  "Asian - Pakistani", "Black African", "Not recorded", "Prefer not to say",
                  "Refused", "Irish"),
    "rosh": ("L", "M", "H", "VH", "Low", "Medium", "High", "Very high"),
    "mappa": (None, 1, 2, 3, "N/A", "Level 1", "L2"),
    "vulnerability": ("Low", "Medium", "High", "Very high", "not recorded"),
    "disability": ("Y", "N", "Yes", "No", "Not recorded", "Prefer not to say"),
    "team": ("North", "South", "East", "West", "City centre"),
}
FIRST = ("Amira", "Ben", "Chloe", "Dev", "Eilidh", "Femi", "Grace", "Hamza", "Isla", "Jack",
         "Kai", "Leah", "Mo", "Niamh", "Owen", "Priya", "Rhys", "Sofia", "Tom", "Zara")
LAST = ("Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fox", "Green", "Hughes", "Iqbal",
        "Jones", "Khan", "Lewis", "Morgan", "Nowak", "Owusu", "Patel", "Roberts", "Smith",
        "Taylor", "Williams")


def cache_path(rows: int, folder: Path) -> Path:
    return folder / f"aspire-bench-case-list-{rows}-v1.xlsx"


def case_list(rows: int, folder: Path) -> Path:
    """The benchmark's case list, built on first use and kept for later runs."""
    path = cache_path(rows, folder)
    if path.exists():
        return path
    rng = random.Random(20260601)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Case list")
    sheet.append(HEADERS)
    officers = [f"{f} {s}" for f in FIRST for s in LAST]
    inspectors = [f"{f} {s}" for f, s in zip(FIRST[:8], LAST[-8:], strict=True)]
    for n in range(rows):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 56))
        started = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        notes = (f"Transferred from another area; review {rng.randint(1, 9999)} pending"
                 if rng.random() < 0.3 else None)
        sheet.append((
            f"X{100000 + n}", *(rng.choice(VALUES[k]) for k in (
                "provider", "sentence", "phase", "gender", "ethnicity")),
            born, *(rng.choice(VALUES[k]) for k in (
                "rosh", "mappa", "vulnerability", "disability")),
            rng.choice(officers), rng.choice(inspectors), notes, rng.choice(VALUES["team"]),
            started))
    partial = path.with_suffix(".partial")
    workbook.save(partial)
    partial.replace(path)
    return path


def read_every_cell(path: Path) -> int:
    workbook = load_workbook(path, read_only=True, data_only=True)
    count = 0
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            for _ in row:
                count += 1
    finally:
        workbook.close()
    return count


def best_of(runs: int, action) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    start = time.perf_counter()
    cached = cache_path(args.rows, args.folder).exists()
    path = case_list(args.rows, args.folder)
    made = "kept from an earlier run" if cached else (
        f"built in {time.perf_counter() - start:.1f} s")
    print(f"Case list: {path} ({path.stat().st_size / 1024 / 1024:.1f} MB, "
          f"{args.rows:,} rows x {len(HEADERS)} columns; {made})")

    raw, cells = best_of(args.runs, lambda: read_every_cell(path))
    checked, (_table, check) = best_of(args.runs, lambda: check_case_list(path))
    imported, report = best_of(args.runs, lambda: import_into_new_database(path, args.folder))
    print(f"Read {cells:,} cells; checked {check.rows_read:,} rows into "
          f"{len(check.cases):,} cases with {len(check.problems)} problems; "
          f"stored {report.imported:,} cases.")
    print()
    print_table((f"Measure (best of {args.runs})", "Seconds", "× floor"), [
        ("openpyxl read-only, every cell (floor)", raw, "1.00"),
        ("check_case_list (read and check)", checked, f"{checked / raw:.2f}"),
        ("Whole import (read, check, store)", imported, f"{imported / raw:.2f}"),
    ])
    ratio = imported / raw
    verdict = "WITHIN BUDGET" if ratio <= BUDGET_RATIO else "OVER BUDGET"
    print()
    print(f"Whole import: {ratio:.2f} x the floor. Budget: import a 50,000-row case list "
          f"<= {BUDGET_RATIO:g} x raw openpyxl read-only iteration. {verdict}")


def import_into_new_database(path: Path, folder: Path):
    """The service's own path, as ``aspire import-cases`` runs it, into a fresh database."""
    from app.config import frameworks_dir
    from app.core.dto import NewInspection

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        services = open_services(Path(tmp) / "import.db", frameworks_dir())
        try:
            inspection = services.inspections.create(NewInspection(
                name="Benchmark", programme="adult_probation", organisation="Northshire",
                framework_key="adult-probation"))
            _preview, report = services.imports.import_file(inspection_id=inspection.id,
                                                            path=path)
        finally:
            services.close()
    return report


if __name__ == "__main__":
    main()

"""Importing a 50,000-row case list: checking every row against reading every cell.

The case list is a realistic provider export: every column the app reads, values written
the ways case management systems write them (codes, labels, census codes, date cells), and
a few columns the app ignores. It is built once and kept in the temporary folder.

Each run measures, in turn (the order reversed every other run, so a machine busier for a
while weighs on all alike):

- the floors: calamine, the reader the app uses, reading every cell of the file raw; and
  the same rows the import stores (each case, its form progress and its outbox entry),
  inserted raw (one ``executemany`` a table) into a fresh encrypted database of the app's
  schema;
- ``check_case_list``: the workbook looked over for a zip bomb, the header found, every row
  read and checked into cases;
- the whole import through the service into a new inspection on a fresh database (read,
  check, then store every case with its outbox row and form progress in one transaction).

Then once: openpyxl's read-only iteration over every cell (what the app read case lists
with before, for comparison), and a zip bomb (a 1 GB sheet in a few megabytes, its
directory saying it is small) refused: the time, and the peak of Python's memory meanwhile.

Budgets: read and check <= 2 x the raw read; whole import <= 1.5 x (raw read + raw insert);
a zip bomb refused in under 2 s and 200 MB.

Run from the repository root: ``python benchmarks/bench_import.py [--rows N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import open_services  # noqa: E402
from _timing import print_table  # noqa: E402

from app.io.case_lists import CaseListError, check_case_list  # noqa: E402

CHECK_BUDGET = 2.0
IMPORT_BUDGET = 1.5
BOMB_SECONDS = 2.0
BOMB_BYTES = 200 * 1024 * 1024
CHECK_MEMORY_MB = 250
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
    """openpyxl's read-only iteration over every cell (what case lists were read with)."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    count = 0
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            for _ in row:
                count += 1
    finally:
        workbook.close()
    return count


def calamine_every_cell(path: Path) -> int:
    """The floor: calamine reading every cell of the first sheet into Python values."""
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as workbook:
        sheet = workbook.get_sheet_by_name(workbook.sheet_names[0])
        count = 0
        for row in sheet.iter_rows():
            count += len(row)
    return count


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


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

    rows_stored = stored_rows(path, args.folder)
    runs: list[dict[str, float]] = []
    for run in range(args.runs):
        figures: dict[str, float] = {}

        def floors(figures: dict = figures) -> None:
            figures["read"], figures["cells"] = timed(lambda: calamine_every_cell(path))
            figures["insert"] = raw_insert(rows_stored, args.folder)

        def measures(figures: dict = figures) -> None:
            figures["check"], (_table, figures["result"]) = timed(
                lambda: check_case_list(path))
            figures["import"], figures["report"] = import_into_new_database(path,
                                                                            args.folder)

        for step in ((floors, measures) if run % 2 == 0 else (measures, floors)):
            step()
        runs.append(figures)
    openpyxl_read, _ = timed(lambda: read_every_cell(path))
    bomb_seconds, bomb_peak, bomb_why = refuse_a_bomb(args.folder)
    report(args, runs, openpyxl_read, (bomb_seconds, bomb_peak, bomb_why))
    peak = peak_memory_of_check(path)
    print(f"Read and check in a process of its own: peak resident memory {peak:.0f} MB "
          f"(Python, the app's modules and calamine's cells together). Budget < "
          f"{CHECK_MEMORY_MB} MB. {verdict(peak < CHECK_MEMORY_MB)}")


def report(args, runs: list[dict], openpyxl_read: float, bomb: tuple) -> None:
    check, cells, stored = runs[0]["result"], runs[0]["cells"], runs[0]["report"]
    print(f"Read {cells:,} cells; checked {check.rows_read:,} rows into "
          f"{len(check.cases):,} cases with {len(check.problems)} problems; "
          f"stored {stored.imported:,} cases.")
    print()
    print_table(("Run", "raw read s", "raw insert s", "check s", "× read", "import s",
                 "× read+insert"), [
        (str(n), r["read"], r["insert"], r["check"], f"{r['check'] / r['read']:.2f}",
         r["import"], f"{r['import'] / (r['read'] + r['insert']):.2f}")
        for n, r in enumerate(runs, 1)])
    check_ratio = statistics.median(r["check"] / r["read"] for r in runs)
    import_ratio = statistics.median(r["import"] / (r["read"] + r["insert"]) for r in runs)
    spread = [r["read"] for r in runs]
    print()
    print(f"Raw read (calamine), best {min(spread):.2f} s, worst {max(spread):.2f} s; "
          f"openpyxl read-only, every cell, once: {openpyxl_read:.2f} s "
          f"({openpyxl_read / min(spread):.1f} x calamine).")
    print(f"Read and check: median {check_ratio:.2f} x the raw read. Budget <= "
          f"{CHECK_BUDGET:g} x. {verdict(check_ratio <= CHECK_BUDGET)}")
    print(f"Whole import: median {import_ratio:.2f} x (raw read + raw insert). Budget <= "
          f"{IMPORT_BUDGET:g} x. {verdict(import_ratio <= IMPORT_BUDGET)}")
    seconds, peak, why = bomb
    print(f"Zip bomb (1 GB of sheet in a few MB, saying it is small): refused in "
          f"{seconds:.2f} s, peak Python memory {peak / 1024 / 1024:.1f} MB ({why}). Budget "
          f"< {BOMB_SECONDS:g} s and {BOMB_BYTES // 1024 // 1024} MB. "
          f"{verdict(seconds < BOMB_SECONDS and peak < BOMB_BYTES)}")


def peak_memory_of_check(path: Path) -> float:
    """The peak resident memory, in MB, of a fresh process that checks ``path`` (calamine
    holds the sheet's cells outside Python's own memory, where tracemalloc cannot see).
    Linux only: it reads the process's own high-water mark."""
    import subprocess

    script = ("import sys; from pathlib import Path; "
              "from app.io.case_lists import check_case_list; "
              "check_case_list(Path(sys.argv[1])); "
              # the high-water mark of this process's own memory (ru_maxrss would count
              # the benchmark's, from before this process began)
              "print(next(line.split()[1] for line in open('/proc/self/status') "
              "if line.startswith('VmHWM')))")
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024  # kilobytes


def verdict(within: bool) -> str:
    return "WITHIN BUDGET" if within else "OVER BUDGET"


def refuse_a_bomb(folder: Path) -> tuple[float, int, str]:
    """Seconds to refuse a zip bomb, the peak of Python's memory meanwhile, and why."""
    import shutil
    import zipfile

    from tests.integration.case_list_builders import SHEET_PART, _say_size

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        bomb = Path(tmp) / "cases.xlsx"
        honest = case_list(50, Path(tmp))
        with zipfile.ZipFile(honest) as source, \
                zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
            for part in source.infolist():
                if part.filename == SHEET_PART:
                    with target.open(SHEET_PART, "w") as sheet:
                        piece = b"<row/>" * (1024 * 1024 // 6)
                        for _ in range(1024):
                            sheet.write(piece)
                else:
                    target.writestr(part, source.read(part))
        _say_size(bomb, SHEET_PART, 40 * 1024)
        tracemalloc.start()
        start = time.perf_counter()
        try:
            check_case_list(bomb)
            why = "NOT REFUSED"
        except CaseListError as refused:
            why = refused.problem.split(": it ", 1)[-1].split(",")[0]
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return seconds, peak, why


#: the tables an import writes a row to for each case
STORED = ("cases", "case_progress", "outbox")


def stored_rows(path: Path, folder: Path) -> dict[str, list[tuple]]:
    """The rows an import of ``path`` stores for its cases, by table, as the database holds
    them."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        services, _report, _seconds = import_into(path, Path(tmp) / "rows.db")
        try:
            with services._db.read() as session:
                return {table: [tuple(row) for row in session.connection().exec_driver_sql(
                    f"SELECT * FROM {table}").all()] for table in STORED}
        finally:
            services.close()


def raw_insert(rows: dict[str, list[tuple]], folder: Path) -> float:
    """The floor for storing: seconds to insert the same rows raw (one ``executemany`` a
    table) into a fresh database of the app's schema, encrypted as the app's is, in one
    transaction (the database made beforehand, untimed)."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        services = open_services(Path(tmp) / "raw.db", _frameworks())
        try:
            with services._db.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                raw.execute("PRAGMA foreign_keys = OFF")
                start = time.perf_counter()
                raw.execute("BEGIN")
                for table in STORED:
                    raw.executemany(f"INSERT INTO {table} VALUES "
                                    f"({', '.join('?' * len(rows[table][0]))})", rows[table])
                raw.commit()
                return time.perf_counter() - start
        finally:
            services.close()


def _frameworks() -> Path:
    from app.config import frameworks_dir

    return frameworks_dir()


def import_into_new_database(path: Path, folder: Path) -> tuple[float, object]:
    """Seconds for the service's own path, as ``aspire import-cases`` runs it, to import
    ``path`` into a new inspection of a fresh database (made beforehand, untimed), and its
    report."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        services, report, seconds = import_into(path, Path(tmp) / "import.db")
        services.close()
    return seconds, report


def import_into(path: Path, database: Path):
    """Services over a new database at ``database``, the report of ``path`` imported into a
    new inspection there, and the seconds the import took."""
    from app.core.dto import NewInspection

    services = open_services(database, _frameworks())
    try:
        inspection = services.inspections.create(NewInspection(
            name="Benchmark", programme="adult_probation", organisation="Northshire",
            framework_key="adult-probation"))
        start = time.perf_counter()
        _preview, report = services.imports.import_file(inspection_id=inspection.id,
                                                        path=path)
        seconds = time.perf_counter() - start
    except BaseException:
        services.close()
        raise
    return services, report, seconds


if __name__ == "__main__":
    main()

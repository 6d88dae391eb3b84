"""Sync with the central store: 1,000 cases × 80 answers pushed, nothing to do, then pulled.

A throwaway PostgreSQL server is started in the temporary folder (as the tests do). One
laptop holds an inspection of fully answered cases, every row waiting in its outbox. Then:

- push: ``aspire sync`` from that laptop, as the inspector's own role (row-level security
  on): every change checked against the central revision, logged once, applied, and the
  outbox cleared locally (timed until the last acknowledged change has left the outbox; the
  same sync then pulls and passes over its own changes, reported as the whole first sync);
- nothing to do: the same laptop syncs again at once;
- pull: a colleague's empty laptop, a member of the same inspection, syncs and receives
  every case and answer;
- join: a third colleague, whose laptop has synced past all of it (they were on another
  inspection only), is added to the inspection and syncs: the inspection is fetched whole,
  its own rows and then its cases a page at a time (and once more for a fourth, with the
  peak of the laptop's Python memory while it does so traced, untimed).

The floor is raw psycopg writing exactly the same case and answer rows into an identical
central schema in the same run, over the same loopback TCP connection the laptop uses, as
the store's owner (no security, no checks, no change log), two ways: ``executemany`` of one
INSERT per table, and ``COPY``.

Each run measures the floor into fresh databases and the syncs, each from a fresh copy of
the filled laptop into a fresh central database; the floor goes first in one run and last
in the next. Every run's figures and ratios are printed, then the best of ``--runs``
(default 3) of each. Architecture budget: push, and pull, of 1,000 cases × 80 answers each
≤ 3 × raw psycopg ``executemany`` of the same rows.

Run from the repository root: ``python benchmarks/bench_sync.py [--cases N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from _database import open_services  # noqa: E402
from _frameworks import answered_inspection, eighty_question_framework  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402
from sqlalchemy import JSON, select  # noqa: E402

from app.core.dto import NewInspection  # noqa: E402
from app.db import models as m  # noqa: E402
from app.sync.central import add_user, init_central  # noqa: E402
from tests.postgres import start_server  # noqa: E402
from tests.service import free_port, run_serve, wait_until_serving  # noqa: E402

BUDGET_RATIO = 3.0
PASSWORD = "a benchmark password of some length"


def laptop(path: Path, central: str, login: str, frameworks: Path, inspections=()):
    """Services over the laptop database at ``path``, for ``login``."""
    add_user(central, login=login, name=login.title(), role="inspector", password=PASSWORD,
             inspections=inspections)
    return open_services(path, frameworks, login)


def service(folder: Path, central: str, frameworks: Path):
    """The central service over ``central``, in a process of its own as it is deployed,
    publishing the benchmark's framework; (process, address)."""
    os.environ["ASPIRE_FRAMEWORKS_DIR"] = str(frameworks)
    port = free_port()
    process = run_serve(folder, "--url", central, "--listen", f"127.0.0.1:{port}")
    address = f"http://127.0.0.1:{port}"
    wait_until_serving(process, address)
    return process, address


def rows_of(services, model) -> tuple[list[str], list[tuple]]:
    """A table's rows from the laptop, ready for psycopg (JSON columns wrapped)."""
    table = model.__table__
    names = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    with services._db.read() as session:
        rows = session.execute(select(table)).all()
    return names, [tuple(Jsonb(v) if n in json_columns and v is not None else v
                         for n, v in zip(names, row, strict=True)) for row in rows]


def copy_parents(services, target: psycopg.Connection) -> None:
    """The framework and inspection the cases belong to, untimed."""
    for model in (m.Framework, m.Inspection):
        names, rows = rows_of(services, model)
        insert_rows(target, model.__tablename__, names, rows)


def insert_rows(conn: psycopg.Connection, table: str, names: list[str],
                rows: list[tuple]) -> None:
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)))
    with conn.cursor() as cursor:
        cursor.executemany(statement, rows)


def copy_rows(conn: psycopg.Connection, table: str, names: list[str],
              rows: list[tuple]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)))
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def floor(server, services, how) -> float:
    """Seconds for raw psycopg to write the laptop's cases and answers into a fresh schema."""
    name = f"floor_{uuid.uuid4().hex[:8]}"
    init_central(server.create_database(name))
    cases, answers = rows_of(services, m.Case), rows_of(services, m.Answer)
    # over loopback TCP, as the laptop connects (only the role differs: no row security)
    with psycopg.connect(host="127.0.0.1", port=server.port, user=server.superuser,
                         dbname=name) as conn:
        copy_parents(services, conn)
        conn.commit()
        start = time.perf_counter()
        how(conn, "cases", *cases)
        how(conn, "answers", *answers)
        conn.commit()
        took = time.perf_counter() - start
    server.drop_database(name)
    return took


def filled_laptop(folder: Path, cases: int, name: str = "frameworks"):
    """``folder/filled.db``: inspector.one's laptop with ``cases`` fully answered cases of
    the 80-question framework (written to ``folder/name``), none synced, all of it in the
    main file so that copies of it are whole. Returns (frameworks, services, inspection)."""
    frameworks = folder / name
    frameworks.mkdir()
    eighty_question_framework(frameworks)
    services = open_services(folder / "filled.db", frameworks, "inspector.one")
    inspection_id = answered_inspection(services, cases)
    with services._db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return frameworks, services, inspection_id


def push_and_pull(server, folder: Path, filled: Path, frameworks: Path, run: int,
                  inspection_id: uuid.UUID) -> dict[str, object]:
    """Into a fresh central database: the filled laptop's first sync (push timed until its
    outbox is cleared), a sync with nothing to do, and a colleague's first sync."""
    central = server.create_database(f"central_{run}")
    init_central(central)
    copy = folder / f"run-{run}.db"
    copy.write_bytes(filled.read_bytes())
    one = laptop(copy, central, "inspector.one", frameworks)
    process, address = service(folder, central, frameworks)
    marks: dict[str, float] = {}

    def mark(stage: str, _done: int, _total: int) -> None:
        marks[stage] = time.perf_counter()

    began = time.perf_counter()
    pushed = one.sync.sync(address, PASSWORD, report=mark)
    figures = {"push": marks["push"] - began, "whole": time.perf_counter() - began,
               "pushed": pushed}
    figures["idle"], _ = timed(lambda: one.sync.sync(address, PASSWORD))
    two = laptop(folder / f"colleague-{run}.db", central, "inspector.two",
                 frameworks, inspections=[inspection_id])
    figures["pull"], figures["pulled"] = timed(lambda: two.sync.sync(address, PASSWORD))
    # a colleague on another inspection only, whose laptop has synced past all of this one
    elsewhere = one.inspections.create(NewInspection(
        name="Elsewhere", programme="adult_probation", organisation="Southshire",
        framework_key="adult-probation-80"))
    one.sync.sync(address, PASSWORD)
    joining = []
    for login in ("inspector.three", "inspector.four"):
        joining.append(laptop(folder / f"{login}-{run}.db", central, login, frameworks,
                              inspections=[elsewhere.id]))
        joining[-1].sync.sync(address, PASSWORD)
        add_user(central, login=login, name=login.title(), role="inspector",
                 password=PASSWORD, inspections=[inspection_id])
    figures["join"], figures["joined"] = timed(lambda: joining[0].sync.sync(address,
                                                                            PASSWORD))
    # the same again, with Python's allocations traced (slower, so not the one timed)
    tracemalloc.start()
    joining[1].sync.sync(address, PASSWORD)
    figures["join_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    for services in (one, two, *joining):
        services.close()
    process.terminate()
    process.communicate(timeout=30)
    server.drop_database(f"central_{run}")
    return figures


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    outcome = action()
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aspire-bench-sync-", dir=args.folder))
    server = start_server(folder / "server")
    try:
        frameworks, services, inspection_id = filled_laptop(folder, args.cases)
        waiting = services.sync.status().pending_changes
        # the floors and the syncs take turns, first one then the other, so a machine
        # busier for a while weighs on both alike
        runs = []
        for run in range(args.runs):
            floors = {}

            def floors_now(floors: dict = floors) -> None:
                floors["many"] = floor(server, services, insert_rows)
                floors["copy"] = floor(server, services, copy_rows)

            if run % 2 == 0:
                floors_now()
            figures = push_and_pull(server, folder, folder / "filled.db", frameworks, run,
                                    inspection_id)
            if run % 2 == 1:
                floors_now()
            runs.append({**figures, **floors})
        services.close()
    finally:
        server.stop()
    report(args, waiting, runs)


def report(args, waiting: int, runs: list[dict]) -> None:
    def best(key: str) -> float:
        return min(run[key] for run in runs)

    raw_many, raw_copy, push, pull = best("many"), best("copy"), best("push"), best("pull")
    pushed, pulled = runs[0]["pushed"], runs[0]["pulled"]
    answers = waiting - args.cases - 2
    print(f"\n{args.cases:,} cases, {answers:,} answers: {waiting:,} changes waiting "
          f"({args.runs} runs, each into a fresh central database)")
    print("  run   executemany    COPY    push  (ratio)    pull  (ratio)   idle")
    for n, run in enumerate(runs, 1):
        print(f"  {n:3d} {run['many']:10.2f} s {run['copy']:6.2f} s "
              f"{run['push']:6.2f} s ({run['push'] / run['many']:4.2f}×) "
              f"{run['pull']:6.2f} s ({run['pull'] / run['many']:4.2f}×) "
              f"{run['idle'] * 1000:4.0f} ms")
    print(f"best of {args.runs}:")
    print(f"  raw psycopg executemany (floor)      {raw_many:7.2f} s")
    print(f"  raw psycopg COPY                     {raw_copy:7.2f} s")
    print(f"  push: every change sent, applied     {push:7.2f} s   "
          f"{push / raw_many:.2f} × executemany   {push / raw_copy:.2f} × COPY")
    print(f"        centrally and acknowledged               ({pushed.applied:,} applied, "
          f"{pushed.conflicts} conflicts, {pushed.refused} refused)")
    print(f"  whole first sync (push, then its     {best('whole'):7.2f} s")
    print("        own changes passed over)")
    print(f"  sync with nothing to do              {best('idle') * 1000:7.0f} ms")
    print(f"  pull (colleague's empty laptop)      {pull:7.2f} s   "
          f"{pull / raw_many:.2f} × executemany   {pull / raw_copy:.2f} × COPY   "
          f"({pulled.pulled:,} rows)")
    join, joined = best("join"), runs[0]["joined"]
    print(f"  join (inspection fetched whole, in   {join:7.2f} s   "
          f"{join / raw_many:.2f} × executemany   ({joined.cases_joined:,} cases; "
          f"peak Python memory {min(r['join_peak'] for r in runs) / 2**20:.0f} MiB)")
    print("        pages, by a colleague added late)")
    for name, took in (("push", push), ("pull", pull)):
        verdict = "WITHIN BUDGET" if took <= BUDGET_RATIO * raw_many else "OVER BUDGET"
        print(f"  Budget: {name} ≤ {BUDGET_RATIO:g} × raw psycopg executemany of the same "
              f"rows. {verdict}")


if __name__ == "__main__":
    main()

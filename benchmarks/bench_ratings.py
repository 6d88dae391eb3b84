"""The ratings of a large inspection, against the floor of tallying the same answers raw.

An inspection of 2,500 cases × 80 questions (every applicable question answered, about
200,000 answers). The floor reads every answer of the inspection straight from SQLite
(SQLCipher, the same encrypted file) and tallies each key question's Yes and No in plain
Python, with no applicability, bands or breakdowns: the least any rating can cost. Measured:
the ratings as the dashboard and 'aspire ratings' work them out (every key question, its
interval and band, the standards, every breakdown), counting every case form; and counting
the approved ones, as by default, when none is approved yet. Interleaved, repeated, medians.
Goal (issue 21): ratings within 2 × the floor.

Run from the repository root: ``python benchmarks/bench_ratings.py [--cases N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import KEY, open_services  # noqa: E402
from _frameworks import answered_inspection, eighty_question_framework  # noqa: E402

GOAL_RATIO = 2.0


def raw_tally(path: Path, inspection_id, keys: list[str]) -> Counter:
    """Each key question's Yes and No in the inspection, read straight from the file."""
    from app.db.engine import connect

    tally: Counter = Counter()
    wanted = set(keys)
    with contextlib.closing(connect(path, KEY)) as conn:
        for key, value in conn.execute(
                "SELECT a.question_key, a.value FROM answers a JOIN cases c "
                "ON c.id = a.case_id WHERE c.inspection_id = ?", (inspection_id.hex,)):
            if key in wanted:
                tally[key, value] += 1
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aspire-bench-ratings-"))
    frameworks = folder / "frameworks"
    frameworks.mkdir()
    eighty_question_framework(frameworks)
    path = folder / "r.db"
    services = open_services(path, frameworks)
    inspection_id = answered_inspection(services, args.cases)
    framework = services.frameworks.shipped()[0]
    keys = [q.key for q in framework.questions() if q.key_question]
    with services._db.read() as session:
        from sqlalchemy import text
        answers = session.execute(text("SELECT count(*) FROM answers")).scalar()

    floor, every, approved = [], [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        tallied = raw_tally(path, inspection_id, keys)
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        rated = services.ratings.rate(inspection_id, statuses=None)
        every.append(time.perf_counter() - start)
        start = time.perf_counter()
        services.ratings.rate(inspection_id)
        approved.append(time.perf_counter() - start)
    services.close()
    for q in rated.questions:  # applicability only takes answers away
        assert q.tally.yes <= tallied[q.key, '"yes"'] or q.key not in {
            k for k, v in tallied if v == '"yes"'}, q.key

    low = statistics.median(floor)
    print(f"Ratings: {args.cases:,} cases, {answers:,} answers, {len(keys)} key questions, "
          f"{len(rated.breakdowns)} breakdowns; medians of {args.runs} interleaved runs")
    print(f"  floor: every answer read raw and key questions tallied  {low:6.2f} s "
          f"(runs {min(floor):.2f}-{max(floor):.2f})")
    for label, runs in (("ratings, every case form counted", every),
                        ("ratings, approved forms only (none yet)", approved)):
        middle = statistics.median(runs)
        print(f"  {label:<54}{middle:6.2f} s  {middle / low:5.2f} × floor "
              f"(runs {min(runs):.2f}-{max(runs):.2f})")
    ratio = statistics.median(every) / low
    verdict = "WITHIN" if ratio <= GOAL_RATIO else "OVER"
    print(f"Goal: ratings within {GOAL_RATIO:.0f} × the floor. Measured {ratio:.2f} ×: {verdict}")


if __name__ == "__main__":
    main()

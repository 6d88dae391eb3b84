"""What pausing Python's cyclic garbage collector buys: rating and sync, paused or left alone.

The app pauses the collector (``collector_paused``) while it rates an inspection and while it
pushes and pulls. Switched off from a worker thread it is off for the whole process, the
window's thread included, so the pause has to earn its place. Two contenders, in the same
run, on the same data:

- left alone: ``collector_paused`` replaced by a context that does nothing, in the rating
  service and the sync engine (the collector runs as Python's defaults have it) — the floor;
- paused: the code as it stands.

Measured:

- rating: ``services.ratings.rate`` over an inspection of ``--cases`` (default 2,000) fully
  answered cases × 80 questions, every case counted, as the dashboard asks for it;
- push and pull: as ``bench_sync.py`` (``--sync-cases``, default 1,000 cases × 80 answers):
  a fresh copy of the filled laptop pushes into a fresh central database (timed until its
  outbox is cleared), then a colleague's empty laptop pulls the same volume. Needs the
  PostgreSQL server binaries (a throwaway server is started, as the tests do).

The contenders take turns within each round (the order alternating round by round), so a
machine busier for a while weighs on both alike; each round starts from a full collection.
Printed: every run, the median of each contender, the ratio paused / left alone, the seconds
saved, and the collections run meanwhile. The project's rule: a pause stays only for a
user-visible gain, more than 10 % and more than 0.5 s.

Run from the repository root:
``python benchmarks/bench_collector.py [--cases N] [--sync-cases N] [--rounds N] [--no-sync]
[--folder PATH]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import open_services  # noqa: E402
from _frameworks import answered_inspection, eighty_question_framework  # noqa: E402
from _timing import print_table  # noqa: E402

from app.services import ratings as ratings_service  # noqa: E402
from app.sync import engine as sync_engine  # noqa: E402

GAIN_RATIO = 0.10  # more than 10 % ...
GAIN_SECONDS = 0.5  # ... and more than half a second
LEFT_ALONE, PAUSED = "left alone", "paused"
#: where the app pauses the collector, and the pause it uses there
PAUSING_MODULES = (ratings_service, sync_engine)
ORIGINAL = {module: getattr(module, "collector_paused", None) for module in PAUSING_MODULES}


@contextlib.contextmanager
def contender(name: str) -> Iterator[None]:
    """The app as it stands (paused), or with every pause a no-op (left alone)."""
    if name == LEFT_ALONE:
        for module in PAUSING_MODULES:
            module.collector_paused = contextlib.nullcontext
    try:
        gc.collect()  # every run starts from the same, swept heap
        yield
    finally:
        for module, original in ORIGINAL.items():
            module.collector_paused = original


def collections() -> int:
    return sum(generation["collections"] for generation in gc.get_stats())


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


def counted(action: Callable[[], dict[str, float]]) -> dict[str, float]:
    """``action``'s figures, with the collections (all, and full) run while it ran."""
    before, full = collections(), full_collections()
    figures = action()
    figures["collections"] = collections() - before
    figures["full"] = full_collections() - full
    return figures


def rounds_of(rounds: int, run: Callable[[str, int], dict[str, float]]) -> dict[str, list]:
    """Each round runs both contenders, the first one alternating."""
    results: dict[str, list] = {LEFT_ALONE: [], PAUSED: []}
    for number in range(rounds):
        order = (LEFT_ALONE, PAUSED) if number % 2 == 0 else (PAUSED, LEFT_ALONE)
        for name in order:
            with contender(name):
                results[name].append(run(name, number))
            figures = results[name][-1]
            print(f"  round {number + 1} {name:<10} "
                  + "  ".join(f"{key} {value:.2f} s" for key, value in figures.items()
                              if key not in ("collections", "full"))
                  + f"  ({figures['collections']:,} collections, {figures['full']} full)",
                  flush=True)
    return results


def report(title: str, results: dict[str, list], keys: list[str]) -> list[tuple]:
    """The medians and ratios of ``keys``, printed; returns (what, gain s, ratio) for each."""
    print(f"\n{title} (median of {len(results[LEFT_ALONE])} rounds)")
    rows, gains = [], []
    for key in keys:
        alone = statistics.median(r[key] for r in results[LEFT_ALONE])
        paused = statistics.median(r[key] for r in results[PAUSED])
        rows.append((key, alone, paused, f"{paused / alone:.2f}", f"{alone - paused:+.2f}",
                     "{:,.0f} / {:,.0f}".format(
                         statistics.median(r["collections"] for r in results[LEFT_ALONE]),
                         statistics.median(r["collections"] for r in results[PAUSED]))))
        gains.append((f"{title}: {key}", alone - paused, 1 - paused / alone))
    print_table(["", "left alone (floor) s", "paused s", "paused / alone", "saved s",
                 "collections per round, alone / paused"], rows)
    return gains


def rating_rounds(rounds: int, cases: int, folder: Path) -> list[tuple]:
    frameworks = folder / "frameworks-rating"
    frameworks.mkdir()
    eighty_question_framework(frameworks)
    services = open_services(folder / "rating.db", frameworks)
    inspection_id = answered_inspection(services, cases)

    def run(_name: str, _number: int) -> dict[str, float]:
        def rate() -> dict[str, float]:
            start = time.perf_counter()
            services.ratings.rate(inspection_id, statuses=None)
            return {"rating": time.perf_counter() - start}
        return counted(rate)

    print(f"\nRating {cases:,} fully answered cases × 80 questions")
    try:
        results = rounds_of(rounds, run)
    finally:
        services.close()
    return report(f"Rating, {cases:,} cases", results, ["rating"])


def sync_rounds(rounds: int, cases: int, folder: Path) -> list[tuple]:
    from bench_sync import filled_laptop, push_and_pull

    from tests.postgres import start_server

    server = start_server(folder / "server")
    try:
        frameworks, services, inspection_id = filled_laptop(folder, cases, "frameworks-sync")
        services.close()

        def run(_name: str, number: int) -> dict[str, float]:
            label = f"{number}_{uuid.uuid4().hex[:6]}"

            def push_pull() -> dict[str, float]:
                figures = push_and_pull(server, folder, folder / "filled.db", frameworks,
                                        label, inspection_id)
                return {"push": figures["push"], "pull": figures["pull"]}
            try:
                return counted(push_pull)
            finally:  # the two laptops of the run (a copy of the filled one is large)
                for laptop in folder.glob(f"*-{label}.db*"):
                    laptop.unlink()

        print(f"\nSync of {cases:,} fully answered cases × 80 questions: push, then a "
              "colleague's pull")
        results = rounds_of(rounds, run)
    finally:
        server.stop()
    return report(f"Sync, {cases:,} cases", results, ["push", "pull"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases rated")
    parser.add_argument("--sync-cases", type=int, default=1000, help="cases pushed and pulled")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-sync", action="store_true", help="rating only (no PostgreSQL)")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    if not all(ORIGINAL.values()):
        print("The app no longer pauses the collector (no collector_paused in "
              + ", ".join(m.__name__ for m, o in ORIGINAL.items() if o is None)
              + "): nothing to compare.")
        return
    folder = Path(tempfile.mkdtemp(prefix="aspire-bench-collector-", dir=args.folder))
    print(f"Python {sys.version.split()[0]}, collector thresholds {gc.get_threshold()}")
    try:
        gains = rating_rounds(args.rounds, args.cases, folder)
        if not args.no_sync:
            gains += sync_rounds(args.rounds, args.sync_cases, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nUser-visible gain: more than {GAIN_RATIO:.0%} and more than {GAIN_SECONDS:g} s "
          "saved by the pause")
    for what, seconds, ratio in gains:
        visible = seconds > GAIN_SECONDS and ratio > GAIN_RATIO
        print(f"  {what:<28} {seconds:+6.2f} s  {ratio:+6.1%}   "
              f"{'USER-VISIBLE GAIN' if visible else 'no user-visible gain'}")


if __name__ == "__main__":
    main()

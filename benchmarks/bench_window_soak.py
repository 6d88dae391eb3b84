"""A day's answers through the real window, against the same saves made without it.

The window: ``tests/ui/soak_driver.py`` starts the app as ``aspire`` does and, as an inspector
would, opens case forms one after another and clicks through their questions (Yes mostly,
now and then No with a reason ticked and an evidence note typed), opening and closing a
dialog of the window between case forms. It reports the seconds spent in the case forms,
resident memory after 100 answers and at the end, and live Qt objects once warm and at the
end.

The floor: the very same saves (the window writes each one it made), in the same order, on
a database made the same way, straight through ``services.forms.record_answer`` with one
``services.forms.open`` per case form, in a process with no window at all. What the window
costs on top is drawing, layout and signals.

The two take turns, order alternating, each in a fresh process on a fresh database. Targets
from the issue: the window stays up for the whole run, and memory and Qt objects stay flat
once warm (resident memory grows by less than 24 MiB from 100 answers to the end).

Run from the repository root:
``python benchmarks/bench_window_soak.py [--answers N] [--rounds N] [--folder PATH]``.
It always exits 0; it reports, it does not fail a build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _timing import print_table  # noqa: E402

PASSPHRASE = "benchmark passphrase for the window soak"
GROWTH_BUDGET_MIB = 24
SAMPLE_AT = 100


def _environment() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ASPIRE_DB_PASSPHRASE=PASSPHRASE,
               ASPIRE_USER="inspector.one")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_window(folder: Path, answers: int) -> dict:
    """The soak driver in a process of its own; its report, with the saves it made."""
    report, saves = folder / "window.json", folder / "saves.jsonl"
    env = dict(_environment(), ASPIRE_DATA_DIR=str(folder / "userdata"))
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.soak_driver", "--db", str(folder / "window.db"),
         "--answers", str(answers), "--report", str(report), "--saves", str(saves)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    result = json.loads(report.read_text()) if report.exists() else {}
    result["exit_code"] = done.returncode
    result["saves_file"] = saves
    if done.returncode != 0:
        result["error"] = result.get("error") or done.stderr.strip().splitlines()[-1:]
    return result


def run_floor(folder: Path, saves: Path, cases: int) -> dict:
    report = folder / "floor.json"
    env = dict(_environment(), ASPIRE_DATA_DIR=str(folder / "userdata"))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--floor-run", str(saves),
         "--db", str(folder / "floor.db"), "--cases", str(cases), "--report", str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(report.read_text())


def floor_run(saves_file: Path, db: Path, cases: int, report: Path) -> None:
    """In its own process: the saves of a window run, straight through the services."""
    from app.bootstrap import open_services
    from app.config import Settings
    from app.core.frameworks import NO, YES
    from tests.ui.soak_driver import make_database, resident_kib

    settings = Settings(db, "inspector.one")
    make_database(settings, cases)
    saves = [json.loads(line) for line in saves_file.read_text().splitlines()]
    services = open_services(settings, PASSPHRASE)
    try:
        inspection = services.inspections.list()[0]
        case_ids = [row.id for row in services.cases.list(inspection.id)]
        values = {"yes": YES, "no": NO}
        rss_at_sample = None
        opened = None
        began = time.perf_counter()
        for made, (number, key, value, reasons, evidence) in enumerate(saves, start=1):
            if number != opened:
                services.forms.open(case_ids[number])
                opened = number
            services.forms.record_answer(case_id=case_ids[number], question_key=key,
                                         value=values[value], reasons=reasons,
                                         evidence=evidence)
            if made == SAMPLE_AT:
                rss_at_sample = resident_kib()
        seconds = time.perf_counter() - began
    finally:
        services.close()
    report.write_text(json.dumps({"answers": len(saves), "seconds": seconds,
                                  "rss_at_sample_kib": rss_at_sample,
                                  "rss_end_kib": resident_kib()}))


def _sample(report: dict, at: str) -> dict:
    return next((s for s in report.get("samples", []) if s["at"] == at), {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to put the database files (default: a temporary folder)")
    parser.add_argument("--floor-run", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cases", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_run is not None:
        floor_run(args.floor_run, args.db, args.cases, args.report)
        return

    cases = max(4, args.answers // 30 + 4)  # as the soak driver makes them
    windows: list[dict] = []
    floors: list[dict] = []
    saves: Path | None = None
    with tempfile.TemporaryDirectory(prefix="aspire-bench-", dir=args.folder) as tmp:
        for number in range(args.rounds):
            folder = Path(tmp) / f"round-{number}"
            folder.mkdir()
            order = ["window", "floor"] if number % 2 == 0 or saves is None else [
                "floor", "window"]
            for contender in order:
                if contender == "window":
                    result = run_window(folder, args.answers)
                    windows.append(result)
                    if saves is None and result.get("exit_code") == 0:
                        saves = Path(tmp) / "saves.jsonl"
                        saves.write_bytes(result["saves_file"].read_bytes())
                else:
                    floors.append(run_floor(folder, saves, cases) if saves else
                                  {"error": "no window run finished"})
                print(f"round {number + 1}, {contender}: "
                      f"{_line(windows[-1] if contender == 'window' else floors[-1])}",
                      flush=True)

    print()
    print(f"Window soak benchmark: {args.answers:,} answers, {args.rounds} rounds; "
          f"Python {platform.python_version()}, {_qt_version()}, "
          f"{platform.system()} {platform.machine()}")
    good_windows = [w for w in windows if w.get("exit_code") == 0 and "error" not in w]
    good_floors = [f for f in floors if "error" not in f]
    if not good_windows or not good_floors:
        print("Not measured: " + "; ".join(str(r.get("error")) for r in windows + floors
                                          if "error" in r))
        return
    window_rate = statistics.median(w["answers"] / w["answering_seconds"]
                                    for w in good_windows)
    floor_rate = statistics.median(f["answers"] / f["seconds"] for f in good_floors)
    growth = [(_sample(w, "end").get("rss_kib", 0) - _sample(w, "100").get("rss_kib", 0))
              / 1024 for w in good_windows]
    floor_growth = [(f["rss_end_kib"] - f["rss_at_sample_kib"]) / 1024 for f in good_floors]
    print()
    print_table(
        ["", "answers/s", "ms/answer", "RSS at 100 MiB", "RSS at end MiB", "growth MiB"],
        [["Floor: the same saves, no window", floor_rate, 1000 / floor_rate,
          statistics.median(f["rss_at_sample_kib"] for f in good_floors) / 1024,
          statistics.median(f["rss_end_kib"] for f in good_floors) / 1024,
          statistics.median(floor_growth)],
         ["Through the window", window_rate, 1000 / window_rate,
          statistics.median(_sample(w, "100")["rss_kib"] for w in good_windows) / 1024,
          statistics.median(_sample(w, "end")["rss_kib"] for w in good_windows) / 1024,
          statistics.median(growth)],
         ["Window / floor (time per answer)", f"{floor_rate / window_rate:.1f}x", "", "", "",
          ""]])
    print()
    qt = [(_sample(w, "warm").get("qobjects"), _sample(w, "end").get("qobjects"))
          for w in good_windows if _sample(w, "warm")]
    if qt:
        print("Live Qt objects, once warm -> at the end, each run: "
              + ", ".join(f"{warm} -> {end}" for warm, end in qt))
    else:
        print("Live Qt objects not judged: a run is warm after 400 answers (--answers)")
    print(f"Window runs that ended cleanly: {len(good_windows)} of {len(windows)}; "
          f"dialogs left open: {sum(len(w.get('dialogs_left', [])) for w in good_windows)}")
    flat = (bool(qt) and all(g < GROWTH_BUDGET_MIB for g in growth)
            and all(w == e for w, e in qt))
    met = flat and len(good_windows) == len(windows)
    print(f"Target: the window stays up, Qt objects flat and resident memory grows < "
          f"{GROWTH_BUDGET_MIB} MiB from {SAMPLE_AT} answers to the end. Worst growth "
          f"{max(growth):.1f} MiB: {'MET' if met else 'NOT MET'}")


def _line(result: dict) -> str:
    if "error" in result:
        return f"failed: {result['error']}"
    seconds = result.get("answering_seconds", result.get("seconds"))
    return f"{result['answers']} answers in {seconds:.1f} s"


def _qt_version() -> str:
    try:
        import PySide6

        return f"PySide6 {PySide6.__version__}"
    except ImportError:
        return "no PySide6"


if __name__ == "__main__":
    main()

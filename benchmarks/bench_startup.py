"""Cold start to the main window shown, against a bare PySide6 window started the same way.

Each run is a fresh Python process, timed from before it is started until it reports that
its window has been shown and painted. The floor is the least any Qt desktop program can
do here: import PySide6, create the application, show an empty ``QMainWindow``. The app is
measured opening an existing database of a demonstration inspection (the usual start) and
a brand-new one (first start: folders, tables created by the migrations).
Architecture budget: cold start ≤ 3 × a bare PySide6 window.

Run from the repository root: ``python benchmarks/bench_startup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _keyring import environment as keyring_environment  # noqa: E402

BUDGET_RATIO = 3.0

BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
window.show()
app.processEvents()
print("shown", flush=True)
"""

# The real entry point; the only additions report when the main window has been shown and
# when the database is open and its inspections are listed.
APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui import main_window

_show, _attach = main_window.MainWindow.show, main_window.MainWindow.attach

def show(self):
    _show(self)
    QApplication.processEvents()
    print("shown", flush=True)

def attach(self, services):
    _attach(self, services)
    QApplication.processEvents()
    print("ready", flush=True)
    QTimer.singleShot(0, self.close)

main_window.MainWindow.show, main_window.MainWindow.attach = show, attach
from app.main import main
sys.exit(main(["--db", sys.argv[1]]))
"""


#: compiled modules kept here, as an installed program has them (a machine that writes none
#: would otherwise compile every module of the app at every start)
BYTECODE: Path | None = None


def time_to(code: str, *args: str, marks=("shown",)) -> list[float]:
    """Milliseconds from starting the process until each mark is printed."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env.get("PYTHONPATH", "")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if BYTECODE is not None:
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    times = []
    for mark in marks:
        line = child.stdout.readline()
        times.append((time.perf_counter() - start) * 1000)
        if line.strip() != mark:
            raise RuntimeError(f"expected '{mark}' from the program, got {line!r}")
    child.wait(timeout=60)
    return times


def padded(path: Path, megabytes: int) -> None:
    """The database at ``path`` grown to about ``megabytes`` (a table of padding in it), as
    a laptop's database grows over inspections."""
    from app.db.engine import connect
    from app.db.keys import resolve_key

    with contextlib.closing(connect(path, resolve_key(path, None))) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_padding (data BLOB)")
        chunk = os.urandom(64 * 1024)
        for _ in range(megabytes * 16):
            conn.execute("INSERT INTO bench_padding VALUES (?)", (chunk,))
        conn.commit()


def left_unclosed(path: Path) -> None:
    """As if the last program to have the database open had been killed: its mark that it
    has the database open is left, held by nobody."""
    (path.parent / f".~{path.name}.{secrets.token_hex(8)}.open").write_bytes(b"")


def main() -> None:
    global BYTECODE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--large-mb", type=int, default=300,
                        help="the size of the large database (MB)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="startup-"))
    BYTECODE = folder / "bytecode"
    existing, large = folder / "demo.db", folder / "large.db"
    # the databases' keys in a keyring of the benchmark's own (there may be no other)
    os.environ.update(keyring_environment(folder / "keyring.json"))
    os.environ["ASPIRE_DATA_DIR"] = str(folder / "user")
    for path in (existing, large):
        subprocess.run([sys.executable, "-m", "app", "--db", str(path), "demo", "--cases",
                        "30"], check=True, cwd=ROOT, capture_output=True)
    padded(large, args.large_mb)
    size = large.stat().st_size / 1e6
    both = ("shown", "ready")
    time_to(BARE)  # warm the file cache, and compile each module once
    time_to(APP, str(existing), marks=both)
    time_to(APP, str(large), marks=both)
    bare, usual, big, unclosed, first = [], [], [], [], []
    for i in range(args.runs):
        bare.append(time_to(BARE)[0])
        usual.append(time_to(APP, str(existing), marks=both))
        big.append(time_to(APP, str(large), marks=both))
        left_unclosed(large)
        unclosed.append(time_to(APP, str(large), marks=both))
        first.append(time_to(APP, str(folder / f"new-{i}.db"), marks=both))
    floor = statistics.median(bare)
    spread = statistics.quantiles(bare, n=4) if len(bare) > 1 else [floor, floor, floor]
    print(f"Cold start, median of {args.runs} runs each, interleaved (ms); Python "
          f"{sys.version.split()[0]}; floor quartiles {spread[0]:.0f}-{spread[2]:.0f} ms")
    print(f"{'':<52}{'window shown':>14}{'inspections listed':>22}")
    print(f"{'Bare PySide6 window (floor)':<52}{floor:8.0f}")
    for label, samples in (("Existing database (30 cases)", usual),
                           (f"Existing database grown to {size:.0f} MB", big),
                           ("  the same, after a program left it unclosed", unclosed),
                           ("First start (new database)", first)):
        shown = statistics.median(s[0] for s in samples)
        ready = statistics.median(s[1] for s in samples)
        print(f"{label:<52}{shown:8.0f} ({shown / floor:4.2f}×){ready:14.0f} "
              f"({ready / floor:4.2f}×)")
    ratio = statistics.median(s[0] for s in usual) / floor
    verdict = "WITHIN BUDGET" if ratio <= BUDGET_RATIO else "OVER BUDGET"
    print(f"\nBudget: cold start to main window shown ≤ {BUDGET_RATIO:.0f} × a bare PySide6 "
          f"window. Measured {ratio:.2f} ×: {verdict}")
    listed = statistics.median(s[1] for s in usual) / floor
    verdict = "WITHIN BUDGET" if listed <= BUDGET_RATIO else "OVER BUDGET"
    print(f"Goal: inspections listed ≤ {BUDGET_RATIO:.0f} × the floor. Measured {listed:.2f} ×: "
          f"{verdict}")
    print("The window is shown before the database is opened on a worker thread; "
          "'inspections listed' is when the inspector can start work. A database's pages "
          "are checked at opening only after a program left it unclosed.")


if __name__ == "__main__":
    main()

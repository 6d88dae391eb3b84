"""An export killed part-way, in the order a person meets it.

A real workbook export (``aspire export``) of a real database is killed outright while it
writes rows. The workbook already there is exactly as it was, and what the export left is
only partial files beside it (the sheet buffers hold case data as plain XML); nothing is in
the system's temporary folder. The next start of the app removes them; after another kill,
the next export removes them before it writes, and its workbook opens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.core.atomic_files import is_partial_name
from tests.integration.helpers import sha

ROOT = Path(__file__).resolve().parents[2]
CASES = 100
KILL_WITHIN_S = 120

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the export is killed with SIGKILL")


@pytest.fixture
def inspection(services):
    return services.demo.create(cases=CASES, seed=7)


@pytest.fixture
def system_temp(tmp_path) -> Path:
    """The temporary folder the app's processes are given: nothing may be left in it."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    return folder


def aspire(db_path: Path, system_temp: Path, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(system_temp)}
    return subprocess.Popen([sys.executable, "-m", "app", "--db", str(db_path), *args],
                            cwd=ROOT, env=env, **popen)


def finished(child: subprocess.Popen) -> None:
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err


def partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if is_partial_name(p.name))


def kill_while_rows_are_written(db_path: Path, system_temp: Path, inspection_id,
                                target: Path, how: int = signal.SIGKILL) -> tuple[int, str]:
    """Start ``aspire export`` and send it ``how`` once a sheet buffer beside the target has
    rows; its exit code and what it said on standard error."""
    child = aspire(db_path, system_temp, "export", "--inspection", str(inspection_id),
                   "-o", str(target), "--all-cases",
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                   preexec_fn=_as_from_a_terminal)
    deadline = time.monotonic() + KILL_WITHIN_S
    try:
        while time.monotonic() < deadline and child.poll() is None:
            written = [p for p in partials(target.parent) if _size(p) > 0]
            if len(partials(target.parent)) >= 2 and written:
                break
            time.sleep(0.001)
        assert child.poll() is None, (
            "the export ended before it could be killed (make the inspection larger):\n"
            + child.stderr.read())
        child.send_signal(how)
        _out, said = child.communicate(timeout=60)
        return child.returncode, said
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()


def _as_from_a_terminal() -> None:
    """Ctrl+C as a terminal delivers it: a test runner's worker may ignore SIGINT, and a
    program started from it would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_a_killed_export_leaves_the_workbook_as_it_was_and_its_leftovers_go(
        services, inspection, db_path, tmp_path, system_temp):
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "northshire.xlsx"
    services.exports.export(inspection_id=inspection.id, path=target, all_cases=True)
    before = sha(target)

    # killed while writing rows: the earlier workbook stands, and the leftovers are beside it
    kill_while_rows_are_written(db_path, system_temp, inspection.id, target)
    assert sha(target) == before
    left = partials(out)
    assert len(left) >= 2 and {p.name for p in out.iterdir()} == {target.name,
                                                                  *(p.name for p in left)}
    assert any(b"<row" in p.read_bytes() for p in left)  # case data, in plain text
    assert list(system_temp.iterdir()) == []

    # the next start of the app removes them
    finished(aspire(db_path, system_temp, "export-log", "--json",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    assert [p.name for p in out.iterdir()] == [target.name] and sha(target) == before

    # killed again; this time the app is already running and the next export tidies up
    kill_while_rows_are_written(db_path, system_temp, inspection.id, target)
    assert len(partials(out)) >= 2 and sha(target) == before
    result = services.exports.export(inspection_id=inspection.id, path=target,
                                     all_cases=True)
    assert [p.name for p in out.iterdir()] == [target.name]
    assert sha(target) == result.sha256 != before
    workbook = load_workbook(target, read_only=True)
    assert sum(1 for _row in workbook["Cases"].iter_rows()) > CASES
    workbook.close()
    assert list(system_temp.iterdir()) == []


def test_ctrl_c_stops_an_export_in_one_line_and_leaves_nothing_half_written(
        inspection, db_path, tmp_path, system_temp):
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "northshire.xlsx"
    code, said = kill_while_rows_are_written(db_path, system_temp, inspection.id, target,
                                             signal.SIGINT)
    assert code == 130
    assert said.strip() == "Stopped: nothing was half-written." and "Traceback" not in said
    assert list(out.iterdir()) == [] and list(system_temp.iterdir()) == []

"""The next start knows the app closed unexpectedly: runs in real child processes that are
killed, exit without finishing, finish cleanly, or are still running."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.ui.run_marker import RunMarker, unexpected_close_notice

ROOT = Path(__file__).resolve().parents[2]

#: A run in a child process: it marks itself, says so, then ends as ``argv[2]`` says.
RUN = """
import os, sys
from pathlib import Path
from app.ui.run_marker import RunMarker

marker = RunMarker.start(Path(sys.argv[1]))
print("marked" if marker.marked else "unmarked", flush=True)
if sys.argv[2] == "exit without finishing":
    os._exit(3)
if sys.argv[2] == "finish":
    marker.finish()
    sys.exit(0)
if sys.argv[2] == "uncaught error":
    try:
        raise RuntimeError("nobody caught this")
    finally:
        marker.abandon()  # as the window's start does when an error escapes it
sys.stdin.read()  # "hold": runs until its input is closed, or it is killed
marker.finish()
"""


@pytest.fixture
def start_run() -> Iterator[Callable[[Path, str], subprocess.Popen]]:
    """Starts a run that marks itself in ``log_dir`` and then ends as ``ending`` says; its
    pipes are closed (ending a run still held) when the test ends."""
    started: list[subprocess.Popen] = []

    def start(log_dir: Path, ending: str) -> subprocess.Popen:
        run = subprocess.Popen([sys.executable, "-c", RUN, str(log_dir), ending], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(run)
        assert run.stdout.readline().strip() == "marked"
        return run

    yield start
    for run in started:
        with run:  # closes its input, which ends a run still held, and waits for it
            pass


def markers(log_dir: Path) -> list[Path]:
    return sorted(log_dir.glob("running-*.lock"))


@pytest.fixture
def log_dir(tmp_path) -> Path:
    return tmp_path / "logs"


def test_a_run_that_was_killed_is_reported_once_and_its_marker_removed(log_dir, start_run):
    run = start_run(log_dir, "hold")
    run.kill()  # as the laptop losing power would end it: no clean-up at all
    run.wait(timeout=30)
    assert len(markers(log_dir)) == 1

    after_crash = RunMarker.start(log_dir)
    try:
        assert after_crash.closed_unexpectedly_before
        assert [path.name.split("-")[1] for path in markers(log_dir)] == [str(os.getpid())]
    finally:
        after_crash.finish()
    assert markers(log_dir) == []

    next_start = RunMarker.start(log_dir)
    next_start.finish()
    assert not next_start.closed_unexpectedly_before


def test_a_run_that_exits_without_finishing_is_reported(log_dir, start_run):
    run = start_run(log_dir, "exit without finishing")
    assert run.wait(timeout=30) == 3

    after = RunMarker.start(log_dir)
    after.finish()
    assert after.closed_unexpectedly_before
    assert markers(log_dir) == []


def test_a_run_that_ended_with_an_uncaught_error_is_reported_once(log_dir, start_run):
    run = start_run(log_dir, "uncaught error")
    assert run.wait(timeout=30) == 1
    assert markers(log_dir) == []  # its marker went as the interpreter ended

    after = RunMarker.start(log_dir)
    after.finish()
    assert after.closed_unexpectedly_before
    again = RunMarker.start(log_dir)
    again.finish()
    assert not again.closed_unexpectedly_before


def test_a_marker_left_by_an_earlier_process_with_this_process_number_is_reported(log_dir,
                                                                                 start_run):
    run = start_run(log_dir, "exit without finishing")
    run.wait(timeout=30)
    (left,) = markers(log_dir)
    # as if that process's number had since been given to this one
    lines = left.read_text().splitlines(True)
    left.unlink()
    (log_dir / f"running-{os.getpid()}-1.lock").write_text("".join([f"{os.getpid()}\n",
                                                                     *lines[1:]]))

    after = RunMarker.start(log_dir)
    after.finish()
    assert after.closed_unexpectedly_before
    assert markers(log_dir) == []


def test_a_run_that_finished_cleanly_is_not_reported(log_dir, start_run):
    run = start_run(log_dir, "finish")
    assert run.wait(timeout=30) == 0
    assert markers(log_dir) == []

    after = RunMarker.start(log_dir)
    after.finish()
    assert not after.closed_unexpectedly_before


def test_a_run_still_going_in_another_window_is_neither_reported_nor_disturbed(log_dir,
                                                                              start_run):
    other_window = start_run(log_dir, "hold")
    try:
        this_window = RunMarker.start(log_dir)
        assert not this_window.closed_unexpectedly_before
        assert len(markers(log_dir)) == 2
        this_window.finish()
        assert len(markers(log_dir)) == 1, "the other window's marker is kept"
    finally:
        other_window.communicate("", timeout=30)  # closing its input ends it cleanly
    assert other_window.returncode == 0
    assert markers(log_dir) == []


def test_two_runs_in_one_process_do_not_take_each_other_for_a_crash(log_dir, start_run):
    first = RunMarker.start(log_dir)
    second = RunMarker.start(log_dir)
    try:
        assert not second.closed_unexpectedly_before
        assert len(markers(log_dir)) == 2
    finally:
        second.finish()
        first.finish()


def test_a_folder_that_cannot_be_written_leaves_the_run_unmarked(tmp_path):
    not_a_folder = tmp_path / "logs"
    not_a_folder.write_text("a file where the log folder should be")

    marker = RunMarker.start(not_a_folder)
    marker.finish()
    assert not marker.marked
    assert not marker.closed_unexpectedly_before


def test_the_notice_says_answers_are_safe_and_where_the_log_is(log_dir, qapp):
    notice = unexpected_close_notice(log_dir)
    assert "closed unexpectedly" in notice
    assert "saved" in notice
    assert str(log_dir) in notice
    assert "crash.log" in notice and "aspire.log" in notice

"""Knowing, at the next start, that the app closed unexpectedly.

Each running window keeps a marker in the log folder (``running-<process>-<n>.lock``) and
removes it when it closes as it should. A marker whose process is no longer running was left
by a run that did not end cleanly: the app crashed, was killed, or the laptop lost power.
Each process has a marker of its own, so two windows on two databases never take each other
for a crash. ``QLockFile`` tells a marker whose process has died from one that is still held,
on every platform.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLockFile, QSysInfo

PREFIX = "running-"
SUFFIX = ".lock"
#: Left by a run that ended with an error nobody caught (its marker is removed regardless).
NOTE = "closed-unexpectedly.note"

_numbers = itertools.count(1)
#: The names of the markers this process holds (a test may start more than one run in it).
_held: set[str] = set()


class RunMarker:
    """This run's marker; ``finish`` removes it at a clean close.

    Keep it for the whole run and call ``finish`` once the event loop has ended normally:
    letting go of it removes its file as well (``QLockFile`` does so when deleted). ::

        marker = RunMarker.start(log_dir)
        if marker.closed_unexpectedly_before:
            ... show unexpected_close_notice(log_dir) ...
        ...
        marker.finish()
    """

    def __init__(self, lock: QLockFile | None, closed_unexpectedly_before: bool,
                 path: Path | None = None):
        self._lock = lock
        self._name = path.name if path is not None else ""
        self._dir = path.parent if path is not None else None
        #: Whether an earlier run left its marker behind (its markers are now removed).
        self.closed_unexpectedly_before = closed_unexpectedly_before

    @classmethod
    def start(cls, log_dir: Path) -> RunMarker:
        """Marks this run as under way in ``log_dir``, and finds out whether an earlier run
        ended without finishing, removing the markers such runs left. Markers of runs still
        going (another window) are left alone. Never fails: if the folder cannot be written,
        this run goes unmarked."""
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return cls(None, False)
        left_behind = _remove_markers_left_behind(log_dir)
        left_behind = _take_note(log_dir) or left_behind
        path = log_dir / f"{PREFIX}{os.getpid()}-{next(_numbers)}{SUFFIX}"
        lock = QLockFile(str(path))
        lock.setStaleLockTime(0)  # only a dead holder makes a marker stale, never its age
        if not lock.tryLock(0):
            return cls(None, left_behind)
        _held.add(path.name)
        return cls(lock, left_behind, path)

    def abandon(self) -> None:
        """This run ends with an error nobody caught: the next start is to say so. (Letting
        go of the marker would remove it, so a note is left beside it instead.)"""
        if self._lock is not None:
            _leave_note(self._dir)
        self.finish()

    def finish(self) -> None:
        """This run ends cleanly: its marker is removed (again, harmlessly)."""
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
            _held.discard(self._name)

    @property
    def marked(self) -> bool:
        """Whether this run holds a marker (not if the log folder could not be written)."""
        return self._lock is not None


def _remove_markers_left_behind(log_dir: Path) -> bool:
    """Removes the markers of runs whose process has ended; whether there were any."""
    found = False
    for path in sorted(log_dir.glob(f"{PREFIX}*{SUFFIX}")):
        if path.name in _held:
            continue
        marker = QLockFile(str(path))
        marker.setStaleLockTime(0)
        pid, host, _app = marker.getLockInfo()
        if pid == 0:
            continue  # gone meanwhile (its run finished), or not a marker at all
        if pid == os.getpid() and host in ("", QSysInfo.machineHostName()):
            # Not held by this process, so left by an earlier one that had the same number.
            found = _remove(path) or found
            continue
        # Taken only if its holder has died (QLockFile removes the stale one first); a marker
        # removed by its own run finishing in the instant since it was read is taken too, and
        # counted: a rare false notice rather than a crash gone unseen.
        if marker.tryLock(0):
            marker.unlock()
            found = True
    return found


def _leave_note(log_dir: Path) -> None:
    with contextlib.suppress(OSError):  # the notice is a courtesy: never a reason to fail
        (log_dir / NOTE).write_text("The last run ended with an error; see aspire.log.\n")


def _take_note(log_dir: Path) -> bool:
    """Whether a run left a note that it ended with an error (the note is removed)."""
    return _remove(log_dir / NOTE)


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True


def unexpected_close_notice(log_dir: Path) -> str:
    """What to tell the person after an unexpected close: their answers are safe, and where
    the record of what happened is to send to the IT service desk."""
    return QCoreApplication.translate(
        "RunMarker",
        "ASPIRE Casework closed unexpectedly the last time it was used.\n\n"
        "Every answer you had given was saved the moment you gave it; only text you were in "
        "the middle of typing may need typing again.\n\n"
        "What happened is recorded in the folder {folder}. Please send the files crash.log "
        "and aspire.log from that folder to your IT service desk.",
    ).format(folder=str(log_dir))

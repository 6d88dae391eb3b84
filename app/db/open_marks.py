"""Whether the last program to have a database open closed it properly.

Each process that opens a database leaves a mark beside it, ``.~{name}.{random}.open``,
held for as long as it has the database open (locked on POSIX systems; on Windows a file
open without delete sharing cannot be removed) and removed when it closes the database. A
mark that nobody holds is left by a program that ended without closing it (killed, a power
cut, a crash): only then does opening the database check its pages (``PRAGMA
quick_check``), which takes seconds on a large database. Otherwise the check is left to
``aspire db check`` and to every backup, so opening does not grow with the database.

A check that fails, or is stopped, leaves this program's own mark behind unheld, so the
next opening checks again; where files cannot be locked (some network shares) no mark is
kept, and the database is checked at every opening.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from app.core.atomic_files import MODE, hold, remove_if_abandoned, same_file

log = logging.getLogger(__name__)

_TOKEN_BYTES = 8
_TRIES = 3


def _pattern(database: Path) -> re.Pattern:
    return re.compile(re.escape(f".~{database.name}.") + r"[0-9a-f]{16}\.open")


def left_open(database: Path) -> int:
    """Remove the marks of programs that had ``database`` open and ended without closing
    it; how many there were."""
    pattern = _pattern(database)
    try:
        names = [entry.name for entry in os.scandir(database.parent)
                 if pattern.fullmatch(entry.name)]
    except OSError:
        return 0
    return sum(remove_if_abandoned(str(database.parent / name)) for name in names)


class OpenMark:
    """This process's mark that it has ``database`` open; ``release`` when it closes it.
    A mark that cannot be made (a folder that refuses it, a file system that cannot lock)
    leaves ``made`` False, and the database is then checked at every opening, as if it had
    not been closed."""

    def __init__(self, database: Path):
        self._fd: int | None = None
        for _try in range(_TRIES):  # a fresh mark another's sweep took: made again
            self.path = database.parent / (f".~{database.name}."
                                           f"{secrets.token_hex(_TOKEN_BYTES)}.open")
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_NOFOLLOW", 0), MODE)
            except OSError as exc:
                log.warning("the mark that the database is open could not be made: %s",
                            exc.strerror)
                return
            if hold(fd, strict=True) and same_file(fd, self.path):
                self._fd = fd
                return
            os.close(fd)
            if os.path.exists(self.path):  # ours, but it cannot be held: no mark at all
                _unlink(self.path)
                return

    @property
    def made(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """The database is closed properly: the mark goes (once; later calls do nothing)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if os.name != "nt":
            _unlink(self.path)  # while still held, so no sweep takes it for abandoned
        os.close(fd)
        if os.name == "nt":
            _unlink(self.path)  # Windows removes no file that is open

    def abandon(self) -> None:
        """Let go of the mark but leave it there, as a program that did not close the
        database would: the next opening checks the database's pages."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("the mark that the database is open could not be removed: %s",
                    exc.strerror)

"""A file appears whole or not at all.

Every file the app writes for someone to take away (a workbook, a case form as a PDF, a
transfer file, a case list template, a database backup) is first written to a *partial*
file beside its target, named ``.~{target name}.{random}.partial``. Only when it is complete
is it flushed to the disk, moved over the target in one step, and the folder flushed so
that the move itself survives a power cut (where the system allows it: not on Windows).
On any failure, cancellation or interruption the partial file is removed and the target is
left exactly as it was.

A writer that is killed cannot remove its partial file, and a partial file may hold case
data in the clear. So a writer holds its partial file for as long as it writes: open, and
on POSIX systems locked with ``flock`` (on Windows a file that is open without delete
sharing cannot be removed, which protects it the same way). ``remove_leftovers`` removes
from a folder every partial file that no live writer holds; the app calls it before each
write to a folder and when it starts.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger(__name__)

ON_WINDOWS = os.name == "nt"
MODE = 0o600  # a partial file, and so the finished file, is readable by its owner only
_TOKEN_BYTES = 8
#: SQLite's own files beside a database being written (a backup): they go with their file.
_COMPANIONS = ("-journal", "-wal", "-shm")
_LEFTOVER = re.compile(r"\.~.+\.[0-9a-f]{16}\.partial(-journal|-wal|-shm)?", re.DOTALL)
_RESERVE_TRIES = 5


def partial_name(target_name: str) -> str:
    """A new partial file name for a file called ``target_name`` (the random part makes it
    unique, so two writers never share one)."""
    return f".~{target_name}.{secrets.token_hex(_TOKEN_BYTES)}.partial"


def is_partial_name(name: str) -> bool:
    """Whether ``name`` is a partial file's (or one of SQLite's files beside it)."""
    return _LEFTOVER.fullmatch(name) is not None


class Partial:
    """A file being written beside ``target``, held by its writer until it is committed
    (moved over the target) or discarded (removed). Used as a context manager, it is
    discarded on leaving unless it was committed."""

    def __init__(self, path: Path, target: Path, handle: BinaryIO):
        self.path = path
        self.target = target
        self.committed = False
        self._handle: BinaryIO | None = handle

    @property
    def file(self) -> BinaryIO:
        """The partial file open for writing, for writers that write to a stream (writers
        that take a file name write to ``path`` instead)."""
        if self._handle is None:
            raise ValueError(f"{self.path} is no longer held by its writer.")
        return self._handle

    def release(self) -> None:
        """Stop holding the file, leaving it where it is: from now on ``remove_leftovers``
        may remove it, unless another open file holds it."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # closing releases the lock too

    def commit(self, *, new_only: bool = False) -> None:
        """Flush the file to the disk and move it over the target in one step, then flush
        the folder. Raises ``OSError`` if any step fails (the target is then untouched).
        ``new_only``: the target must not exist yet (``FileExistsError`` if it does, even if
        another writer made it a moment ago)."""
        handle = self.file
        handle.flush()
        os.fsync(handle.fileno())
        if not same_file(handle.fileno(), self.path):
            raise FileNotFoundError(errno.ENOENT, "the file being written was removed before "
                                    "it was complete", str(self.path))
        if ON_WINDOWS:
            self.release()  # Windows cannot move a file that is open
        if new_only:
            os.link(self.path, self.target)  # made in one step, and only if it is not there
            self.committed = True
            _unlink(str(self.path))
        else:
            os.replace(self.path, self.target)
            self.committed = True
        self.release()
        _sync_folder(self.target.parent)

    def discard(self) -> None:
        """Remove the partial file (and SQLite's files beside it). Never raises: a file that
        cannot be removed now is removed by a later ``remove_leftovers``."""
        self.release()  # first: Windows cannot remove a file that is open
        for path in (self.path, *(Path(f"{self.path}{end}") for end in _COMPANIONS)):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("a partial file could not be removed (%s); it will be removed "
                            "later", exc.strerror or type(exc).__name__)

    def __enter__(self) -> Partial:
        return self

    def __exit__(self, *_exc) -> None:
        if not self.committed:
            self.discard()


def reserve_partial(target: Path, *, lock: bool = True) -> Partial:
    """Create a new, empty partial file beside ``target`` (mode 0o600) and hold it.

    ``lock`` False leaves it unlocked (only open) on POSIX systems: for a file that SQLite
    writes, which takes its own locks on it, and ``flock`` and SQLite's locks conflict on
    some systems (macOS, network file systems). Such a file is not protected from
    ``remove_leftovers`` while it is written; if it is removed, ``commit`` refuses it.
    Raises ``OSError`` if it cannot be created.
    """
    target = Path(target)
    for _ in range(_RESERVE_TRIES):
        path = target.with_name(partial_name(target.name))
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     MODE)
        try:
            handle = open(fd, "r+b")  # noqa: SIM115 (held until commit or discard)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        try:
            if (not lock or hold(fd)) and same_file(fd, path):
                return Partial(path, target, handle)
        except BaseException:
            handle.close()
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        # A cleanup took it in the instant between creating and locking: use another name.
        handle.close()
    raise FileExistsError(errno.EEXIST, "no partial file could be reserved", str(target))


@contextlib.contextmanager
def atomic_write(target: Path, *, lock: bool = True) -> Iterator[Partial]:
    """Write ``target`` whole or not at all: leftovers in its folder are removed, a partial
    file is reserved and given to the block, and committed when the block ends (unless the
    block committed it itself, to tell a target that cannot be replaced from other
    failures); on any exception (``KeyboardInterrupt`` included) it is discarded and the
    exception goes on. ``OSError`` from reserving or committing is the caller's to explain."""
    remove_leftovers(Path(target).parent)
    with reserve_partial(target, lock=lock) as partial:
        yield partial
        if not partial.committed:
            partial.commit()


def remove_leftovers(folder: Path) -> int:
    """Remove from ``folder`` every partial file that no live writer holds, with SQLite's
    files beside it; returns how many files were removed. Never raises: a folder that
    cannot be read, or a file that cannot be removed, is passed over."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    kept: set[str] = set()
    companions: list[tuple[str, str]] = []
    removed = 0
    for name in names:
        match = _LEFTOVER.fullmatch(name)
        if match is None:
            continue
        if match.group(1):
            companions.append((name, name[: -len(match.group(1))]))
        elif remove_if_abandoned(os.path.join(folder, name)):
            removed += 1
        else:
            kept.add(name)
    for name, owner in companions:
        if owner not in kept and _unlink(os.path.join(folder, name)):
            removed += 1
    return removed


def remove_if_abandoned(path: str) -> bool:
    """Remove the file at ``path`` unless a live process holds it (``hold``); whether it was
    removed."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
    except OSError:
        return False
    if fcntl is None:
        return _unlink(path)  # Windows refuses to remove a file its writer holds open
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held by a writer still at work (or the lock cannot be known)
        return same_file(fd, path) and _unlink(path)
    finally:
        os.close(fd)


def hold(fd: int, *, strict: bool = False) -> bool:
    """Lock a fresh file its writer holds (a partial file, a mark that a database is open);
    False if a cleanup holds it (it is about to remove it), or, ``strict``, if the file
    system cannot lock files at all (some network shares). Windows needs no lock: a file
    open without delete sharing cannot be removed."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        # A file system without flock (some network shares): the file is still held open.
        log.debug("a file could not be locked: %s", exc.strerror)
        return not strict
    return True


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError:
        return False  # in use (Windows) or not ours to remove
    return True


def same_file(fd: int, path: Path | str) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    if ON_WINDOWS:
        return True  # nothing can remove or rename a file there while it is open
    try:
        held, named = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entries, so a file moved into it stays moved after a power cut.
    Not on Windows (a folder cannot be opened for it there), and passed over where the file
    system cannot (some network shares): the file is in place either way."""
    if ON_WINDOWS:
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

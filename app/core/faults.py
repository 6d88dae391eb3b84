"""Faults the computer causes, named as what they are, with advice that keeps the work safe.

A full disk, a read-only disk or folder, a file another program holds, a folder this account
may not write to, a disk that has gone (a memory stick or network drive) and a failing disk
each get their own words: what happened, and what to do that loses nothing. None of them is
ever told as a wrong passphrase or a damaged file, and none is answered with "start a new
database", which would leave unsynced work behind.

``os_fault`` reads an ``OSError``; ``sqlite_fault`` reads SQLite's error name (SQLite says
only "disk I/O error" when the disk fills under its journal, so the free space left decides
between a full disk and a failing one).
"""

from __future__ import annotations

import errno
import os
import shutil
from enum import StrEnum
from pathlib import Path

#: less free space than this, and a write that failed failed because the disk is full
LOW_SPACE_BYTES = 1024 * 1024
#: Windows' codes for a file another program holds open (sharing and lock violations)
_WINDOWS_IN_USE = {32, 33}


class Fault(StrEnum):
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    IN_USE = "in_use"
    NO_ACCESS = "no_access"
    GONE = "gone"
    DISK_ERROR = "disk_error"


def os_fault(exc: BaseException, where: Path | None = None) -> Fault | None:
    """What an ``OSError`` means for the person, or None when it is none of these.
    ``where`` is the file or folder being written, to look at its disk's free space."""
    if not isinstance(exc, OSError):
        return None
    if getattr(exc, "winerror", None) in _WINDOWS_IN_USE:
        return Fault.IN_USE
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return Fault.DISK_FULL
    if code == errno.EROFS:
        return Fault.READ_ONLY
    if code in (errno.EBUSY, errno.ETXTBSY):
        return Fault.IN_USE
    if code in (errno.EACCES, errno.EPERM):
        return Fault.NO_ACCESS
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.ESTALE):
        return Fault.GONE
    if code == errno.EIO:
        return Fault.DISK_FULL if where is not None and low_on_space(where) else \
            Fault.DISK_ERROR
    return None


def sqlite_fault(error_name: str | None, where: Path) -> Fault | None:
    """What SQLite's error (``SQLITE_FULL``, ``SQLITE_BUSY``…) means for the person, or None
    when it is none of these (a damaged file or a wrong key is told by whoever opens it)."""
    name = error_name or ""
    if name.startswith("SQLITE_FULL"):
        return Fault.DISK_FULL
    if name.startswith("SQLITE_READONLY"):
        return Fault.READ_ONLY
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return Fault.IN_USE
    if name.startswith("SQLITE_PERM") or name == "SQLITE_AUTH":
        return Fault.NO_ACCESS
    if name.startswith("SQLITE_CANTOPEN"):  # the file, its journal or its index of it
        return folder_fault(where.parent)
    if name.startswith("SQLITE_IOERR"):
        return Fault.DISK_FULL if low_on_space(where) else Fault.DISK_ERROR
    return None


def folder_fault(folder: Path) -> Fault:
    """Why a file cannot be made or opened in ``folder``."""
    if not folder.is_dir():
        return Fault.GONE
    read_only = getattr(os, "ST_RDONLY", None)
    try:
        if read_only is not None and os.statvfs(folder).f_flag & read_only:
            return Fault.READ_ONLY
    except (OSError, AttributeError):
        pass
    return Fault.NO_ACCESS


def low_on_space(where: Path) -> bool:
    """Whether the disk holding ``where`` (a file or folder, which need not exist yet) has
    less than ``LOW_SPACE_BYTES`` free."""
    for folder in (where, *where.parents):
        if folder.is_dir():
            try:
                return shutil.disk_usage(folder).free < LOW_SPACE_BYTES
            except OSError:
                return False
    return False


def fault_words(fault: Fault, name: str, retry: str = "try again") -> tuple[str, str]:
    """(what happened, what to do) for a fault met on the file or folder ``name``; ``retry``
    is the move to make once it is put right ("export again")."""
    return {
        Fault.DISK_FULL: (
            f"the disk holding {name} is full",
            f"Free some space on that disk (empty the Recycle Bin, move large files off it), "
            f"then {retry}."),
        Fault.READ_ONLY: (
            f"{name} is on a disk or in a folder that is read-only",
            f"Ask your IT team why that disk is read-only, or use a folder you may write to, "
            f"then {retry}."),
        Fault.IN_USE: (
            f"another program is using {name}",
            f"Close the other program using it (another ASPIRE Casework window, a backup or "
            f"virus scan, Excel or a PDF reader), then {retry}."),
        Fault.NO_ACCESS: (
            f"this account may not write to {name}",
            f"Use a folder of your own (for example Documents), or ask your IT team for "
            f"access, then {retry}."),
        Fault.GONE: (
            f"{name} or the disk holding it is no longer there",
            f"If it is on a memory stick or a network drive, connect it again, then {retry}."),
        Fault.DISK_ERROR: (
            f"the disk holding {name} reported an error",
            f"The disk may be failing. {retry.capitalize()} once; if it fails again, do not "
            "switch the laptop off: sync (or write a transfer file) as soon as you can and "
            "ask your IT team to check the disk."),
    }[fault]


def unwritable_folder(what: str, path: Path, retry: str) -> tuple[str, str]:
    """(problem, advice) for a file ``what`` that cannot be saved in ``path``'s folder, found
    before anything is written: a read-only disk, or a folder this account may not use."""
    if folder_fault(path.parent) is Fault.READ_ONLY:
        happened, advice = fault_words(Fault.READ_ONLY, "it", retry)
        return f"{what} cannot be saved as {path}: {happened}.", advice
    return (f"{what} cannot be saved as {path}: you cannot save files in {path.parent}.",
            f"Choose another folder (for example your Documents folder) and {retry}.")


def written_fault(what: str, path: Path, exc: OSError, retry: str) -> tuple[str, str]:
    """(problem, advice) for a file ``what`` ("The workbook") that could not be written to
    ``path``; nothing of it is left behind by the writers that use this."""
    fault = os_fault(exc, path)
    if fault is None:
        return (f"{what} cannot be saved as {path} ({exc.strerror or exc}).",
                f"Choose another folder, then {retry}.")
    happened, advice = fault_words(fault, "it", retry)
    return f"{what} cannot be saved as {path}: {happened}. Nothing was saved.", advice

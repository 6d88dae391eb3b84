"""What a written file is, by its bytes, and what stops a file being saved somewhere."""

from __future__ import annotations

import enum
import hashlib
import os
from pathlib import Path


def fingerprint(path: Path) -> tuple[int, str]:
    """The file's size in bytes and the SHA-256 of its bytes (hex), read a megabyte at a
    time."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


class TargetProblem(enum.Enum):
    """Why a file cannot be saved as a path; each writer says it in its own words."""

    NO_FOLDER = "the folder does not exist"
    NOT_A_FOLDER = "the folder is a file"
    IS_A_FOLDER = "the path is a folder"
    READ_ONLY_FILE = "the file is read-only"
    READ_ONLY_FOLDER = "files cannot be saved in the folder"


def target_problem(path: Path) -> TargetProblem | None:
    """The first thing that stops a file being saved as ``path`` (or replacing the file
    there), checked before anything is written; None if nothing does."""
    folder = path.parent
    if not folder.exists():
        return TargetProblem.NO_FOLDER
    if not folder.is_dir():
        return TargetProblem.NOT_A_FOLDER
    if path.is_dir():
        return TargetProblem.IS_A_FOLDER
    if path.exists() and not _writable(path):
        return TargetProblem.READ_ONLY_FILE
    if not os.access(folder, os.W_OK | os.X_OK):
        return TargetProblem.READ_ONLY_FOLDER
    return None


def _writable(path: Path) -> bool:
    # A file with no write permission bits is read-only even to an administrator
    # (on Windows this is the read-only attribute).
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)

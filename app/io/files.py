"""What a written file is, by its bytes."""

from __future__ import annotations

import hashlib
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

"""The question frameworks on offer, and the copies pinned by inspections."""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.dto import FrameworkInfo
from app.core.framework_loader import load_frameworks, parse_framework_text
from app.core.frameworks import Framework, version_key
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import FrameworkError, NotFoundError

if TYPE_CHECKING:  # the stored copy, as the repositories hand it back
    from app.db.models import Framework as StoredFramework

FRAMEWORK_NAMESPACE = uuid.UUID("6f1c2d44-3b7e-5a10-9c4e-2f5d8e7a9b31")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def framework_info(fw: Framework, source: str) -> FrameworkInfo:
    questions = list(fw.questions())
    return FrameworkInfo(
        key=fw.id, version=fw.version, title=fw.title, programme=fw.programme,
        question_count=len(questions),
        reconstructed_count=sum(1 for q in questions if q.reconstructed), source=source,
    )


class FrameworkCatalog:
    """Frameworks shipped in ``resources/frameworks`` plus those already stored.

    Files are validated when first needed; a pinned framework is read back from the copy
    stored in the database, so a newer file never changes an existing inspection.
    """

    def __init__(self, db: Database, folder: Path):
        self._db = db
        self._folder = folder
        self._files: list[Framework] | None = None
        self._parsed: dict[str, Framework] = {}
        self._lock = threading.Lock()

    def shipped(self) -> list[Framework]:
        if self._files is None:
            self._files = load_frameworks(self._folder)
        return self._files

    def available(self) -> list[FrameworkInfo]:
        infos = {(f.id, f.version): framework_info(f, "file") for f in self.shipped()}
        with self._db.read() as session:
            for row in repo.framework_rows(session):
                if (row.framework_key, row.version) not in infos:
                    fw = self.from_row(row)
                    infos[(fw.id, fw.version)] = framework_info(fw, "stored")
        return sorted(infos.values(), key=lambda i: (i.key, version_key(i.version)))

    def newest_version(self, key: str) -> str:
        versions = [i.version for i in self.available() if i.key == key]
        if not versions:
            raise NotFoundError(
                f"There is no question framework called '{key}'.",
                "Run 'aspire frameworks list' to see the frameworks available.",
            )
        return max(versions, key=version_key)

    def pin(self, session, key: str, version: str) -> StoredFramework:
        """The stored row for a framework version, storing the shipped file if needed."""
        row = repo.framework_row(session, key, version)
        shipped = next((f for f in self.shipped() if f.id == key and f.version == version), None)
        if row is not None:
            if shipped is not None and sha256(shipped.raw) != row.content_sha256:
                raise FrameworkError(
                    f"The file for framework '{key}' version {version} differs from the copy "
                    "already used by inspections on this laptop.",
                    "A released framework version must never change: give the edited file a "
                    "new version number.",
                )
            return row
        if shipped is None:
            raise NotFoundError(
                f"Framework '{key}' version {version} is not available.",
                "Run 'aspire frameworks list' to see the frameworks and versions available.",
            )
        digest = sha256(shipped.raw)
        return repo.add_framework(
            session,
            # the same file gets the same id on every laptop, so the central store sees one
            framework_id=uuid.uuid5(FRAMEWORK_NAMESPACE, f"{key}|{version}|{digest}"),
            key=key, version=version, title=shipped.title, programme=shipped.programme,
            content=shipped.raw, sha256=digest)

    def from_row(self, row: StoredFramework) -> Framework:
        """The parsed framework for a stored row (parsed once per content)."""
        with self._lock:
            fw = self._parsed.get(row.content_sha256)
            if fw is None:
                fw = parse_framework_text(row.content, f"{row.framework_key}-{row.version}")
                self._parsed[row.content_sha256] = fw
            return fw

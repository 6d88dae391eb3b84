"""The question frameworks on offer, and the copies pinned by inspections."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.atomic_files import atomic_write
from app.core.dto import FrameworkInfo, WorkbookImport
from app.core.framework_loader import parse_framework_text
from app.core.framework_sheets import framework_from_sheets
from app.core.frameworks import (
    Framework,
    id_problem,
    new_version_problem,
    version_key,
    version_problem,
)
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import FrameworkError, NotFoundError, ValidationError

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


#: the folder beside a database that holds the frameworks imported on this laptop for it
#: ("casework-frameworks" beside "casework.db"): each database its own
INSTALLED_FOLDER = "{stem}-frameworks"
def _version_taken(framework: Framework) -> FrameworkError:
    return FrameworkError(
        f"Version {framework.version} of the question framework '{framework.id}' is already "
        "here, with different content; a version never changes once it is offered, as "
        "inspections may be pinned to it.",
        "Give the workbook a new version (the version row of its settings sheet) and import "
        "it again.")


#: the framework a new inspection of a programme uses unless another is named (a programme
#: not here uses its only framework, when it has one)
DEFAULT_FOR = {"adult_probation": "adult-probation", "youth_offending": "youth-offending"}


class FrameworkCatalog:
    """Frameworks shipped in ``resources/frameworks``, those imported from workbooks on this
    laptop (kept as framework files in a folder beside the database), and those already
    stored.

    Files are validated when first needed; a pinned framework is read back from the copy
    stored in the database, so a newer file never changes an existing inspection.
    """

    def __init__(self, db: Database, folder: Path, installed: Path | None = None):
        self._db = db
        self._folder = folder
        self._installed = installed if installed is not None else \
            Path(db.path).parent / INSTALLED_FOLDER.format(stem=Path(db.path).stem)
        self._files: list[Framework] | None = None
        self._installed_ids: set[tuple[str, str]] = set()
        self._parsed: dict[str, Framework] = {}
        self._lock = threading.Lock()

    def shipped(self) -> list[Framework]:
        """The frameworks offered for new inspections: those shipped, then those imported
        on this laptop."""
        if self._files is None:
            from app.io.framework_workbook import load_framework_folder  # with openpyxl

            files = load_framework_folder(self._folder)
            installed = load_framework_folder(self._installed) \
                if self._installed.is_dir() else []
            self._installed_ids = {(f.id, f.version) for f in installed}
            self._files = sorted([*files, *installed],
                                 key=lambda f: (f.id, version_key(f.version)))
        return self._files

    def available(self) -> list[FrameworkInfo]:
        infos = {(f.id, f.version): framework_info(
            f, "installed" if (f.id, f.version) in self._installed_ids else "file")
            for f in self.shipped()}
        with self._db.read() as session:
            for row in repo.framework_rows(session):
                if (row.framework_key, row.version) not in infos:
                    fw = self.from_row(row)
                    infos[(fw.id, fw.version)] = framework_info(fw, "stored")
        return sorted(infos.values(), key=lambda i: (i.key, version_key(i.version)))

    def default_for(self, programme: str) -> str:
        """The framework a new inspection of ``programme`` uses when none is named."""
        if programme in DEFAULT_FOR:
            return DEFAULT_FOR[programme]
        keys = sorted({i.key for i in self.available() if i.programme == programme})
        if len(keys) == 1:
            return keys[0]
        raise ValidationError(
            f"There is no default framework for {programme} inspections"
            + (f": {len(keys)} are on offer ({', '.join(keys)})." if keys else
               ", and none is on offer."),
            "Name one with --framework." if keys else
            "Import one ('aspire frameworks import'), then name it with --framework.")

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

    def import_workbook(self, path: Path, *, dry_run: bool = False) -> WorkbookImport:
        """Check a framework workbook whole and, when it has no problem and not
        ``dry_run``, install it as a new version. A version already here is never changed:
        the same framework again changes nothing; different questions under a version
        already here are refused (``FrameworkError``)."""
        from app.io.framework_workbook import read_framework_workbook

        path = Path(path)
        framework, text, problems = framework_from_sheets(read_framework_workbook(path),
                                                          path.name)
        if framework is None:
            return WorkbookImport(path.name, None, tuple(problems), dry_run=dry_run)
        info = framework_info(framework, "installed")
        existing = self._existing(framework.id, framework.version)
        if existing is not None:
            if existing != framework:
                raise _version_taken(framework)
            return WorkbookImport(path.name, info, already_here=True, dry_run=dry_run)
        said = new_version_problem(framework, [(f.key, f.version, f.programme)
                                               for f in self.available()])
        if said:
            raise FrameworkError(f"{said}.", "Correct the settings sheet and import it again.")
        if not dry_run:
            self._install(framework, text)
        return WorkbookImport(path.name, info, installed=not dry_run, dry_run=dry_run)

    def install_published(self, content: str) -> Framework | None:
        """Offer a framework version the central store publishes (its content, checked as
        any framework is): installed as it is, unless a version of that id and number is
        here already (the one here stands: a version never changes); the framework
        installed, or None."""
        framework = parse_framework_text(content, "a published framework")
        if id_problem(framework.id) or version_problem(framework.version):
            raise FrameworkError(f"The published framework '{framework.id[:60]}' has an id or "
                                 "version this laptop cannot keep.")
        if self._existing(framework.id, framework.version) is not None:
            return None
        self._install(framework, content)
        return framework

    def _existing(self, key: str, version: str) -> Framework | None:
        found = next((f for f in self.shipped() if f.id == key and f.version == version), None)
        if found is not None:
            return found
        with self._db.read() as session:
            row = repo.framework_row(session, key, version)
            return self.from_row(row) if row is not None else None

    def _install(self, framework: Framework, text: str) -> None:
        """Keep a framework version beside the database, as a file named by its id and
        version; made only if no file of that name is there (two imports at once of the
        same version: the second is refused, or finds the same framework)."""
        self._installed.mkdir(parents=True, exist_ok=True)
        target = self._installed / f"{framework.id}--{framework.version}.json"
        try:
            with atomic_write(target) as partial:
                partial.file.write(text.encode("utf-8"))
                partial.commit(new_only=True)
        except FileExistsError:
            self._files = None
            if self._existing(framework.id, framework.version) != framework:
                raise _version_taken(framework) from None
        self._files = None

    def framework(self, key: str, version: str | None = None) -> Framework:
        """A framework version on offer or stored (the newest when ``version`` is None)."""
        version = version or self.newest_version(key)
        framework = self._existing(key, version)
        if framework is None:
            raise NotFoundError(
                f"Framework '{key}' version {version} is not available.",
                "Run 'aspire frameworks list' to see the frameworks and versions available.")
        return framework

    def export_workbook(self, key: str, version: str | None, path: Path) -> Path:
        """Save a framework version (the newest when ``version`` is None) as a workbook in
        the layout it is imported from; returns the path written."""
        from app.io.framework_workbook import write_framework_workbook

        return write_framework_workbook(path, json.loads(self.framework(key, version).raw))

    @staticmethod
    def write_template(path: Path) -> Path:
        """Save the empty framework workbook an author starts from."""
        from app.io.framework_workbook import write_framework_workbook

        return write_framework_workbook(path)

    def from_row(self, row: StoredFramework) -> Framework:
        """The parsed framework for a stored row (parsed once per content)."""
        with self._lock:
            fw = self._parsed.get(row.content_sha256)
            if fw is None:
                fw = parse_framework_text(row.content, f"{row.framework_key}-{row.version}")
                self._parsed[row.content_sha256] = fw
            return fw

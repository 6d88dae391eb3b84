"""Syncing this laptop with the central store, and what the window shows about it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.export_log import ExportKind
from app.core.form import evaluate_form
from app.db import repositories as repo
from app.db.engine import Database
from app.services.cases import store_progress
from app.services.export_log import ExportLog
from app.services.frameworks import FrameworkCatalog
from app.sync.central import central_engine, needs_password, set_password
from app.sync.engine import SyncEngine, SyncReport
from app.sync.package import PackageReport, apply_package, seal_package


@dataclass(frozen=True)
class SyncStatus:
    last_sync_at: dt.datetime | None
    pending_changes: int
    open_conflicts: int


class SyncService:
    def __init__(self, db: Database, catalog: FrameworkCatalog):
        self._db = db
        self._catalog = catalog
        self._log = ExportLog(db)

    @staticmethod
    def with_password(url: str, password: str) -> str:
        """The address with the password the inspector just typed (kept in memory only)."""
        return set_password(url, password) if needs_password(url) else url

    def status(self) -> SyncStatus:
        with self._db.read() as session:
            return SyncStatus(*repo.sync_status(session))

    def sync(self, url: str, report: Callable[[str, int, int], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> SyncReport:
        """Push this laptop's changes, then pull everyone else's; then remove the cases
        released from this laptop whose last change is acknowledged, and bring back any
        that returned (the report counts both). Offline is not an error worth alarm: the
        message says so and nothing here is changed."""
        engine = central_engine(url)
        try:
            result = SyncEngine(self._db, engine).sync(report, cancelled)
        finally:
            engine.dispose()
        self._refresh_progress(result.touched_cases)
        return result

    def export_package(self, path: Path, passphrase: str) -> dict:
        """Everything not yet acknowledged, sealed into a transfer file for the office and
        recorded in the export log; returns the file's manifest."""
        sealed = seal_package(self._db, path, passphrase)
        self._log.record(kind=ExportKind.TRANSFER, path=path, sha256=sealed.sha256,
                         case_ids=sealed.case_ids, inspection_id=sealed.inspection_id)
        return sealed.manifest

    @staticmethod
    def apply_package(url: str, path: Path, passphrase: str) -> PackageReport:
        """At the office: apply a laptop's transfer file to the central store."""
        return apply_package(url, path, passphrase)

    def _refresh_progress(self, case_ids) -> None:
        """Cases changed by others: work out how far each form has got, here."""
        if not case_ids:
            return
        with self._db.write() as session:
            cases = repo.cases_by_id(session, sorted(case_ids))
            answers = repo.answer_records_for_cases(session, [row.id for row in cases])
            frameworks = {}
            for row in cases:
                if row.inspection_id not in frameworks:
                    inspection = repo.get_inspection(session, row.inspection_id)
                    frameworks[row.inspection_id] = self._catalog.from_row(
                        inspection.framework)
                store_progress(session, row.id, evaluate_form(
                    frameworks[row.inspection_id], repo.profile_of(row).as_dict(),
                    answers.get(row.id, {})))

"""Syncing this laptop with the central store, and what the window shows about it."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.export_log import ExportKind
from app.core.form import evaluate_form
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import FrameworkError, ValidationError
from app.services.export_log import ExportLog
from app.services.frameworks import FrameworkCatalog

if TYPE_CHECKING:  # the sync layer is loaded when first used, not as the window starts
    from app.sync.client import ServiceLink
    from app.sync.engine import SyncReport
    from app.sync.package import PackageReport

log = logging.getLogger(__name__)
#: how often a laptop asks the store which question frameworks it publishes: at its first
#: sync with a store after the app starts, then at most this often (seconds); they change
#: seldom, and asking costs a sync with nothing else to do more than it does itself
FRAMEWORK_CHECK_S = 15 * 60


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
        #: the central service's sessions, by address, reused by syncs soon after each other
        self._links: dict[str, ServiceLink] = {}
        #: when the published question frameworks were last asked for, by address
        self._frameworks_checked: dict[str, float] = {}

    @staticmethod
    def with_password(url: str, password: str) -> str:
        """The address with the password the inspector just typed (kept in memory only)."""
        from app.sync.central import needs_password, set_password

        return set_password(url, password) if needs_password(url) else url

    def status(self) -> SyncStatus:
        with self._db.read() as session:
            return SyncStatus(*repo.sync_status(session))

    @staticmethod
    def check_address(address: str) -> str:
        """The central service's address, checked (https://HOST[:PORT]); a ValidationError
        saying what is wrong otherwise."""
        from app.sync.client import check_address, is_service_address

        if not is_service_address(address):
            raise ValidationError(
                "Laptops sync with the central service, not with its database.",
                "Give the service's address, for example https://aspire.example.org.")
        check_address(address)
        return address.strip()

    def sync(self, address: str, password: str,
             report: Callable[[str, int, int], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> SyncReport:
        """Sign in to the central service at ``address`` as this laptop's person, push this
        laptop's changes, then pull everyone else's; then remove the cases released from
        this laptop whose last change is acknowledged, and bring back any that returned
        (the report counts both). Offline is not an error worth alarm: the message says
        so and nothing here is changed."""
        from app.sync.central import CentralError
        from app.sync.engine import SyncEngine

        with self._signed_in(address, password) as link:
            result = SyncEngine(self._db, link).sync(report, cancelled)
            checked = self._frameworks_checked.get(address)
            if checked is None or time.monotonic() - checked > FRAMEWORK_CHECK_S:
                try:
                    result.frameworks_added = self._fetch_frameworks(link)
                    self._frameworks_checked[address] = time.monotonic()
                except CentralError as exc:  # the work synced; frameworks at the next sync
                    log.warning("the published frameworks could not be fetched: %s",
                                exc.problem)
        self._refresh_progress(result.touched_cases)
        return result

    def _fetch_frameworks(self, link) -> list[str]:
        """Install the framework versions published at the store that this laptop does not
        offer yet; returns them as "id version"."""
        added = []
        for item in link.published_frameworks():
            key, version, sha = (item.get(name) for name in ("id", "version", "sha256"))
            if not all(isinstance(v, str) for v in (key, version, sha)):
                continue
            if any((f.key, f.version) == (key, version) for f in self._catalog.available()):
                continue
            try:
                framework = self._catalog.install_published(link.published_framework(sha))
            except FrameworkError as exc:  # the store's check differs from this laptop's
                log.warning("a published framework could not be offered: %s", exc.problem)
                continue
            if framework is not None:
                added.append(f"{framework.id} {framework.version}")
        return added

    @contextlib.contextmanager
    def _signed_in(self, address: str, password: str) -> Iterator[ServiceLink]:
        """A session with the central service at ``address`` as this laptop's person: the
        one a sync just before opened, if the password is the same."""
        from app.sync.client import ServiceLink

        address = self.check_address(address)
        link = self._links.get(address)
        if link is None:
            link = self._links[address] = ServiceLink(address, self._db.user, password,
                                                      self._device_signature())
        link.resume(password)
        try:
            yield link.open()
        except BaseException:
            self._links.pop(address, None)
            link.close()  # after a failure the next request starts afresh
            raise
        finally:
            link.rest()

    def close(self) -> None:
        """Sign out of the central service (the app is closing)."""
        for link in self._links.values():
            link.close()
        self._links.clear()

    def change_password(self, address: str, current: str, new: str) -> None:
        """This laptop's person changes their password at the central service (after an
        administrator's reset, for one)."""
        from app.sync.client import ServiceLink

        link = ServiceLink(self.check_address(address), self._db.user, current,
                           self._device_signature())
        try:
            link.change_password(new)
        finally:
            link.close()

    def _device_signature(self):
        """How this laptop proves which device it is (a database without encryption, which
        the app never makes, has no device key to prove it with)."""
        from app.db.device_key import device_key

        return device_key(self._db).sign_in if self._db.key is not None else None

    def export_package(self, path: Path, passphrase: str, *,
                       enrolment_code: str | None = None) -> dict:
        """Everything not yet acknowledged, sealed into a transfer file for the office,
        signed with this laptop's device key and recorded in the export log; returns the
        file's manifest. ``enrolment_code``: the one an administrator gave, for a laptop
        that has never synced."""
        from app.sync.package import seal_package

        self._log.note_folder(path)
        sealed = seal_package(self._db, path, passphrase, enrolment_code=enrolment_code)
        self._log.record(kind=ExportKind.TRANSFER, path=path, sha256=sealed.sha256,
                         case_ids=sealed.case_ids, inspection_id=sealed.inspection_id)
        return sealed.manifest

    @staticmethod
    def passphrase_problem(passphrase: str, user: str) -> ValidationError | None:
        """Why a transfer file's passphrase is too weak, or None (checked before sealing)."""
        from app.sync.package import passphrase_problem

        return passphrase_problem(passphrase, [user])

    def apply_package(self, address: str, password: str, path: Path,
                      passphrase: str) -> PackageReport:
        """At the office: open a laptop's transfer file here with its passphrase and bring
        it to the central service at ``address``, which applies it as the person who made
        it (this laptop's person must be that person or an administrator)."""
        from app.sync.package import open_package, package_report

        opened = open_package(path, passphrase)
        with self._signed_in(address, password) as link:
            answer = link.apply_transfer(opened.content_bytes())
        return package_report(str(path), answer)

    @staticmethod
    def apply_package_at(url: str, path: Path, passphrase: str) -> PackageReport:
        """An administrator where the central database is reachable: apply a transfer file
        with the same checks as the service."""
        from app.sync.transfers import apply_package_at

        return apply_package_at(url, path, passphrase)

    def _refresh_progress(self, case_ids) -> None:
        """Cases changed by others: work out how far each form has got, here."""
        if not case_ids:
            return
        with self._db.write() as session:
            cases = repo.cases_by_id(session, sorted(case_ids))
            answers = repo.answer_values_for_cases(session, [row.id for row in cases])
            frameworks = {}
            progress = {}
            for row in cases:
                if row.inspection_id not in frameworks:
                    inspection = repo.get_inspection(session, row.inspection_id)
                    frameworks[row.inspection_id] = self._catalog.from_row(
                        inspection.framework)
                state = evaluate_form(frameworks[row.inspection_id],
                                      repo.profile_of(row).as_dict(), answers.get(row.id, {}))
                progress[row.id] = (state.applicable_count, state.answered_count,
                                    len(state.problems()), state.percent)
            repo.set_progress_of_cases(session, progress)

"""What the Tools menu does: sync with the central store, the central password, transfer
files, conflicts to resolve, and this laptop's own database (check, back up).

The window holds the menus and screens; this holds only the services these need (sync,
conflicts, the database), asks the person what it must through dialogs over the window, runs
the work in the background, and announces what it changed (``Changes``) rather than
refreshing screens itself. The sync status in the status bar is its own too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
)

from app.errors import UserFacingError
from app.ui.changes import Change, Changes
from app.ui.dialogs.conflicts_dialog import ConflictsDialog
from app.ui.dialogs.export_dialog import show_exported
from app.ui.errors import show_error
from app.ui.modal import run_modal
from app.ui.tasks import TaskManager
from app.ui.widgets.actions import make_action

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.conflicts import ConflictService
    from app.services.database import DatabaseService
    from app.services.sync import SyncService

#: how often the status bar's "last sync · waiting" is read again (ms)
STATUS_EVERY_MS = 15_000


class StoreActions(QObject):
    """The Tools menu's actions over ``window``; ``attach`` arms them over an open
    database."""

    def __init__(self, window: QMainWindow, tasks: TaskManager, changes: Changes):
        super().__init__(window)
        self._window, self._tasks, self._changes = window, tasks, changes
        self._sync: SyncService | None = None
        self._conflicts: ConflictService | None = None
        self._database: DatabaseService | None = None
        self._user = ""
        self._save_typing: Callable[[], None] = lambda: None
        self._cases_removed: Callable[[], None] = lambda: None
        self.status_label = QLabel()
        self.status_label.setAccessibleName(self.tr("Sync status"))
        self._status_timer = QTimer(self, interval=STATUS_EVERY_MS)
        self._status_timer.timeout.connect(self.show_sync_status)

        def action(text: str, slot, shortcut: str | None = None) -> QAction:
            made = make_action(window, text, slot, shortcut)
            made.setEnabled(False)  # until ``attach``
            return made

        self.sync_action = action(self.tr("&Sync with the central store"), self.sync_now,
                                  "Ctrl+Shift+Y")
        self.conflicts_action = action(self.tr("Resolve &conflicts…"), self.open_conflicts)
        self.password_action = action(self.tr("Change central &password…"),
                                      self.change_password)
        self.package_action = action(self.tr("Export &transfer file…"), self.export_package)
        self.apply_package_action = action(
            self.tr("&Apply a transfer file to the central store…"), self.apply_package)
        self.check_action = action(self.tr("&Check database"), self.check_database)
        self.backup_action = action(self.tr("&Back up database…"), self.backup_database)
        #: in the Tools menu, in this order (a separator after the transfer files)
        self.store_actions = (self.sync_action, self.conflicts_action, self.password_action,
                              self.package_action, self.apply_package_action)
        self.database_actions = (self.check_action, self.backup_action)

    def attach(self, sync: SyncService, conflicts: ConflictService,
               database: DatabaseService, user: str, *, save_typing: Callable[[], None],
               cases_removed: Callable[[], None]) -> None:
        """Arm the actions over an open database, for ``user``. ``save_typing`` saves the
        typing in progress before work that sends or seals it; ``cases_removed`` is told
        when a sync took cases off this laptop (the one shown may be among them)."""
        self._sync, self._conflicts, self._database, self._user = (sync, conflicts, database,
                                                                   user)
        self._save_typing, self._cases_removed = save_typing, cases_removed
        self._changes.changed.connect(self._on_changed)
        self._window.statusBar().addPermanentWidget(self.status_label)
        for made in (*self.store_actions, *self.database_actions):
            made.setEnabled(True)
        self._status_timer.start()
        self.show_sync_status()

    def show_sync_status(self) -> None:
        status = self._sync.status()
        last = (status.last_sync_at.astimezone().strftime("%d/%m %H:%M")
                if status.last_sync_at else self.tr("never"))
        text = self.tr("Last sync: {last} · {n} change(s) waiting").format(
            last=last, n=status.pending_changes)
        if status.open_conflicts:
            text += self.tr(" · {n} conflict(s) to resolve").format(n=status.open_conflicts)
        self.status_label.setText(text)

    def _service_address(self, title: str) -> str | None:
        """The central service's address, asked (the one used last offered), checked and
        remembered; None if the person cancels or it is not an address."""
        settings = QSettings()
        url = settings.value("central/url", "") or os.environ.get("ASPIRE_CENTRAL", "")
        url, ok = QInputDialog.getText(self._window, title, self.tr(
            "Address of the central service (https://host):"), text=url)
        if not ok or not url.strip():
            return None
        try:
            address = self._sync.check_address(url)
        except UserFacingError as exc:
            show_error(self._window, exc)
            return None
        settings.setValue("central/url", address)  # the address only, never a password
        return address

    def sync_now(self) -> None:
        address = self._service_address(self.tr("Sync"))
        if address is None:
            return
        password, ok = QInputDialog.getText(self._window, self.tr("Sync"), self.tr(
            "Your central store password (it is not stored):"), QLineEdit.EchoMode.Password)
        if not ok:
            return
        self._save_typing()
        self._tasks.run_with_progress(
            self._window, self.tr("Sync"), self.tr("Sending and receiving changes…"),
            lambda report, cancelled: self._sync.sync(
                address, password, report=lambda _stage, done, total: report(done, total),
                cancelled=cancelled),
            self._synced, on_error=self._sync_failed)

    def _synced(self, result) -> None:
        message = self.tr("Synced: sent {sent}, received {received}.").format(
            sent=result.applied, received=result.pulled)
        if result.cases_removed:
            message += self.tr(" {n} case(s) reassigned or closed were removed from this "
                               "laptop.").format(n=result.cases_removed)
        if result.cases_restored:
            message += self.tr(" {n} case(s) came back.").format(n=result.cases_restored)
        if result.catch_up_pending:
            message += self.tr(" {n} inspection(s) you have joined could not be fetched whole "
                               "yet; the next sync tries again.").format(
                n=result.catch_up_pending)
        if result.set_aside:
            message += self.tr(" {n} change(s) received could not be applied here and were "
                               "set aside.").format(n=result.set_aside)
        if result.cases_joined:
            message += self.tr(" {n} case(s) of inspections you have joined came to this "
                               "laptop.").format(n=result.cases_joined)
        if result.frameworks_added:
            message += self.tr(" New question frameworks offered: {names}.").format(
                names=", ".join(result.frameworks_added))
        self._window.statusBar().showMessage(message, 15000)
        if result.cases_removed:
            self._cases_removed()  # the case shown may be one of them
        # a sync may bring inspections joined, cases, and review moves made elsewhere
        self._changes.announce(Change.SYNC, Change.INSPECTIONS, Change.CASES, Change.REVIEW)
        if result.conflicts or result.pulled_conflicts or result.refused or result.set_aside:
            self.open_conflicts()

    def _on_changed(self, what: frozenset) -> None:
        if Change.SYNC in what:
            self.show_sync_status()

    def _sync_failed(self, exc: BaseException) -> None:
        """Offline is the normal state of a laptop: say so quietly and carry on."""
        if isinstance(exc, UserFacingError):
            self._window.statusBar().showMessage(exc.problem, 20000)
            self.show_sync_status()
        else:
            show_error(self._window, exc, self.tr("Sync"))

    def change_password(self) -> None:
        """The person's own password at the central service (after an administrator's
        reset, say)."""
        title = self.tr("Change central password")
        address = self._service_address(title)
        current = self._secret(title, self.tr("Your current password:")) if address else None
        new = self._secret(title, self.tr("Your new password (at least 12 characters):")) \
            if current is not None else None
        again = self._secret(title, self.tr("The new password again:")) \
            if new is not None else None
        if again is None:
            return
        if again != new:
            show_error(self._window, UserFacingError("The two new passwords differ.",
                                             "Type the same new password twice."), title)
            return
        self._tasks.run_with_progress(
            self._window, title, self.tr("Changing your password…"),
            lambda _report, _cancelled: self._sync.change_password(
                address, current, new),
            lambda _done: self._window.statusBar().showMessage(self.tr(
                "Your central password is changed; use it from now on."), 15000),
            cancellable=False)

    def _secret(self, title: str, prompt: str) -> str | None:
        text, ok = QInputDialog.getText(self._window, title, prompt, QLineEdit.EchoMode.Password)
        return text if ok else None

    def export_package(self) -> None:
        """For a laptop that never reaches the network: everything not yet sent, sealed."""
        path, _ = QFileDialog.getSaveFileName(
            self._window, self.tr("Export transfer file"), str(Path.home() / "casework.aspire"),
            self.tr("Transfer file (*.aspire)"))
        if not path:
            return
        title = self.tr("Export transfer file")
        first = self._secret(title, self.tr("Passphrase (give it to the office separately):"))
        if first is None:
            return
        weak = self._sync.passphrase_problem(first, self._user)
        if weak is not None:
            show_error(self._window, weak, title)
            return
        if self._secret(title, self.tr("The passphrase again:")) != first:
            self._window.statusBar().showMessage(self.tr("The two passphrases differ; nothing was "
                                                 "written."), 15000)
            return
        code = None
        if self._sync.status().last_sync_at is None:
            code, ok = QInputDialog.getText(self._window, title, self.tr(
                "This laptop has never synced. Enrolment code from your administrator "
                "(leave empty if you have none):"))
            if not ok:
                return
            code = code.strip() or None
        self._save_typing()

        def sealed(manifest: dict) -> None:
            done = self.tr("Sealed {n} change(s) into {path}. They stay here too until the "
                           "central store acknowledges them.").format(n=manifest["changes"],
                                                                      path=path)
            self._window.statusBar().showMessage(done, 20000)
            show_exported(self._window, title, done)

        self._tasks.run_with_progress(
            self._window, title, self.tr("Sealing {name}…").format(name=Path(path).name),
            lambda _report, _cancelled: self._sync.export_package(
                Path(path), first, enrolment_code=code),
            sealed, cancellable=False)

    def apply_package(self) -> None:
        """At the office: bring a laptop's transfer file to the central service, which
        applies it as the person who made it (their own, or any as an administrator)."""
        title = self.tr("Apply a transfer file")
        path, _ = QFileDialog.getOpenFileName(self._window, title, str(Path.home()),
                                              self.tr("Transfer file (*.aspire)"))
        if not path:
            return
        passphrase = self._secret(title, self.tr("Passphrase of the transfer file:"))
        address = self._service_address(title) if passphrase is not None else None
        password = self._secret(title, self.tr(
            "Your central store password (it is not stored):")) if address else None
        if password is None:
            return

        def applied(report) -> None:
            if report.changes and report.applied_before == report.changes:
                done = self.tr("Nothing new was applied: all {n} change(s) in the file from "
                               "{person} were applied before.").format(
                    n=report.changes, person=report.person)
            else:
                done = self.tr(
                    "Applied {applied} of {n} change(s) from {person}; {conflicts} "
                    "conflict(s), {refused} refused.").format(
                    applied=report.applied, n=report.changes, person=report.person,
                    conflicts=report.conflicts, refused=report.refused)
                if report.applied_before:
                    done += " " + self.tr("{before} more were applied before.").format(
                        before=report.applied_before)
            self._window.statusBar().showMessage(done, 20000)
            if report.refusals:
                QMessageBox.information(self._window, title, done + "\n\n" + "\n".join(
                    report.refusals))

        self._tasks.run_with_progress(
            self._window, title, self.tr("Applying {name}…").format(name=Path(path).name),
            lambda _report, _cancelled: self._sync.apply_package(
                address, password, Path(path), passphrase),
            applied, cancellable=False)

    def open_conflicts(self) -> None:
        run_modal(ConflictsDialog(self._conflicts, self._window))
        self._changes.announce(Change.SYNC, Change.CASES)

    def check_database(self) -> None:
        def done(report) -> None:
            counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
            QMessageBox.information(
                self._window, self.tr("Database check"),
                self.tr("The database passed its integrity check.\n\n{counts}\n{pending} "
                        "changes are waiting to be synced.").format(
                    counts=counts, pending=report.pending_changes)
                if report.ok else
                self.tr("The database has problems: {problem}. Make a backup and ask your "
                        "administrator for help.").format(problem=report.integrity))
        self._background(self._database.check, done, self.tr("Database check"))

    def backup_database(self) -> None:
        default = str(Path.home() / f"{self._database.path.stem}-backup.db")
        path, _ = QFileDialog.getSaveFileName(self._window, self.tr("Back up database"), default,
                                              self.tr("Database (*.db)"))
        if not path:
            return
        database = self._database
        self._background(lambda: database.backup(Path(path), overwrite=True),
                         lambda target: self._window.statusBar().showMessage(
                             self.tr("Backed up to {path}").format(path=target), 10000),
                         self.tr("Back up database"))

    def _background(self, function, on_done, title: str) -> None:
        """Database work behind the status bar's "Working…"."""
        self._window.statusBar().showMessage(self.tr("Working…"))

        def finish(result) -> None:
            self._window.statusBar().clearMessage()
            on_done(result)

        def fail(exc) -> None:
            self._window.statusBar().clearMessage()
            show_error(self._window, exc, title)

        self._tasks.run(function, finish, owner=self._window, title=title, on_error=fail)

"""Starting the window: open the database, build the services, show the main window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from app import __version__
from app.config import APP_AUTHOR, APP_NAME, Settings
from app.errors import (
    DatabaseError,
    KeyNeededError,
    UserFacingError,
    ValidationError,
    WrongKeyError,
)
from app.ui.dialogs.passphrase_dialog import PassphraseDialog
from app.ui.errors import install_excepthook, show_error
from app.ui.main_window import MainWindow
from app.ui.workers import run_job

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.registry import Services

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    return app


def lock_database(settings: Settings) -> QLockFile:
    """One window per database: a second copy would fight over the same answers."""
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(settings.db_path) + ".lock")
    lock.setStaleLockTime(0)
    if not lock.tryLock(100):
        raise DatabaseError(
            f"The database {settings.db_path.name} is already open in another ASPIRE "
            "Casework window.",
            "Switch to that window, or close it and start again.",
        )
    return lock


def run_window(settings: Settings,
               open_services: Callable[[Settings, str | None], Services]) -> int:
    """Show the main window at once and open the database behind it; returns the exit code.

    Opening (loading the storage layer, checking the file, migrating) runs on a worker
    thread, so the window appears without waiting for it. Where no keyring holds the
    database's key, the passphrase is asked for first, and again if it is wrong.
    """
    app = make_application()
    window = MainWindow()
    install_excepthook(lambda: window)
    window.show()
    outcome = {"code": 0}
    jobs = []
    try:
        lock = lock_database(settings)
    except (UserFacingError, OSError) as exc:
        return _cannot_start(window, exc)

    def start(passphrase: str | None, new: bool = False) -> None:
        def open_in_background() -> Services:
            services = open_services(settings, passphrase)
            outcome["services"] = services  # kept even if the window has closed meanwhile
            return services

        def failed(exc: BaseException) -> None:
            asked = passphrase is not None
            if isinstance(exc, KeyNeededError) or (
                    asked and isinstance(exc, (WrongKeyError, ValidationError))):
                again = exc.new if isinstance(exc, KeyNeededError) else new
                problem = "" if isinstance(exc, KeyNeededError) else exc.message
                # asked once this report has been handled, not inside it
                QTimer.singleShot(0, lambda: ask(again, problem))
                return
            outcome["code"] = _cannot_start(window, exc)  # closing the window ends the loop

        jobs.append(run_job(open_in_background, window.attach, failed))

    def ask(new: bool, problem: str) -> None:
        given = _ask_passphrase(window, new=new, problem=problem)
        if given is not None:
            start(given, new)
            return
        outcome["code"] = 1
        window.close()

    start(None)
    try:
        code = app.exec()
    finally:
        # closed while still opening: let the opening finish before letting go of the file
        QThreadPool.globalInstance().waitForDone()
        jobs.clear()
        if "services" in outcome:
            outcome["services"].close()
        lock.unlock()
    return outcome["code"] or code


def _ask_passphrase(window: MainWindow, *, new: bool, problem: str) -> str | None:
    dialog = PassphraseDialog(window, new=new, problem=problem)
    accepted = dialog.exec() == PassphraseDialog.DialogCode.Accepted
    value = dialog.value() if accepted else None
    dialog.deleteLater()
    return value


def _cannot_start(window: MainWindow, exc: BaseException) -> int:
    if isinstance(exc, OSError):
        exc = DatabaseError(f"The database folder cannot be used: {exc}.",
                            "Choose another database with --db.")
    show_error(window, exc, "ASPIRE Casework cannot start")
    window.close()
    return 1

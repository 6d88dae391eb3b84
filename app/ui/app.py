"""Starting the window: open the database, build the services, show the main window."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QThreadPool
from PySide6.QtWidgets import QApplication

from app import __version__
from app.config import APP_AUTHOR, APP_NAME, Settings
from app.errors import DatabaseError, UserFacingError
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


@dataclass(frozen=True)
class PassphraseChecks:
    """Asked before the database is opened, on this thread: whether a passphrase is needed
    ("new", "existing" or None) and why a given one will not do (None when it will)."""

    needed: Callable[[Path], str | None]
    problem: Callable[[Path, str, bool], str | None]


def run_window(settings: Settings,
               open_services: Callable[[Settings, str | None], Services],
               checks: PassphraseChecks | None = None) -> int:
    """Show the main window at once and open the database behind it; returns the exit code.

    Where no keyring holds the database's key, its passphrase is asked for first (and checked)
    over the window. Opening (loading the storage layer, checking the file, migrating) then
    runs on a worker thread, so the window appears without waiting for it.
    """
    app = make_application()
    window = MainWindow()
    install_excepthook(lambda: window)
    window.show()
    outcome = {"code": 0}
    try:
        lock = lock_database(settings)
        passphrase = _passphrase(window, settings, checks) if checks else None
    except (UserFacingError, OSError) as exc:
        return _cannot_start(window, exc)
    if passphrase is _CANCELLED:
        window.close()
        lock.unlock()
        return 1

    def open_in_background() -> Services:
        services = open_services(settings, passphrase)
        outcome["services"] = services  # kept even if the window has closed meanwhile
        return services

    def opened(services: Services) -> None:
        gc.enable()
        window.attach(services)

    def failed(exc: BaseException) -> None:
        gc.enable()
        outcome["code"] = _cannot_start(window, exc)  # closing the window ends the loop

    # The cyclic collector stays off while the database opens: a sweep on this thread while
    # the worker is running has crashed the process (Python objects of Qt's, the running
    # job among them, traversed meanwhile). What the dialogs left is collected first.
    gc.collect()
    gc.disable()
    job = run_job(open_in_background, opened, failed)
    try:
        code = app.exec()
    finally:
        # closed while still opening: let the opening finish before letting go of the file
        QThreadPool.globalInstance().waitForDone()
        gc.enable()
        del job
        if "services" in outcome:
            outcome["services"].close()
        lock.unlock()
    return outcome["code"] or code


_CANCELLED = object()


def _passphrase(window: MainWindow, settings: Settings, checks: PassphraseChecks):
    """The passphrase the database needs (None if the keyring holds its key), asked for until
    it will do; ``_CANCELLED`` if the person gives up."""
    needed = checks.needed(settings.db_path)
    if needed is None:
        return None
    new = needed == "new"
    dialog = PassphraseDialog(window, new=new)
    while dialog.exec() == PassphraseDialog.DialogCode.Accepted:
        problem = checks.problem(settings.db_path, dialog.value(), new)
        if problem is None:
            return dialog.value()
        dialog.show_problem(problem)
    return _CANCELLED


def _cannot_start(window: MainWindow, exc: BaseException) -> int:
    if isinstance(exc, OSError):
        exc = DatabaseError(f"The database folder cannot be used: {exc}.",
                            "Choose another database with --db.")
    show_error(window, exc, "ASPIRE Casework cannot start")
    window.close()
    return 1

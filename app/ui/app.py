"""Starting the window: open the database, build the services, show the main window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QLockFile
from PySide6.QtWidgets import QApplication

from app import __version__
from app.config import APP_AUTHOR, APP_NAME, Settings
from app.errors import DatabaseError, UserFacingError
from app.services.registry import Services
from app.ui.errors import install_excepthook, show_error
from app.ui.main_window import MainWindow

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


def run_window(settings: Settings, open_services: Callable[[Settings], Services]) -> int:
    """Show the main window on the database in ``settings``; returns the exit code."""
    app = make_application()
    try:
        lock = lock_database(settings)
        services = open_services(settings)
    except (UserFacingError, OSError) as exc:
        if isinstance(exc, OSError):
            exc = DatabaseError(f"The database folder cannot be used: {exc}.",
                                "Choose another database with --db.")
        show_error(None, exc, "ASPIRE Casework cannot start")
        return 1
    window = MainWindow(services)
    install_excepthook(lambda: window)
    window.show()
    try:
        return app.exec()
    finally:
        services.close()
        lock.unlock()

"""Every dialog of the main window, opened from its menu or button and closed again the way a
person closes it. Plain Qt (no pytest-qt), so a long session in its own process can use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog

import app.ui.main_window as main_window_module
from app.ui.main_window import MainWindow


def pump(predicate: Callable[[], bool] = lambda: False, timeout: float = 0.05) -> bool:
    """Let the window work until ``predicate()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)


def let_deletions_happen() -> None:
    """What ``deleteLater`` asked for, done now (as the event loop does between events)."""
    pump()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


#: called with each dialog the tour meets, before it is closed (a test may set it)
looking_at: list[Callable[[QDialog], None]] = []


def close_next_dialog(seen: list[str]) -> None:
    """Wait for the next dialog to be shown, note its class and close it (Escape / Close)."""
    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog) or isinstance(dialog, QProgressDialog) \
                or not dialog.isVisible():
            QTimer.singleShot(20, look)
            return
        seen.append(type(dialog).__name__)
        for inspect in looking_at:
            inspect(dialog)
        if isinstance(dialog, QMessageBox):
            dialog.accept()
        else:
            dialog.reject()

    QTimer.singleShot(20, look)


def visit(open_it: Callable[[], None], timeout: float = 30) -> str:
    """Open a dialog with ``open_it`` (which may return before it is shown) and close it."""
    seen: list[str] = []
    close_next_dialog(seen)
    open_it()
    if not pump(lambda: bool(seen), timeout):
        raise AssertionError(f"no dialog was shown by {open_it!r}")
    return seen[0]


def visit_every_dialog(window: MainWindow, case_list: Path) -> list[str]:
    """Open and close each of the window's dialogs, with an inspection and a case shown;
    ends on the case list. Returns the dialogs met, in order."""
    met: list[str] = []
    for action in (window.new_inspection_action, window.add_case_action, window.team_action,
                   window.details_action,
                   window.sample_action, window.queue_action, window.moderation_action,
                   window.store.conflicts_action, window.export_action,
                   window.export_tables_action, window.frameworks_action,
                   window.about_action):
        met.append(visit(action.trigger))
    met += _dashboard(window)
    met.append(_import(window, case_list))
    case = window.cases_page.current_case()
    window.open_case(case.id)
    page = window.form_page
    for action in (page.check_action, page.examples_action, page.pdf_action,
                   page.profile_action):
        met.append(visit(action.trigger))
    met.append(visit(page.review.history_button.click))
    page.back_action.trigger()
    let_deletions_happen()
    return met


def _dashboard(window: MainWindow) -> list[str]:
    """The dashboard, and the dialog its lead inspector records a rating in."""
    window.dashboard_action.trigger()
    dashboard = window.dashboard
    if not pump(lambda: dashboard.rated is not None, 30):
        raise AssertionError("the dashboard never showed its figures")
    for inspect in looking_at:
        inspect(dashboard)
    recording = visit(dashboard.record.click)
    dashboard.close()
    return [type(dashboard).__name__, recording]


def _import(window: MainWindow, case_list: Path) -> str:
    chosen = main_window_module.choose_case_list
    main_window_module.choose_case_list = lambda _parent: case_list
    try:
        return visit(window.import_action.trigger)
    finally:
        main_window_module.choose_case_list = chosen


def dialogs_left(window: MainWindow) -> list[str]:
    """Dialogs still alive under the window once deletions have happened."""
    let_deletions_happen()
    return [type(d).__name__ for d in window.findChildren(QDialog)]

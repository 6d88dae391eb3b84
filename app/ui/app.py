"""Starting the window: open the database, build the services, show the main window."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QLockFile, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.config import APP_AUTHOR, APP_NAME, Settings, user_log_dir
from app.errors import DatabaseError, UserFacingError
from app.ui.dialogs.passphrase_dialog import PassphraseDialog
from app.ui.errors import install_excepthook, show_error
from app.ui.main_window import MainWindow
from app.ui.modal import run_modal
from app.ui.qt_runtime import binding_problem
from app.ui.run_marker import RunMarker, unexpected_close_notice

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
               checks: PassphraseChecks | None = None, *,
               binding_check: Callable[[], str | None] = binding_problem) -> int:
    """Show the main window at once and open the database behind it; returns the exit code.

    Where no keyring holds the database's key, its passphrase is asked for first (and checked)
    over the window. Opening (loading the storage layer, checking the file, migrating) then
    runs in the window's database lane, so the window appears without waiting for it. When
    the window closes, running work is let finish, the database is closed and the window
    and everything in it are deleted here, in order, rather than left to the interpreter's
    exit.

    A Qt binding known to mishandle reference counts is refused first, with what to install
    (``binding_check``). If the last run did not end cleanly, the person is told so, and
    where its record is, before anything else.
    """
    app = make_application()
    problem = binding_check()  # before any worker thread starts, which would blur the count
    if problem is not None:
        return _refuse_binding(problem)
    marker = RunMarker.start(user_log_dir())
    window = MainWindow()
    # Logging off or shutting down with the window open: answers are saved, typing is saved
    # now, and the system ends the process without a clean close, which is no crash.
    def on_session_end(_manager) -> None:
        session_ending(window, marker)

    app.commitDataRequest.connect(on_session_end)
    previous_hook = sys.excepthook
    install_excepthook(window.tasks.run_on_main,
                       lambda: window if shiboken6.isValid(window) else None)
    window.show()
    if marker.closed_unexpectedly_before:
        _tell_of_unexpected_close(window)
    outcome: dict = {}
    lock = None
    escaped = False
    try:
        lock = lock_database(settings)

        def failed(exc: BaseException) -> None:
            outcome["code"] = _cannot_start(window, exc)  # closing the window ends the loop

        def open_with(passphrase: str | None) -> None:
            # The passphrase goes with the opening alone, which the task manager lets go of
            # once it has run: nothing here keeps it for the rest of the session.
            window.tasks.run(_opening(open_services, settings, passphrase, outcome),
                             window.attach, on_error=failed)

        def asked(needed: str | None) -> None:
            try:
                passphrase = _passphrase(window, settings, checks, needed)
            except BaseException as exc:  # a file that cannot be read to check it, say
                failed(exc)
                return
            if passphrase is _CANCELLED:
                outcome["code"] = 1
                window.close()
            else:
                open_with(passphrase)

        if checks is None:
            open_with(None)
        else:
            # whether the keyring holds the key is asked off the window's thread (a
            # keyring may take a while to answer, or wait for its own prompt), on a thread
            # nobody waits for: closing the window meanwhile is not held up by it
            _ask_off_the_window(window, lambda: checks.needed(settings.db_path), asked,
                                failed)
        code = app.exec()
        return outcome.get("code") or code
    except (UserFacingError, OSError) as exc:
        return _cannot_start(window, exc)
    except BaseException:
        escaped = True
        raise
    finally:
        window.tasks.shutdown()  # closed while still opening: the opening ends first
        if "services" in outcome:
            outcome.pop("services").close()
        if lock is not None:
            lock.unlock()
        sys.excepthook = previous_hook
        app.commitDataRequest.disconnect(on_session_end)
        _delete(window)
        # Last, so that a crash while closing is noticed at the next start too.
        if escaped:
            marker.abandon()  # not a clean end: the next start says so
        else:
            marker.finish()


def _opening(open_services: Callable[[Settings, str | None], Services], settings: Settings,
             passphrase: str | None, outcome: dict) -> Callable[[], Services]:
    def open_in_background() -> Services:
        services = open_services(settings, passphrase)
        outcome["services"] = services  # kept even if the window has closed meanwhile
        return services

    return open_in_background


def _refuse_binding(problem: str) -> int:
    log.error("refused to start: the Qt binding loses references")
    box = QMessageBox(QMessageBox.Icon.Critical, "ASPIRE Casework cannot start", problem,
                      QMessageBox.StandardButton.Ok)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()
    shiboken6.delete(box)
    return 1


def _tell_of_unexpected_close(window: MainWindow) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, window.tr("ASPIRE Casework"),
                      unexpected_close_notice(user_log_dir()), QMessageBox.StandardButton.Ok,
                      window)
    box.setObjectName("unexpected-close")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    run_modal(box)


def session_ending(window: MainWindow, marker: RunMarker) -> None:
    """The person is logging off or the computer is shutting down: save what is being typed
    and mark this run as ended cleanly, since the system may end the process at once."""
    if shiboken6.isValid(window):
        window.save_typing()
    marker.finish()


def _delete(window: MainWindow) -> None:
    """Delete the window, its screens and every dialog still waiting to be deleted, now."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if shiboken6.isValid(window):
        shiboken6.delete(window)


_CANCELLED = object()


def _ask_off_the_window(window: MainWindow, ask: Callable[[], object],
                        then: Callable[[object], None],
                        failed: Callable[[BaseException], None]) -> None:
    """``then(ask())`` (or ``failed``) on the window's thread, ``ask`` run on a thread of its
    own that nothing waits for; its answer is dropped if the window has gone."""
    def work() -> None:
        try:
            answer = ask()
        except BaseException as exc:  # told on the window's thread
            problem = exc
            deliver(lambda: failed(problem))
            return
        deliver(lambda: then(answer))

    def deliver(closure: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the window has gone: nobody waits
            window.tasks.run_on_main(closure)

    threading.Thread(target=work, name="keyring question", daemon=True).start()


def _passphrase(window: MainWindow, settings: Settings, checks: PassphraseChecks,
                needed: str | None):
    """The passphrase the database needs (None if the keyring holds its key: ``needed``
    None), asked for until it will do; ``_CANCELLED`` if the person gives up."""
    if needed is None:
        return None
    new = needed == "new"
    dialog = PassphraseDialog(window, new=new)
    try:
        while dialog.exec() == PassphraseDialog.DialogCode.Accepted:
            problem = checks.problem(settings.db_path, dialog.value(), new)
            if problem is None:
                return dialog.value()
            dialog.show_problem(problem)
        return _CANCELLED
    finally:
        dialog.forget()
        dialog.deleteLater()


def _cannot_start(window: MainWindow, exc: BaseException) -> int:
    if isinstance(exc, OSError):
        exc = DatabaseError(f"The database folder cannot be used: {exc}.",
                            "Ask your IT team to give this account a folder it may write to "
                            "(or to set ASPIRE_DB to another database).")
    show_error(window, exc, "ASPIRE Casework cannot start")
    window.close()
    return 1

"""Errors are shown in one place: a message that says what is wrong and what to do."""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.errors import UserFacingError

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, exc: BaseException, title: str = "") -> None:
    """Show a user-facing error as a message; log and show anything else as unexpected."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    if isinstance(exc, UserFacingError):
        box.setWindowTitle(title or "Cannot do that")
        box.setText(exc.problem)
        box.setInformativeText(exc.advice)
        if exc.details:
            box.setDetailedText("\n".join(exc.details))
    else:
        log.error("unexpected error", exc_info=exc)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(title or "Unexpected error")
        box.setText("Something went wrong that the app did not expect. Your saved answers "
                    "are safe.")
        box.setInformativeText("The details have been written to the log. Please report "
                               "what you were doing when this happened.")
        box.setDetailedText(getattr(exc, "details_text", "")
                            or "".join(traceback.format_exception(exc)))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()


class _ExceptionRelay(QObject):
    raised = Signal(object)


_relay: _ExceptionRelay | None = None


def install_excepthook(parent_getter) -> None:
    """Route unexpected exceptions (from any thread) to a dialog on the GUI thread."""
    global _relay
    _relay = _ExceptionRelay()
    _relay.raised.connect(lambda exc: show_error(parent_getter(), exc))

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("unhandled exception", exc_info=(exc_type, exc, tb))
        _relay.raised.emit(exc)

    sys.excepthook = hook


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question; No is the default so Enter never destroys anything."""
    answer = QMessageBox.question(
        parent, title, text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes

"""Errors are shown in one place: a message that says what is wrong and what to do."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import Qt
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
        if exc.more:
            box.setDetailedText("\n".join(exc.more))
    else:
        if not hasattr(exc, "details_text"):  # not yet logged where it happened
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
    box.deleteLater()


@dataclass
class Outcome:
    """Whether the user action in an ``operation`` block failed (and was shown)."""

    failed: bool = False
    error: UserFacingError | None = None


@contextlib.contextmanager
def operation(parent: QWidget | None, title: str = "", *,
              on_error: Callable[[UserFacingError], None] | None = None) -> Iterator[Outcome]:
    """One user action: a ``UserFacingError`` raised inside is shown the standard way (or
    handed to ``on_error``) and ends the block; the outcome says whether it did::

        with operation(self, self.tr("Team")) as done:
            team = self._services.inspections.add_member(...)
        if done.failed:
            return

    Anything else is unexpected and goes on to the excepthook, which logs and shows it.
    """
    outcome = Outcome()
    try:
        yield outcome
    except UserFacingError as exc:
        outcome.failed, outcome.error = True, exc
        if on_error is not None:
            on_error(exc)
        else:
            show_error(parent, exc, title)


def install_excepthook(run_on_main: Callable[[Callable[[], None]], None],
                       parent_getter: Callable[[], QWidget | None]) -> None:
    """Log unexpected exceptions (from any thread) and show them on the window's thread."""

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("unhandled exception", exc_info=(exc_type, exc, tb))
        exc.details_text = "".join(traceback.format_exception(exc_type, exc, tb))
        # The frames hold whatever the failing code had in hand (answers, a password):
        # kept as text for the details, let go of as objects, here and where Python keeps
        # the last error for a debugger.
        exc.__traceback__ = None
        exc.__cause__ = exc.__context__ = None
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)
        del tb
        run_on_main(lambda: show_error(parent_getter(), exc))

    sys.excepthook = hook


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question; No is the default so Enter never destroys anything."""
    answer = QMessageBox.question(
        parent, title, text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes

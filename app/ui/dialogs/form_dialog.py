"""The shape shared by the dialogs that fill in a form and save it with one button."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from app.errors import UserFacingError
from app.ui.errors import operation
from app.ui.screens import grow_to_words
from app.ui.theme import paint_text, tones

MAX_DETAILS = 8


class FormDialog(QDialog):
    """A form, a place for what went wrong, and OK (named for the action) and Cancel.

    Subclasses fill ``self.form``, then call ``add_buttons`` (so Tab meets the fields
    first), and override ``save``; a ``UserFacingError`` from it is shown in the dialog,
    which stays open so nothing typed is lost.
    """

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(self.form)

    def add_buttons(self, ok_text: str) -> None:
        self.error = QLabel()
        self.error.setWordWrap(True)
        paint_text(self.error, tones().problem)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self._layout.addWidget(self.error)
        self._layout.addWidget(buttons)

    def save(self) -> None:
        raise NotImplementedError

    def accept(self) -> None:
        with operation(self, on_error=self.show_problem) as done:
            self.save()
        if not done.failed:
            super().accept()

    def show_problem(self, exc: UserFacingError) -> None:
        lines = [exc.problem, *exc.more[:MAX_DETAILS], exc.advice]
        self.error.setText("\n".join(line for line in lines if line))
        self.error.show()
        grow_to_words(self, self.width())  # the whole message, not its first line

"""Asking for the database's passphrase at start, or for a new one on a laptop with no keyring."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.ui.screens import grow_to_words
from app.ui.theme import paint_text, tones


class PassphraseDialog(QDialog):
    """``new``: choose a passphrase (typed twice); otherwise type the existing one."""

    def __init__(self, parent: QWidget | None, *, new: bool):
        super().__init__(parent)
        self.setWindowTitle("Choose a passphrase" if new else "Unlock the database")
        self.setModal(True)
        self._new = new
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The case records on this laptop are encrypted. Choose a passphrase to protect "
            "them; it is asked for each time ASPIRE Casework starts. It cannot be recovered "
            "if it is lost (what was synced can be fetched again from the central store)."
            if new else "The case records on this laptop are encrypted. Type the "
            "database's passphrase to open them.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        form.addRow("&Passphrase:", self.passphrase)
        self.again = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("Passphrase again")
        if new:
            form.addRow("&Again:", self.again)
        layout.addLayout(form)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        paint_text(self.problem, tones().problem)
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Protect" if new else "Open")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        grow_to_words(self)

    def accept(self) -> None:
        if not self.passphrase.text():
            self._tell("Type the passphrase.")
            return
        if self._new and self.again.text() != self.passphrase.text():
            self._tell("The two entries differ. Type the same passphrase twice.")
            return
        super().accept()

    def _tell(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
        grow_to_words(self)  # taller for what it now says, so none of it is cut off

    def show_problem(self, text: str) -> None:
        """Why the passphrase given will not do; the fields are cleared for another try."""
        self._tell(text)
        self.passphrase.clear()
        self.again.clear()
        self.passphrase.setFocus()

    def value(self) -> str:
        return self.passphrase.text()

    def forget(self) -> None:
        """Clear what was typed, so that the dialog keeps no copy once it has been read."""
        self.passphrase.clear()
        self.again.clear()

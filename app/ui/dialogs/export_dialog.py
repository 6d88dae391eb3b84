"""Before and after a file with case data leaves the protected store: whether to
pseudonymise it, and that it is now outside the encrypted store."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.core.export_log import LEAVES_THE_STORE
from app.ui.screens import fitted
from app.ui.theme import paint_text, tones


def leaves_the_store() -> str:
    return QCoreApplication.translate("Exports", LEAVES_THE_STORE)


class ExportOptionsDialog(QDialog):
    """Asked before the file is chosen: the choice to pseudonymise, and what will be logged;
    with ``ratings``, also whether its ratings are provisional; with ``tables``, whether the
    tables are Parquet or CSV."""

    def __init__(self, title: str, parent: QWidget | None = None, *, ratings: bool = False,
                 tables: bool = False):
        super().__init__(parent)
        self.setWindowTitle(title)
        about = QLabel(self.tr(
            "The file will be saved outside ASPIRE Casework's encrypted store. Who exported "
            "it, when, which cases it holds and the file's fingerprint (SHA-256) are recorded "
            "in the export log, which is synced with the central store."))
        about.setWordWrap(True)
        self.pseudonymise, what = _choice(
            self.tr("&Pseudonymise"), self.tr("Pseudonymise"), self.tr(
                "For sharing beyond the inspection team: each case's reference is replaced by "
                "its pseudonym, its date of birth by an age band, and the people it names "
                "(officers, the team) by pseudonyms of their own, in free text too."))
        self.provisional: QCheckBox | None = None
        rating = []
        if ratings:
            self.provisional, provisional_what = _choice(
                self.tr("P&rovisional ratings"), self.tr("Provisional ratings"), self.tr(
                    "The Ratings sheet counts the approved case forms, as the dashboard does. "
                    "Tick this to rate every case form in the workbook as answered so far; the "
                    "workbook then says its ratings are provisional."))
            rating = [self.provisional, provisional_what]
        self.file_format: QComboBox | None = None
        shape = []
        if tables:
            self.file_format = QComboBox()
            self.file_format.addItem(self.tr("Parquet: each column keeps its type (R, Stata, "
                                             "Python)"), "parquet")
            self.file_format.addItem(self.tr("CSV: plain text, UTF-8"), "csv")
            self.file_format.setAccessibleName(self.tr("Format"))
            words = QLabel(self.tr("&Format of the tables:"))
            words.setBuddy(self.file_format)
            shape = [words, self.file_format]
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.tr("&Choose where to save…"),
                          QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (about, *shape, self.pseudonymise, what, *rating, buttons):
            layout.addWidget(widget)
        width = max(520, self.fontMetrics().averageCharWidth() * 72)  # grows with the text
        width = fitted(self, width, 1).width()  # and no wider than its window
        self.setMinimumWidth(width)
        self.resize(width, self.heightForWidth(width) if self.hasHeightForWidth()
                    else self.sizeHint().height())

    @property
    def pseudonymised(self) -> bool:
        return self.pseudonymise.isChecked()

    @property
    def chosen_format(self) -> str:
        return "xlsx" if self.file_format is None else self.file_format.currentData()

    @property
    def provisional_ratings(self) -> bool:
        return self.provisional is not None and self.provisional.isChecked()


def _choice(text: str, name: str, explained: str) -> tuple[QCheckBox, QLabel]:
    """A box to tick, and beneath it, indented and quiet, what ticking it does."""
    box = QCheckBox(text)
    box.setAccessibleName(name)
    what = QLabel(explained)
    what.setWordWrap(True)
    what.setIndent(24)
    paint_text(what, tones().quiet)
    return box, what


def show_exported(parent: QWidget, title: str, done: str) -> QMessageBox:
    """Say what was written and that it has left the protected store (without waiting)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, done, QMessageBox.StandardButton.Ok,
                      parent)
    box.setInformativeText(leaves_the_store())
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box

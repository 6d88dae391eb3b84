"""Conflicts to resolve: base, theirs and yours side by side; keep theirs, use mine, merge."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from app.core.dto import ConflictRecord
from app.ui.errors import operation
from app.ui.modal import run_modal
from app.ui.screens import fitted
from app.ui.widgets.tables import read_only_table

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.conflicts import ConflictService


def _when(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value.replace("T", " ")[:16]
    return value.astimezone().strftime("%d/%m/%Y %H:%M")


def _shown(value) -> str:
    if value is None:
        return "(no answer)"
    return {"yes": "Yes", "no": "No", "na": "Not applicable"}.get(value, str(value))


class ConflictsDialog(QDialog):
    def __init__(self, conflicts: ConflictService, parent=None):
        super().__init__(parent)
        self._conflicts = conflicts
        self.setWindowTitle(self.tr("Conflicts to resolve"))
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Conflicts"))
        self.detail = QVBoxLayout()
        self.theirs_button = QPushButton(self.tr("Keep &theirs"))
        self.mine_button = QPushButton(self.tr("Use &mine"))
        self.merge_button = QPushButton(self.tr("&Merge…"))
        self.ok_button = QPushButton(self.tr("&Acknowledge"))
        row = QHBoxLayout()
        for button in (self.theirs_button, self.mine_button, self.merge_button, self.ok_button):
            row.addWidget(button)
        self.theirs_button.clicked.connect(lambda: self._resolve("theirs"))
        self.mine_button.clicked.connect(lambda: self._resolve("yours"))
        self.merge_button.clicked.connect(self._merge)
        self.ok_button.clicked.connect(lambda: self._resolve("acknowledged"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        right = QVBoxLayout()
        right.addLayout(self.detail, 1)
        right.addLayout(row)
        right.addWidget(close)
        layout.addLayout(right, 2)
        self.list.currentItemChanged.connect(lambda item, _old: self._show(item))
        self.reload()
        self.resize(fitted(self, 980, 480))

    def reload(self) -> None:
        self.list.clear()
        for record in self._conflicts.open():
            label = (f"{record.case_reference or self.tr('No case here')} · "
                     f"{record.question_key or record.entity}"
                     + {"refused": self.tr(" (refused)"),
                        "set aside": self.tr(" (not applied here)")}.get(record.kind, ""))
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, record)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self._show(None)

    def current(self) -> ConflictRecord | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show(self, item) -> None:
        while self.detail.count():
            widget = self.detail.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        record: ConflictRecord | None = item.data(Qt.ItemDataRole.UserRole) if item else None
        for button in (self.theirs_button, self.mine_button, self.merge_button):
            button.setEnabled(record is not None and record.kind == "conflict")
        self.ok_button.setEnabled(record is not None and record.kind in ("refused",
                                                                         "set aside"))
        if record is None:
            self.detail.addWidget(QLabel(self.tr("No conflicts: everything is in step.")))
            return
        subject = html.escape(record.question_text or record.entity)
        where = record.case_reference or self.tr("No case on this laptop")
        heading = QLabel(f"<b>{html.escape(where)}</b> — {subject}")
        heading.setWordWrap(True)
        self.detail.addWidget(heading)
        if record.kind in ("refused", "set aside"):
            text = (self.tr("The central store refused this change: {why}").format(
                        why=record.detail)
                    if record.kind == "refused" else
                    self.tr("This change from {by}, received from the central store, could "
                            "not be applied on this laptop: {why}. Everything else was; it "
                            "is tried again at each sync. If it stays, tell your "
                            "administrator.").format(by=record.theirs_by or "?",
                                                     why=record.detail))
            note = QLabel(text)
            note.setTextFormat(Qt.TextFormat.PlainText)
            note.setWordWrap(True)
            self.detail.addWidget(note)
            return
        self.detail.addWidget(read_only_table(
            [self.tr("Version"), self.tr("Answer"), self.tr("Evidence"), self.tr("By"),
             self.tr("When")],
            [[self.tr("Before both changes"), _shown(record.base), "", "", ""],
             [self.tr("Theirs (kept for now)"), _shown(record.theirs), record.theirs_evidence,
              record.theirs_by, _when(record.theirs_at)],
             [self.tr("Yours"), _shown(record.yours), record.yours_evidence, record.yours_by,
              _when(record.yours_at)]], self.tr("Base, theirs and yours")))

    def _resolve(self, choice: str, **merged) -> None:
        record = self.current()
        if record is None:
            return
        with operation(self, self.tr("Resolve conflicts")) as done:
            self._conflicts.resolve(conflict_id=record.id, choice=choice, **merged)
        if not done.failed:
            self.reload()

    def _merge(self) -> None:
        record = self.current()
        if record is None:
            return
        dialog = MergeDialog(record, self)
        if run_modal(dialog):
            self._resolve("merged", value=dialog.value.currentData(),
                          evidence=dialog.evidence.toPlainText())


class MergeDialog(QDialog):
    """A merged answer: one of the values, and the evidence from both (edited)."""

    def __init__(self, record: ConflictRecord, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Merged answer"))
        self.value = QComboBox()
        self.value.setAccessibleName(self.tr("Answer"))
        for candidate in dict.fromkeys((record.theirs, record.yours, record.base)):
            if candidate is not None:
                self.value.addItem(_shown(candidate), candidate)
        self.evidence = QPlainTextEdit("\n".join(e for e in (record.theirs_evidence,
                                                            record.yours_evidence) if e))
        self.evidence.setTabChangesFocus(True)
        self.evidence.setAccessibleName(self.tr("Evidence note"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Answer")))
        layout.addWidget(self.value)
        layout.addWidget(QLabel(self.tr("Evidence note")))
        layout.addWidget(self.evidence)
        layout.addWidget(buttons)

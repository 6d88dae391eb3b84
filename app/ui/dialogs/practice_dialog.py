"""Practice examples and quotations attached to a case; each is saved as it is written."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.dto import CaseForm, PracticeExampleRecord
from app.core.frameworks import STAGE_LABELS
from app.core.practice import EXAMPLE_KIND, SPEAKER_ROLE
from app.core.vocab import vocabulary
from app.errors import UserFacingError
from app.ui.errors import confirm, operation
from app.ui.screens import fitted
from app.ui.widgets.fields import CodeCombo
from app.ui.widgets.save_indicator import SaveIndicator

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.practice import PracticeExampleService

ID_ROLE = Qt.ItemDataRole.UserRole
STAGES = vocabulary("stage", [(str(k), v) for k, v in STAGE_LABELS.items()])


class PracticeExamplesDialog(QDialog):
    def __init__(self, practice: PracticeExampleService, form: CaseForm, parent=None):
        super().__init__(parent)
        self._practice = practice
        self._case_id = form.case.id
        self._editing: uuid.UUID | None = None
        self._pause = QTimer(self, singleShot=True, interval=600)
        self._pause.timeout.connect(self._save)
        self.setWindowTitle(self.tr("Practice examples — case {ref}").format(
            ref=form.case.reference))
        self._build(form.editable)
        self._reload()
        self.resize(fitted(self, 900, 560))

    def _build(self, editable: bool) -> None:
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Practice examples on this case"))
        self.new_button = QPushButton(self.tr("&New example"))
        self.delete_button = QPushButton(self.tr("&Delete"))
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)

        self.kind = CodeCombo(EXAMPLE_KIND, allow_blank=False)
        self.stage = CodeCombo(STAGES)
        self.theme = QLineEdit()
        self.theme.setPlaceholderText(self.tr("e.g. Protecting the public"))
        self.title = QLineEdit()
        self.title.setPlaceholderText(self.tr("Heading or pseudonym, e.g. “Example: Roger”"))
        self.speaker = CodeCombo(SPEAKER_ROLE, allow_blank=False)
        self.narrative = QPlainTextEdit()
        self.narrative.setTabChangesFocus(True)
        self.narrative.setPlaceholderText(self.tr("What happened, and why it matters; or the "
                                                  "words quoted."))
        self.cleared = QCheckBox(self.tr("Cleared for &publication"))
        self.saved = SaveIndicator()
        form = QFormLayout()
        for label, widget in ((self.tr("&Kind"), self.kind), (self.tr("&Stage"), self.stage),
                              (self.tr("&Theme"), self.theme), (self.tr("&Heading"), self.title),
                              (self.tr("S&peaker"), self.speaker),
                              (self.tr("&Narrative"), self.narrative)):
            form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", ""))
        form.addRow("", self.cleared)
        self.editor = QWidget()
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.addLayout(form)
        editor_layout.addWidget(self.saved)

        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addWidget(self.editor, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)

        self.list.currentItemChanged.connect(lambda item, _old: self._select(item))
        self.new_button.clicked.connect(self._new)
        self.delete_button.clicked.connect(self._delete)
        for combo in (self.kind, self.stage, self.speaker):
            combo.currentIndexChanged.connect(lambda _i: self._pause.start())
        for edit in (self.theme, self.title):
            edit.textEdited.connect(lambda _t: self._pause.start())
        self.narrative.textChanged.connect(self._pause.start)
        self.cleared.toggled.connect(lambda _c: self._pause.start())
        self.new_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        self.editor.setEnabled(editable)

    def _reload(self, select: uuid.UUID | None = None) -> None:
        examples = self._practice.list(self._case_id)
        self.list.blockSignals(True)
        self.list.clear()
        for example in examples:
            item = QListWidgetItem(_summary(example))
            item.setData(ID_ROLE, example)
            self.list.addItem(item)
            if example.id == select:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if select is None:
            if examples:
                self.list.setCurrentRow(0)
                self._select(self.list.currentItem())
            else:
                self._new()

    def _select(self, item: QListWidgetItem | None) -> None:
        self._flush(select=False)  # the inspector has just chosen where to go next
        example: PracticeExampleRecord | None = item.data(ID_ROLE) if item else None
        self._editing = example.id if example else None
        self._fill(example)

    def _fill(self, example: PracticeExampleRecord | None) -> None:
        widgets = (self.kind, self.stage, self.speaker, self.theme, self.title, self.narrative,
                   self.cleared)
        for widget in widgets:
            widget.blockSignals(True)
        self.kind.set_code(example.kind if example else "good_practice")
        self.stage.set_code(example.stage if example and example.stage else None)
        self.speaker.set_code(example.speaker_role if example else "")
        self.theme.setText(example.theme if example else "")
        self.title.setText(example.title if example else "")
        self.narrative.setPlainText(example.narrative if example else "")
        self.cleared.setChecked(example.cleared_for_publication if example else False)
        for widget in widgets:
            widget.blockSignals(False)
        self.delete_button.setEnabled(example is not None and self.editor.isEnabled())
        self.saved.show_idle()

    def _new(self) -> None:
        self._flush()
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)  # so choosing any example afterwards is a change
        self.list.blockSignals(False)
        self._editing = None
        self._fill(None)
        self.narrative.setFocus()

    def _flush(self, select: bool = True) -> None:
        if self._pause.isActive():
            self._pause.stop()
            self._save(select=select)

    def _save(self, select: bool = True) -> None:
        if not self.narrative.toPlainText().strip():
            self.saved.setText(self.tr("Write the narrative to save this example"))
            return
        with operation(self, on_error=self._not_saved) as done:
            record = self._practice.save(
                case_id=self._case_id, example_id=self._editing, kind=self.kind.code(),
                stage=self.stage.code() or "", theme=self.theme.text(),
                title=self.title.text(), speaker_role=self.speaker.code() or "",
                narrative=self.narrative.toPlainText(),
                cleared_for_publication=self.cleared.isChecked())
        if done.failed:
            return
        self._editing = record.id
        self._show_in_list(record, select)
        self.delete_button.setEnabled(True)
        self.saved.show_saved(record.updated_at)

    def _show_in_list(self, record: PracticeExampleRecord, select: bool) -> None:
        """Update the saved example's line in place; rebuilding the list here would delete
        the item the inspector may just have clicked."""
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ID_ROLE).id == record.id:
                break
        else:
            item = QListWidgetItem()
            self.list.addItem(item)
            if select:
                self.list.setCurrentItem(item)
        item.setText(_summary(record))
        item.setData(ID_ROLE, record)
        self.list.blockSignals(False)

    def _delete(self) -> None:
        if self._editing is None:
            return
        if not confirm(self, self.tr("Delete practice example"),
                       self.tr("Delete this practice example from the case?")):
            return
        with operation(self, on_error=self._not_saved) as done:
            self._practice.remove(case_id=self._case_id, example_id=self._editing)
        if done.failed:
            return
        self._pause.stop()
        self._reload()

    def _not_saved(self, exc: UserFacingError) -> None:
        self.saved.show_failed(exc.problem)

    def done(self, result: int) -> None:
        self._flush()
        super().done(result)


def _summary(example: PracticeExampleRecord) -> str:
    heading = example.title or example.narrative.splitlines()[0][:60]
    flag = " ✓ cleared" if example.cleared_for_publication else ""
    return f"{EXAMPLE_KIND.label(example.kind)}: {heading}{flag}"

"""Adding a case, or editing its profile, by hand."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QLineEdit,
    QPlainTextEdit,
)

from app.core.dto import CaseSummary
from app.core.profile import PROFILE_FIELDS, CaseProfile, Programme
from app.errors import ValidationError
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.widgets.fields import CodeCombo, DateEdit

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.cases import CaseService


class CaseDialog(FormDialog):
    """With ``case`` given, edits that case; otherwise adds one to ``inspection_id``."""

    def __init__(self, cases: CaseService, *, inspection_id: uuid.UUID, programme: str,
                 case: CaseSummary | None = None, parent=None):
        super().__init__(self.tr("Case profile") if case else self.tr("Add case"), parent)
        self._cases = cases
        self._inspection_id = inspection_id
        self._case = case
        self.saved: CaseSummary | None = None
        self.reference = QLineEdit()
        self.reference.setPlaceholderText(self.tr("Case reference, e.g. the CRN"))
        self.fields: dict[str, object] = {}
        form = self.form
        form.addRow(self.tr("&Reference"), self.reference)
        self.reference.setAccessibleName(self.tr("Reference"))
        group = "youth" if programme == Programme.YOUTH_OFFENDING else "adult"
        for field in PROFILE_FIELDS:
            if field.vocabulary is not None:
                widget = CodeCombo(field.vocabulary,
                                   group_filter=group if field.name == "sentence_type" else None)
            elif field.is_date:
                widget = DateEdit()
            else:
                widget = QLineEdit()
            widget.setAccessibleName(field.label)
            form.addRow(field.label, widget)
            self.fields[field.name] = widget
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(60)
        self.notes.setAccessibleName(self.tr("Notes"))
        form.addRow(self.tr("&Notes"), self.notes)
        self.add_buttons(self.tr("Save profile") if case else self.tr("Add case"))
        if case is not None:
            self._fill(case)
        self.resize(560, self.sizeHint().height())

    def _fill(self, case: CaseSummary) -> None:
        self.reference.setText(case.reference)
        self.notes.setPlainText(case.notes)
        for name, widget in self.fields.items():
            value = getattr(case.profile, name)
            if isinstance(widget, CodeCombo):
                widget.set_code(value)
            elif isinstance(widget, DateEdit):
                widget.set_date(value)
            else:
                widget.setText(value or "")

    def profile(self) -> CaseProfile:
        values = {}
        for name, widget in self.fields.items():
            if isinstance(widget, CodeCombo):
                values[name] = widget.code()
            elif isinstance(widget, DateEdit):
                try:
                    values[name] = widget.date()
                except ValueError as exc:
                    raise ValidationError(f"Date of birth: {exc}.",
                                          self.tr("Type the date as dd/mm/yyyy, or leave it "
                                                  "blank if not known.")) from exc
            else:
                values[name] = widget.text().strip() or None
        return CaseProfile(**values)

    def save(self) -> None:
        if self._case is None:
            self.saved = self._cases.add(
                inspection_id=self._inspection_id, reference=self.reference.text(),
                profile=self.profile(), notes=self.notes.toPlainText())
        else:
            self.saved = self._cases.update_profile(
                case_id=self._case.id, reference=self.reference.text(),
                profile=self.profile(), notes=self.notes.toPlainText())

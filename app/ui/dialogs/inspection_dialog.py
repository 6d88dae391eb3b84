"""Creating an inspection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from app.core.dto import InspectionSummary, NewInspection
from app.core.profile import PROGRAMMES
from app.errors import UserFacingError, ValidationError
from app.ui.widgets.fields import CodeCombo, DateEdit

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.registry import Services


class InspectionDialog(QDialog):
    def __init__(self, services: Services, parent=None):
        super().__init__(parent)
        self._services = services
        self.created: InspectionSummary | None = None
        self.setWindowTitle(self.tr("New inspection"))
        self.name = QLineEdit()
        self.programme = CodeCombo(PROGRAMMES, allow_blank=False)
        self.organisation = QLineEdit()
        self.organisation.setPlaceholderText(self.tr("e.g. Northshire CRC and NPS division"))
        self.area = QLineEdit()
        self.start = DateEdit()
        self.end = DateEdit()
        self.framework = QComboBox()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a4262c;")
        self.error.hide()
        form = QFormLayout()
        for label, widget in ((self.tr("&Name"), self.name),
                              (self.tr("&Programme"), self.programme),
                              (self.tr("&Organisation inspected"), self.organisation),
                              (self.tr("&Area"), self.area),
                              (self.tr("&Start date"), self.start),
                              (self.tr("&End date"), self.end),
                              (self.tr("Question &framework"), self.framework)):
            form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", ""))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Create inspection"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.programme.currentIndexChanged.connect(self._fill_frameworks)
        self._fill_frameworks()
        self.resize(520, self.sizeHint().height())

    def _fill_frameworks(self) -> None:
        self.framework.clear()
        try:
            available = self._services.frameworks.available()
        except UserFacingError as exc:
            self._show(exc)
            return
        for info in available:
            if info.programme == self.programme.code():
                self.framework.addItem(
                    self.tr("{title} — version {version} ({n} questions)").format(
                        title=info.title, version=info.version, n=info.question_count),
                    (info.key, info.version))

    def accept(self) -> None:
        try:
            choice = self.framework.currentData()
            if choice is None:
                raise ValidationError(self.tr("There is no question framework for this "
                                              "programme."),
                                      self.tr("Choose another programme."))
            try:
                start, end = self.start.date(), self.end.date()
            except ValueError as exc:
                raise ValidationError(str(exc), self.tr("Type dates as dd/mm/yyyy.")) from exc
            self.created = self._services.inspections.create(NewInspection(
                name=self.name.text(), programme=self.programme.code(),
                organisation=self.organisation.text(), area=self.area.text(),
                start_date=start, end_date=end, framework_key=choice[0],
                framework_version=choice[1]))
        except UserFacingError as exc:
            self._show(exc)
            return
        super().accept()

    def _show(self, exc: UserFacingError) -> None:
        lines = [exc.problem, *exc.details[:8], exc.advice]
        self.error.setText("\n".join(line for line in lines if line))
        self.error.show()

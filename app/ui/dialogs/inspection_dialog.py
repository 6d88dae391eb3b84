"""Creating an inspection, and changing what it says for pooling across inspections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
)

from app.core.dto import InspectionSummary, NewInspection
from app.core.profile import PROGRAMMES
from app.errors import ValidationError
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.errors import operation
from app.ui.widgets.fields import CodeCombo, DateEdit
from app.ui.widgets.pooling_fields import PoolingFields

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.frameworks import FrameworkCatalog
    from app.services.inspections import InspectionService


class InspectionDialog(FormDialog):
    def __init__(self, inspections: InspectionService, frameworks: FrameworkCatalog,
                 parent=None):
        super().__init__(self.tr("New inspection"), parent)
        self._inspections, self._frameworks = inspections, frameworks
        self.created: InspectionSummary | None = None
        self.name = QLineEdit()
        self.programme = CodeCombo(PROGRAMMES, allow_blank=False)
        self.organisation = QLineEdit()
        self.organisation.setPlaceholderText(self.tr("e.g. Northshire CRC and NPS division"))
        self.area = QLineEdit()
        self.start = DateEdit()
        self.end = DateEdit()
        self.framework = QComboBox()
        for label, widget in ((self.tr("&Name"), self.name),
                              (self.tr("&Programme"), self.programme),
                              (self.tr("&Organisation inspected"), self.organisation),
                              (self.tr("&Area"), self.area),
                              (self.tr("&Start date"), self.start),
                              (self.tr("&End date"), self.end),
                              (self.tr("Question &framework"), self.framework)):
            self.form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", ""))
        self.pooling = PoolingFields(self.form, inspections.list())
        self.add_buttons(self.tr("Create inspection"))
        self.programme.currentIndexChanged.connect(self._fill_frameworks)
        self._fill_frameworks()
        self.resize(520, self.sizeHint().height())

    def _fill_frameworks(self) -> None:
        self.framework.clear()
        with operation(self, on_error=self.show_problem) as done:
            available = self._frameworks.available()
        if done.failed:
            return
        for info in available:
            if info.programme == self.programme.code():
                self.framework.addItem(
                    self.tr("{title} — version {version} ({n} questions)").format(
                        title=info.title, version=info.version, n=info.question_count),
                    (info.key, info.version))

    def save(self) -> None:
        choice = self.framework.currentData()
        if choice is None:
            raise ValidationError(self.tr("There is no question framework for this "
                                          "programme."),
                                  self.tr("Choose another programme."))
        try:
            start, end = self.start.date(), self.end.date()
        except ValueError as exc:
            raise ValidationError(str(exc), self.tr("Type dates as dd/mm/yyyy.")) from exc
        self.created = self._inspections.create(NewInspection(
            name=self.name.text(), programme=self.programme.code(),
            organisation=self.organisation.text(), area=self.area.text(),
            start_date=start, end_date=end, framework_key=choice[0],
            framework_version=choice[1], details=self.pooling.details()))


class InspectionDetailsDialog(FormDialog):
    """The lead inspector changes what the inspection says for pooling."""

    def __init__(self, inspections: InspectionService, inspection: InspectionSummary,
                 parent=None):
        super().__init__(self.tr("Details for pooling: {name}").format(name=inspection.name),
                         parent)
        self._inspections, self._inspection = inspections, inspection
        self.changed: InspectionSummary | None = None
        others = [i for i in inspections.list()
                  if i.id != inspection.id and i.programme == inspection.programme]
        self.pooling = PoolingFields(self.form, others, inspection.details)
        self.add_buttons(self.tr("Save details"))
        self.resize(520, self.sizeHint().height())

    def save(self) -> None:
        self.changed = self._inspections.set_details(self._inspection.id,
                                                     self.pooling.details())

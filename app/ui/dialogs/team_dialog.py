"""The inspection's team: who inspects, who leads, who reviews."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from app.core.workflow import TEAM_ROLE
from app.ui.errors import operation
from app.ui.screens import fitted
from app.ui.widgets.fields import CodeCombo

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.inspections import InspectionService


class TeamDialog(QDialog):
    def __init__(self, inspections: InspectionService, inspection_id: uuid.UUID, parent=None):
        super().__init__(parent)
        self._inspections = inspections
        self._inspection_id = inspection_id
        self.setWindowTitle(self.tr("Inspection team"))
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Team members"))
        self.person = QLineEdit()
        self.person.setPlaceholderText(self.tr("Name or login"))
        self.person.setAccessibleName(self.tr("Person"))
        self.role = CodeCombo(TEAM_ROLE, allow_blank=False)
        self.role.set_code("inspector")
        self.role.setAccessibleName(self.tr("Role"))
        add = QPushButton(self.tr("&Add or change role"))
        remove = QPushButton(self.tr("&Remove"))
        add.clicked.connect(self.add)
        remove.clicked.connect(self.remove)
        # Enter in the name adds the person; it presses no button (a dialog's first button
        # would otherwise take Enter: Remove, taking off whoever is selected, or Close)
        for button in (add, remove):
            button.setAutoDefault(False)
        self.person.returnPressed.connect(self.add)
        row = QHBoxLayout()
        row.addWidget(self.person, 2)
        row.addWidget(self.role, 1)
        row.addWidget(add)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)  # Esc closes
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(remove)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self._show(inspections.team(inspection_id))
        self.resize(fitted(self, 520, 380))

    def _show(self, team) -> None:
        self.list.clear()
        for member in team:
            item = QListWidgetItem(f"{member.person} — {TEAM_ROLE.label(member.role)}")
            item.setData(Qt.ItemDataRole.UserRole, member.person)
            self.list.addItem(item)

    def add(self) -> None:
        with operation(self, self.tr("Team")) as done:
            team = self._inspections.add_member(
                inspection_id=self._inspection_id, person=self.person.text(),
                role=self.role.code())
        if done.failed:
            return
        self.person.clear()
        self._show(team)

    def remove(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        with operation(self, self.tr("Team")) as done:
            team = self._inspections.remove_member(
                inspection_id=self._inspection_id, person=item.data(Qt.ItemDataRole.UserRole))
        if done.failed:
            return
        self._show(team)

"""The supervisor's review queue: case forms submitted for review, oldest first."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from app.core.dto import ReviewItem
from app.core.workflow import CASE_STATUS, Actor
from app.ui.errors import operation
from app.ui.models.tables import SORT_ROLE, Column, RecordTableModel
from app.ui.screens import fitted

if TYPE_CHECKING:
    from app.services.review import ReviewService

QUEUE_COLUMNS = (
    Column("Reference", lambda i: i.case.reference),
    Column("Inspection", lambda i: i.inspection_name),
    Column("Inspector", lambda i: i.case.profile.assignee or i.case.updated_by),
    Column("Status", lambda i: CASE_STATUS.label(i.case.status)),
    Column("Waiting since", lambda i: i.case.updated_at.astimezone().strftime("%d/%m/%Y %H:%M")
           if i.case.updated_at else "", sort=lambda i: i.case.updated_at),
    Column("Open queries", lambda i: str(i.open_queries), sort=lambda i: i.open_queries,
           align_right=True, highlight=lambda i: "returned" if i.open_queries else None),
    Column("Dip sample", lambda i: "Yes" if i.dip_sample else "",
           highlight=lambda i: "submitted" if i.dip_sample else None),
)

#: the column the queue is first sorted on, oldest first
WAITING_SINCE = next(n for n, c in enumerate(QUEUE_COLUMNS) if c.title == "Waiting since")


class ReviewQueueDialog(QDialog):
    """Emits ``open_case(id)`` when a case is chosen (Enter or double-click)."""

    open_case = Signal(uuid.UUID)

    def __init__(self, review: ReviewService, inspection_id: uuid.UUID | None, parent=None):
        super().__init__(parent)
        self._review = review
        self._inspection_id = inspection_id
        self.setWindowTitle(self.tr("Review queue"))
        self.model = RecordTableModel(QUEUE_COLUMNS, self)
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        # oldest first, as the queue says (a sortable table would start on its first column)
        self.table.sortByColumn(WAITING_SINCE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setAccessibleName(self.tr("Case forms waiting for review"))
        self.table.activated.connect(self._chosen)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel()
        open_button = QPushButton(self.tr("&Open case form"))
        open_button.clicked.connect(lambda: self._chosen(self.table.currentIndex()))
        self.dip_button = QPushButton(self.tr("Mark cases for &dip sampling…"))
        self.dip_button.clicked.connect(self.mark_dip_sample)
        self.dip_button.setVisible(inspection_id is not None
                                   and review.actor(inspection_id) == Actor.SUPERVISOR)
        row = QHBoxLayout()
        row.addWidget(open_button)
        row.addWidget(self.dip_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(fitted(self, 900, 460))
        self.reload()

    def reload(self) -> None:
        items: list[ReviewItem] = self._review.queue(self._inspection_id)
        self.model.set_rows(items)
        self.table.resizeColumnsToContents()
        self.summary.setText(self.tr("{n} case form(s) waiting for review, oldest first.")
                             .format(n=len(items)) if items else
                             self.tr("No case form is waiting for review."))
        if items:
            self.table.selectRow(0)

    def _chosen(self, index) -> None:
        if not index.isValid():
            return
        item = self.table.model().data(index.siblingAtColumn(0), Qt.ItemDataRole.UserRole + 1)
        self.open_case.emit(item.case.id)
        self.accept()

    def mark_dip_sample(self) -> None:
        percent, ok = QInputDialog.getInt(
            self, self.tr("Dip sampling"),
            self.tr("Share of the inspection's cases to mark for a second look (%):"),
            10, 1, 100)
        if not ok:
            return
        with operation(self, self.tr("Dip sampling")) as done:
            marked = self._review.mark_dip_sample(inspection_id=self._inspection_id,
                                                           share=percent / 100)
        if done.failed:
            return
        self.summary.setText(self.tr("Marked {n} case(s) for dip sampling.").format(
            n=len(marked)))
        self.reload()

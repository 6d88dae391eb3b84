"""The first screen: inspections on the left, the selected inspection's cases on the right."""

from __future__ import annotations

import html
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.dto import CaseSummary, InspectionSummary
from app.core.workflow import ASSESSING_ROLES, CASE_STATUS, SAMPLE_STATUS
from app.ui.changes import Change
from app.ui.errors import operation
from app.ui.models.case_columns import (
    CASE_COLUMNS,
    INSPECTION_COLUMNS,
    case_search_text,
    inspection_details,
)
from app.ui.models.tables import ROW_ROLE, SORT_ROLE, RecordTableModel
from app.ui.theme import as_heading, notice_label, tones

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.cases import CaseService
    from app.services.inspections import InspectionService


class _CaseFilter(QSortFilterProxyModel):
    """Matches every word typed against the case's visible columns."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._words: list[str] = []
        self._criteria: dict[str, object] = {}
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "_words", text.lower().split()))

    def set_criteria(self, **criteria: object) -> None:
        """Exact matches: assignee ('' for unassigned), status, sample status; None = any."""
        self._change(lambda: self._criteria.update(criteria))

    def _change(self, update) -> None:
        if hasattr(self, "endFilterChange"):  # Qt 6.10 and later
            self.beginFilterChange()
            update()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            update()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        record = self.sourceModel().row_record(row)
        values = {"assignee": record.profile.assignee or "", "status": record.status,
                  "sample": record.sample_status}
        if any(wanted is not None and values[name] != wanted
               for name, wanted in self._criteria.items()):
            return False
        haystack = case_search_text(record)
        return all(word in haystack for word in self._words)


def _table(model, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
    view.setAccessibleName(name)
    return view


class CaseListPage(QWidget):
    """Lists inspections and cases; asks the main window to open a case or add one."""

    open_case = Signal(uuid.UUID)
    add_case_requested = Signal()
    edit_case_requested = Signal(uuid.UUID)
    withdraw_requested = Signal(uuid.UUID)
    demo_requested = Signal()
    inspection_changed = Signal(object)  # InspectionSummary or None

    def __init__(self, cases: CaseService, inspections: InspectionService, parent=None):
        super().__init__(parent)
        self._case_service, self._inspection_service = cases, inspections
        self._inspections = RecordTableModel(INSPECTION_COLUMNS, self)
        self._inspection_sort = QSortFilterProxyModel(self)
        self._inspection_sort.setSourceModel(self._inspections)
        self._inspection_sort.setSortRole(SORT_ROLE)
        self._cases = RecordTableModel(CASE_COLUMNS, self)
        self._case_filter = _CaseFilter(self)
        self._case_filter.setSourceModel(self._cases)
        self._sample_seen: dict[uuid.UUID, bool] = {}
        self._build()
        self._connect()

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        self.inspection_table = _table(self._inspection_sort, self.tr("Inspections"))
        self.inspection_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.inspection_table.horizontalHeader().setStretchLastSection(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        heading = QLabel(self.tr("&Inspections"))
        heading.setBuddy(self.inspection_table)
        as_heading(heading)
        left_layout.addWidget(heading)
        left_layout.addWidget(self.inspection_table)
        self.empty_hint = QLabel(self.tr(
            "No inspections yet. Create one with File → New inspection (Ctrl+Shift+N), or "
            "<a href='demo'>make a demonstration inspection</a> to explore."))
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setTextFormat(Qt.TextFormat.RichText)
        self.empty_hint.linkActivated.connect(lambda _link: self.demo_requested.emit())
        left_layout.addWidget(self.empty_hint)

        self.title = QLabel()
        as_heading(self.title, 1.25)
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Type to filter by reference, provider, "
                                                    "status…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(self.tr("Filter cases"))
        self.filter_edit.returnPressed.connect(self._open_only_match)
        filter_label = QLabel(self.tr("&Filter:"))
        filter_label.setBuddy(self.filter_edit)
        self.case_table = _table(self._case_filter, self.tr("Cases"))
        self.case_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.case_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.open_button = QPushButton(self.tr("&Open case form"))
        self.add_button = QPushButton(self.tr("&Add case…"))
        self.edit_button = QPushButton(self.tr("Edit &profile…"))
        self.assign_button = QPushButton(self.tr("Assi&gn to…"))
        self.assign_menu = QMenu(self.assign_button)
        self.assign_button.setMenu(self.assign_menu)
        self.withdraw_button = QPushButton(self.tr("&Withdraw from sample…"))
        self.count_label = QLabel()
        self.inspector_filter = QComboBox()
        self.status_filter = QComboBox()
        self.sample_filter = QComboBox()
        self.status_filter.addItem(self.tr("Any status"), None)
        for choice in CASE_STATUS.choices:
            self.status_filter.addItem(choice.label, choice.code)
        for combo, name in ((self.inspector_filter, self.tr("Show cases of inspector")),
                            (self.status_filter, self.tr("Show cases with status")),
                            (self.sample_filter, self.tr("Show cases by place in sample"))):
            combo.setAccessibleName(name)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.subtitle)
        filter_row = QHBoxLayout()
        filter_row.addWidget(filter_label)
        filter_row.addWidget(self.filter_edit, 1)
        for combo in (self.sample_filter, self.inspector_filter, self.status_filter):
            filter_row.addWidget(combo)
        right_layout.addLayout(filter_row)
        # work hidden by the sample filter is said, with a way to see it
        self.hidden_work = QLabel()
        self.hidden_work.setWordWrap(True)
        self.hidden_work.setTextFormat(Qt.TextFormat.RichText)
        self.hidden_work.linkActivated.connect(lambda _link: self.sample_filter.setCurrentIndex(0))
        notice_label(self.hidden_work)
        self.hidden_work.hide()
        right_layout.addWidget(self.hidden_work)
        right_layout.addWidget(self.case_table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        for button in (self.add_button, self.edit_button, self.assign_button,
                       self.withdraw_button, self.open_button):
            buttons.addWidget(button)
        right_layout.addLayout(buttons)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([330, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.inspection_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._show_selected_inspection())
        self.filter_edit.textChanged.connect(self._on_filter)
        self.case_table.activated.connect(lambda _index: self._open_current())
        self.case_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._update_buttons())
        self.open_button.clicked.connect(self._open_current)
        self.add_button.clicked.connect(self.add_case_requested)
        self.edit_button.clicked.connect(self._edit_current)
        self.withdraw_button.clicked.connect(self._withdraw_current)
        self.case_table.selectionModel().selectionChanged.connect(
            lambda *_: self._update_buttons())
        for combo in (self.inspector_filter, self.status_filter, self.sample_filter):
            combo.currentIndexChanged.connect(lambda _i: self._apply_criteria())

    # -- data ---------------------------------------------------------------------------
    def reload(self, select: uuid.UUID | None = None) -> None:
        """Re-read inspections (keeping or changing the selection) and their cases."""
        keep = select or (self.current_inspection().id if self.current_inspection() else None)
        self._inspections.set_rows(self._inspection_service.list())
        self.empty_hint.setVisible(self._inspections.rowCount() == 0)
        row = 0
        for i, record in enumerate(self._inspections.rows()):
            if record.id == keep:
                row = i
        if self._inspections.rowCount():
            index = self._inspection_sort.mapFromSource(self._inspections.index(row, 0))
            self.inspection_table.setCurrentIndex(index)
        self._show_selected_inspection()

    def current_inspection(self) -> InspectionSummary | None:
        index = self.inspection_table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def current_case(self) -> CaseSummary | None:
        index = self.case_table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def select_case(self, case_id: uuid.UUID) -> None:
        for row in range(self._case_filter.rowCount()):
            index = self._case_filter.index(row, 0)
            if index.data(ROW_ROLE).id == case_id:
                self.case_table.setCurrentIndex(index)
                self.case_table.scrollTo(index)
                return

    def on_changed(self, what: frozenset) -> None:
        """Shows what an operation changed (``changes.Changes``): the inspections again when
        they changed, keeping the inspection and case chosen; else the cases shown."""
        if Change.INSPECTIONS in what:
            current = self.current_case()
            self.reload()
            if current is not None:
                self.select_case(current.id)
        elif what & {Change.CASES, Change.REVIEW, Change.SYNC}:
            self.refresh_cases()

    def refresh_cases(self) -> None:
        current = self.current_case()
        self._show_selected_inspection()
        if current is not None:
            self.select_case(current.id)

    def _show_selected_inspection(self) -> None:
        inspection = self.current_inspection()
        if inspection is None:
            self._cases.set_rows([])
            self.title.setText(self.tr("No inspection selected"))
            self.subtitle.setText("")
        else:
            cases = self._case_service.list(inspection.id)
            self._cases.set_rows(cases)
            self._fill_choices(inspection, cases)
            self.title.setText(inspection.name)
            self.subtitle.setText(inspection_details(inspection))
            if self.case_table.currentIndex().row() < 0 and cases:
                self.case_table.setCurrentIndex(self._case_filter.index(0, 0))
        self._update_buttons()
        self.inspection_changed.emit(inspection)

    def _fill_choices(self, inspection, cases) -> None:
        """The filters and the assignment menu offer this inspection's own people."""
        team = self._inspection_service.team(inspection.id)
        inspectors = [t.person for t in team if t.role in ASSESSING_ROLES]
        people = sorted(set(inspectors) | {c.profile.assignee for c in cases
                                           if c.profile.assignee})
        sampled = any(c.sample_status is not None for c in cases)
        keep = (self.inspector_filter.currentData(), self.sample_filter.currentData())
        for combo in (self.inspector_filter, self.sample_filter):
            combo.blockSignals(True)
            combo.clear()
        self.inspector_filter.addItem(self.tr("Any inspector"), None)
        self.inspector_filter.addItem(self.tr("Not assigned"), "")
        for person in people:
            self.inspector_filter.addItem(person, person)
        self.sample_filter.addItem(self.tr("All cases"), None)
        if sampled:
            for choice in SAMPLE_STATUS.choices:
                self.sample_filter.addItem(choice.label, choice.code)
        self.inspector_filter.setCurrentIndex(max(0, self.inspector_filter.findData(keep[0])))
        # once a sample is drawn, the list shows the sample unless the inspector says otherwise
        newly_sampled = sampled and not self._sample_seen.get(inspection.id, False)
        wanted = "in_sample" if newly_sampled else keep[1]
        self.sample_filter.setCurrentIndex(max(0, self.sample_filter.findData(wanted)))
        self._sample_seen[inspection.id] = sampled
        for combo in (self.inspector_filter, self.sample_filter):
            combo.blockSignals(False)
        self.sample_filter.setVisible(sampled)
        self.assign_menu.clear()
        for person in inspectors:
            self.assign_menu.addAction(person, lambda p=person: self._assign(p))
        self.assign_menu.addSeparator()
        self.assign_menu.addAction(self.tr("Nobody"), lambda: self._assign(None))
        self._apply_criteria()

    def _apply_criteria(self) -> None:
        self._case_filter.set_criteria(assignee=self.inspector_filter.currentData(),
                                       status=self.status_filter.currentData(),
                                       sample=self.sample_filter.currentData())
        self._update_buttons()

    def selected_cases(self) -> list[CaseSummary]:
        rows = self.case_table.selectionModel().selectedRows()
        return [index.data(ROW_ROLE) for index in rows]

    def _assign(self, person: str | None) -> None:
        cases = self.selected_cases() or ([self.current_case()] if self.current_case() else [])
        if not cases:
            return
        with operation(self, self.tr("Assign cases")) as done:
            self._case_service.assign(case_ids=[c.id for c in cases], assignee=person)
        if not done.failed:
            self.refresh_cases()

    def _withdraw_current(self) -> None:
        case = self.current_case()
        if case is not None and case.sample_status == "in_sample":
            self.withdraw_requested.emit(case.id)

    def _on_filter(self, text: str) -> None:
        self._case_filter.set_text(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_inspection = self.current_inspection() is not None
        has_case = self.current_case() is not None
        self.add_button.setEnabled(has_inspection)
        self.edit_button.setEnabled(has_case)
        self.open_button.setEnabled(has_case)
        self.assign_button.setEnabled(has_case and not self.assign_menu.isEmpty())
        self.withdraw_button.setEnabled(
            has_case and self.current_case().sample_status == "in_sample")
        rows = self._cases.rows()
        complete = sum(1 for c in rows if c.complete)
        self.count_label.setText(self.tr("{shown} of {total} cases shown · {complete} complete")
                                 .format(shown=self._case_filter.rowCount(), total=len(rows),
                                         complete=complete) if has_inspection else "")
        place = self.sample_filter.currentData()
        hidden = [c for c in rows if place is not None and c.sample_status != place
                  and c.status != "not_started"]
        self.hidden_work.setVisible(bool(hidden))
        if hidden:
            shown = ", ".join(c.reference for c in hidden[:5]) + (
                self.tr(" and {n} more").format(n=len(hidden) - 5) if len(hidden) > 5 else "")
            self.hidden_work.setText(self.tr(
                "{n} case(s) with answers are not shown because they are not in this part of "
                "the sample: {refs}. <a href='all' style='color: {ink}'>Show all "
                "cases</a>").format(n=len(hidden), refs=html.escape(shown),
                                    ink=tones().notice.name()))  # not the theme's link blue

    def _open_only_match(self) -> None:
        """Enter in the filter opens the case when one case is left; with several, it moves
        into the list at the first."""
        shown = self._case_filter.rowCount()
        if shown == 1:
            self.case_table.selectRow(0)
            self._open_current()
        elif shown > 1:
            self.case_table.setFocus()
            self.case_table.selectRow(0)

    def _open_current(self) -> None:
        case = self.current_case()
        if case is not None:
            self.open_case.emit(case.id)

    def _edit_current(self) -> None:
        case = self.current_case()
        if case is not None:
            self.edit_case_requested.emit(case.id)

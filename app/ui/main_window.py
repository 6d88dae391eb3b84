"""The main window: menus and the two screens (case list, case form). No rules live here."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
)

from app import __version__
from app.ui.changes import Change, Changes
from app.ui.dialogs.case_dialog import CaseDialog
from app.ui.dialogs.export_dialog import ExportOptionsDialog, show_exported
from app.ui.dialogs.help_dialog import HelpDialog
from app.ui.dialogs.import_dialog import (
    ImportDialog,
    check_file_in_background,
    choose_case_list,
)
from app.ui.dialogs.inspection_dialog import InspectionDetailsDialog, InspectionDialog
from app.ui.dialogs.sample_dialog import SampleDialog
from app.ui.dialogs.team_dialog import TeamDialog
from app.ui.errors import operation
from app.ui.modal import run_modal
from app.ui.screen_lock import ScreenLock
from app.ui.screens import fitted, place_window, remember_window
from app.ui.store_actions import StoreActions
from app.ui.tasks import Lane, TaskManager
from app.ui.widgets.actions import make_action

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.registry import Services


class MainWindow(QMainWindow):
    """Shown at once, before the database is open; ``attach`` brings the screens in."""

    def __init__(self, services: Services | None = None):
        super().__init__()
        self._services: Services | None = None
        self.tasks = TaskManager(self)
        #: what each operation changed, for every screen that shows it
        self.changes = Changes(self)
        self.dashboard = None
        self.guide = None
        self.setWindowTitle("ASPIRE Casework")
        self.loading = QLabel(self.tr("Opening the database…"))
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.loading)
        self.screen_lock = ScreenLock(self, self.tasks)
        #: the Tools menu: sync, transfer files, conflicts, the database's check and backup
        self.store = StoreActions(self, self.tasks, self.changes)
        self._build_menus()
        place_window(self, 1280, 820)  # where it was left, within the screen
        if services is not None:
            self.attach(services)

    def attach(self, services: Services) -> None:
        """Build the screens over an open database and show its inspections."""
        from app.ui.views.case_form_page import CaseFormPage
        from app.ui.views.case_list_page import CaseListPage

        self._services = services
        self.setWindowTitle(f"ASPIRE Casework — {services.database.path.name}")
        self.cases_page = CaseListPage(services.cases, services.inspections)
        self.form_page = CaseFormPage(services.forms, services.review, services.practice,
                                      services.user, self.tasks)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.cases_page)
        self.stack.addWidget(self.form_page)
        self.setCentralWidget(self.stack)
        self.loading = None
        self.cases_page.open_case.connect(self.open_case)
        self.cases_page.add_case_requested.connect(self.add_case)
        self.cases_page.edit_case_requested.connect(self.edit_case)
        self.cases_page.inspection_changed.connect(self._inspection_changed)
        self.cases_page.withdraw_requested.connect(self.withdraw_case)
        self.cases_page.demo_requested.connect(self.make_demonstration)
        self.form_page.back_requested.connect(self.show_cases)
        self.form_page.review.changed.connect(lambda: self.changes.announce(Change.REVIEW))
        self.changes.changed.connect(self.cases_page.on_changed)
        self.form_page.edit_profile_requested.connect(self.edit_case)
        self.statusBar().showMessage(self.tr("Database: {path}").format(
            path=services.database.path))
        self.signed_in = QLabel(self.tr("Signed in as {user}").format(user=services.user))
        self.signed_in.setAccessibleName(self.tr("Who is signed in"))
        self.statusBar().addPermanentWidget(self.signed_in)
        for action in self._needs_database:
            action.setEnabled(True)
        self.store.attach(services.sync, services.conflicts, services.database, services.user,
                          save_typing=self.form_page.flush, cases_removed=self._cases_removed)
        self.cases_page.reload()
        self.cases_page.case_table.setFocus()
        self.screen_lock.attach(services.database, services.user,
                                save_typing=self.form_page.flush)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.new_inspection_action = self._add(file_menu, self.tr("&New inspection…"),
                                               "Ctrl+Shift+N", self.new_inspection)
        self.add_case_action = self._add(file_menu, self.tr("&Add case…"), "Ctrl+Shift+A",
                                         self.add_case)
        self.import_action = self._add(file_menu, self.tr("&Import case list…"), "Ctrl+I",
                                       self.import_case_list)
        template = self._add(file_menu, self.tr("Save case list &template…"), None,
                             self.save_template)
        self.export_action = self._add(file_menu, self.tr("&Export workbook for analysts…"),
                                       "Ctrl+Shift+E", self.export_workbook)
        self.export_tables_action = self._add(
            file_menu, self.tr("Export tables for &R, Stata or Python…"), None,
            self.export_tables)
        file_menu.addSeparator()
        file_menu.addAction(self.screen_lock.lock_action)
        self._add(file_menu, self.tr("&Quit"), QKeySequence.StandardKey.Quit, self.close)
        inspection_menu = self.menuBar().addMenu(self.tr("&Inspection"))
        self.sample_action = self._add(inspection_menu, self.tr("Case &sample…"), "Ctrl+Shift+S",
                                       self.open_sample)
        self.team_action = self._add(inspection_menu, self.tr("&Team…"), "Ctrl+Shift+T",
                                     self.open_team)
        self.details_action = self._add(inspection_menu, self.tr("Details for &pooling…"), None,
                                        self.edit_details)
        self.queue_action = self._add(inspection_menu, self.tr("&Review queue…"),
                                      "Ctrl+Shift+R", self.open_review_queue)
        self.dashboard_action = self._add(inspection_menu, self.tr("&Dashboard…"),
                                          "Ctrl+Shift+B", self.open_dashboard)
        self.moderation_action = self._add(inspection_menu, self.tr("&Moderation…"),
                                           "Ctrl+Shift+M", self.open_moderation)
        inspection_menu.addSeparator()
        self.close_inspection_action = self._add(inspection_menu, self.tr("C&lose inspection…"),
                                                 None, self.close_inspection)
        tools = self.menuBar().addMenu(self.tr("&Tools"))
        tools.addActions(list(self.store.store_actions))
        tools.addSeparator()
        self.frameworks_action = self._add(tools, self.tr("Question &frameworks…"), None,
                                           self.open_frameworks)
        self.analysis_action = self._add(tools, self.tr("&Pooled findings across "
                                                        "inspections…"), None,
                                         self.open_analysis)
        tools.addActions(list(self.store.database_actions))
        tools.addAction(self.screen_lock.settings_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.guide_action = self._add(help_menu, self.tr("&Guide and shortcuts"), "F1",
                                      self.show_guide)
        self.about_action = self._add(help_menu, self.tr("&About ASPIRE Casework"), None,
                                      self.about)
        self._needs_database = (self.new_inspection_action, self.add_case_action,
                                self.import_action, template, self.sample_action,
                                self.team_action, self.details_action, self.queue_action,
                                self.dashboard_action,
                                self.moderation_action, self.close_inspection_action,
                                self.export_action, self.export_tables_action,
                                self.frameworks_action, self.analysis_action)
        # (the Tools menu's own actions are ``StoreActions``')
        for action in self._needs_database:
            action.setEnabled(False)

    def _add(self, menu, text: str, shortcut, slot) -> QAction:
        action = make_action(self, text, slot, shortcut)
        menu.addAction(action)
        return action

    # -- screens ----------------------------------------------------------------------
    def open_case(self, case_id: uuid.UUID) -> None:
        with operation(self, self.tr("Open case form")) as done:
            self.form_page.load(case_id)
        if done.failed:
            return
        self.stack.setCurrentWidget(self.form_page)
        self.form_page.nav.setFocus()

    def show_cases(self) -> None:
        self.form_page.flush()
        self.changes.announce(Change.CASES)  # answered, submitted... on the form just left
        self.stack.setCurrentWidget(self.cases_page)
        self.cases_page.case_table.setFocus()

    def _cases_removed(self) -> None:
        """A sync took cases off this laptop: the one whose form is shown may be one."""
        if self.stack.currentWidget() is self.form_page:
            self.show_cases()

    # -- dialogs ------------------------------------------------------------------------
    def new_inspection(self) -> None:
        dialog = InspectionDialog(self._services.inspections, self._services.frameworks, self)
        if run_modal(dialog) and dialog.created is not None:
            self.show_cases()
            self.cases_page.reload(select=dialog.created.id)

    def make_demonstration(self) -> None:
        """A demonstration inspection to explore (as ``aspire demo`` makes), made off the
        window's thread with its progress shown."""
        demo = self._services.demo
        self.tasks.run_with_progress(
            self, self.tr("Demonstration inspection"),
            self.tr("Making a demonstration inspection…"),
            lambda report, _cancelled: demo.create(progress=report),
            lambda made: (self.show_cases(), self.cases_page.reload(select=made.id)),
            lane=Lane.DATABASE, cancellable=False)

    def add_case(self) -> None:
        inspection = self.cases_page.current_inspection()
        if inspection is None:
            return
        dialog = CaseDialog(self._services.cases, inspection_id=inspection.id,
                            programme=inspection.programme, parent=self)
        if run_modal(dialog) and dialog.saved is not None:
            self.cases_page.reload(select=inspection.id)
            self.cases_page.select_case(dialog.saved.id)

    def edit_case(self, case_id: uuid.UUID) -> None:
        self.form_page.flush()
        inspection = self.cases_page.current_inspection()
        with operation(self, self.tr("Case profile")) as done:
            case = self._services.cases.get(case_id)
        if done.failed:
            return
        programme = inspection.programme if inspection else ""
        dialog = CaseDialog(self._services.cases, inspection_id=case.inspection_id,
                            programme=programme, case=case, parent=self)
        if run_modal(dialog):
            if self.stack.currentWidget() is self.form_page:
                self.form_page.load(case_id)  # applicability may have changed
            self.changes.announce(Change.CASES)

    def _inspection_changed(self, inspection) -> None:
        for action in (self.add_case_action, self.import_action, self.sample_action,
                       self.team_action, self.details_action, self.export_action,
                       self.export_tables_action, self.close_inspection_action):
            action.setEnabled(inspection is not None)

    def import_case_list(self) -> None:
        inspection = self.cases_page.current_inspection()
        path = choose_case_list(self) if inspection is not None else None
        if path is None:
            return
        check_file_in_background(self, self.tasks, self._services.imports, inspection.id, path,
                                 self._show_import)

    def _show_import(self, preview) -> None:
        dialog = ImportDialog(self._services.imports, preview, self)
        if run_modal(dialog) and dialog.report is not None:
            self.cases_page.reload(select=preview.inspection_id)
            self.statusBar().showMessage(self.tr("Imported {n} cases from {file}").format(
                n=dialog.report.imported, file=Path(preview.file).name), 10000)

    def export_workbook(self) -> None:
        inspection = self.cases_page.current_inspection()
        if inspection is None:
            return
        options = ExportOptionsDialog(self.tr("Export workbook for analysts"), self,
                                      ratings=True)
        if not run_modal(options):
            return
        pseudonymise, provisional = options.pseudonymised, options.provisional_ratings
        name = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in inspection.name)
        if pseudonymise:
            name += self.tr(" (pseudonymised)")
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export workbook for analysts"), str(Path.home() / f"{name}.xlsx"),
            self.tr("Excel workbook (*.xlsx)"))
        if not path:
            return
        self.tasks.run_with_progress(
            self, self.tr("Export workbook"), self.tr("Writing {name}…").format(
                name=Path(path).name),
            lambda report, cancelled: self._services.exports.export(
                inspection_id=inspection.id, path=Path(path), pseudonymise=pseudonymise,
                progress=report, cancelled=cancelled, provisional_ratings=provisional),
            self._exported)

    def export_tables(self) -> None:
        """The inspection's cases, answers, interviews and practice examples as tidy tables
        in a folder of their own, with the questions and a data dictionary."""
        inspection = self.cases_page.current_inspection()
        if inspection is None:
            return
        title = self.tr("Export tables for R, Stata or Python")
        options = ExportOptionsDialog(title, self, tables=True)
        if not run_modal(options):
            return
        pseudonymise, file_format = options.pseudonymised, options.chosen_format
        parent = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the folder to put the tables' folder in"), str(Path.home()))
        if not parent:
            return
        name = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in inspection.name)
        name += self.tr(" tables (pseudonymised)") if pseudonymise else self.tr(" tables")
        folder = Path(parent) / name
        exports = self._services.exports
        self.tasks.run_with_progress(
            self, title, self.tr("Writing the tables in {name}…").format(name=folder.name),
            lambda _report, _cancelled: exports.export_tables(
                inspection_id=inspection.id, folder=folder, file_format=file_format,
                pseudonymise=pseudonymise),
            lambda result: self._tables_exported(result, pseudonymise), cancellable=False)

    def _tables_exported(self, result, pseudonymised: bool) -> None:
        done = (self.tr("Exported {cases} cases as {n} tables in {path}, pseudonymised.")
                if pseudonymised else
                self.tr("Exported {cases} cases as {n} tables in {path}.")).format(
            cases=result.cases, n=len(result.files), path=result.folder)
        self.statusBar().showMessage(done, 20000)
        show_exported(self, self.tr("Export tables"), done)

    def _exported(self, result) -> None:
        done = (self.tr("Exported {cases} cases to {path}, pseudonymised.") if result.pseudonymised
                else self.tr("Exported {cases} cases to {path}.")).format(
            cases=result.cases, path=result.path)
        self.statusBar().showMessage(done, 20000)
        show_exported(self, self.tr("Export workbook"), done)

    def open_frameworks(self) -> None:
        from app.ui.dialogs.frameworks_dialog import FrameworksDialog

        run_modal(FrameworksDialog(self._services.frameworks, self._services.user, self.tasks,
                                   self))

    def open_analysis(self) -> None:
        """Key questions pooled across inspections by the central service, for analysts
        (it stays open beside the window; nothing of it is kept unless saved)."""
        from app.ui.dialogs.analysis_dialog import AnalysisDialog

        analysis = self._services.analysis
        dialog = AnalysisDialog(self.tasks, analysis.fetch, analysis.save, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resize(fitted(dialog, 900, 700))
        dialog.show()

    def save_template(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save case list template"), str(Path.home() / "case-list.xlsx"),
            self.tr("Excel workbook (*.xlsx)"))
        if not path:
            return
        with operation(self, self.tr("Save case list template")) as done:
            written = self._services.imports.write_template(Path(path))
        if done.failed:
            return
        self.statusBar().showMessage(self.tr("Template saved to {path}").format(path=written),
                                     10000)

    def open_sample(self) -> None:
        inspection = self.cases_page.current_inspection()
        if inspection is not None:
            run_modal(SampleDialog(self._services.samples, inspection.id, self))
            self.changes.announce(Change.CASES)

    def open_team(self) -> None:
        inspection = self.cases_page.current_inspection()
        if inspection is not None:
            run_modal(TeamDialog(self._services.inspections, inspection.id, self))
            self.changes.announce(Change.INSPECTIONS)

    def edit_details(self) -> None:
        """What the inspection shown says for pooling across inspections (its year,
        organisation type, region, sample and the inspection it re-inspects)."""
        inspection = self.cases_page.current_inspection()
        if inspection is None:
            return
        with operation(self, self.tr("Details for pooling")) as done:
            dialog = InspectionDetailsDialog(self._services.inspections,
                                             self._services.inspections.get(inspection.id),
                                             self)
        if not done.failed and run_modal(dialog) and dialog.changed is not None:
            self.changes.announce(Change.INSPECTIONS)

    def open_dashboard(self) -> None:
        """Progress, key questions, ratings and breakdowns of the inspection shown; it stays
        open beside the case forms and refreshes when a case's review moves on."""
        from app.ui.dialogs.dashboard import DashboardDialog

        inspection = self.cases_page.current_inspection()
        if inspection is None:
            return
        if self.dashboard is not None:
            self.dashboard.close()
        dashboard = DashboardDialog(self._services.cases, self._services.ratings, self.tasks,
                                    inspection.id, inspection.name, self)
        dashboard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dashboard.destroyed.connect(lambda: setattr(self, "dashboard", None))
        self.changes.changed.connect(dashboard.on_changed)
        self.dashboard = dashboard
        dashboard.show()

    def open_moderation(self) -> None:
        """Second marking of key questions, blind, and the agreement between markers."""
        from app.ui.dialogs.moderation_dialog import ModerationDialog

        inspection = self.cases_page.current_inspection()
        if inspection is not None:
            run_modal(ModerationDialog(self._services.moderation, self._services.review,
                                       inspection.id, self))
            self.changes.announce(Change.REVIEW)

    def open_review_queue(self) -> None:
        """Case forms waiting for a supervisor (in the inspection shown, or all)."""
        from app.ui.dialogs.review_queue_dialog import ReviewQueueDialog

        inspection = self.cases_page.current_inspection()
        dialog = ReviewQueueDialog(self._services.review, inspection.id if inspection else None,
                                   self)
        dialog.open_case.connect(self.open_case)
        run_modal(dialog)
        self.changes.announce(Change.REVIEW)

    def close_inspection(self) -> None:
        """The supervisor or lead inspector closes the inspection shown, once confirmed."""
        inspection = self.cases_page.current_inspection()
        if inspection is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Close inspection"),
            self.tr("Close the inspection '{name}'?\n\nThe case data will be removed from "
                    "every team member's laptop once everything on it is synced. The central "
                    "store keeps all of it.").format(name=inspection.name))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.form_page.flush()
        with operation(self, self.tr("Close inspection")) as done:
            self._services.inspections.close(inspection.id)
        if done.failed:
            return
        self.statusBar().showMessage(self.tr(
            "'{name}' is closed; sync to send the closing to the central store.").format(
            name=inspection.name), 15000)
        self.changes.announce(Change.INSPECTIONS, Change.CASES)
        if self.stack.currentWidget() is self.form_page:
            self.form_page.reload()  # read-only now

    def withdraw_case(self, case_id) -> None:
        title = self.tr("Withdraw from sample")
        with operation(self, title) as done:
            case = self._services.cases.get(case_id)
        if done.failed:
            return
        reason, ok = QInputDialog.getText(
            self, title,
            self.tr("Why is case {ref} withdrawn from the sample? The next reserve case of the "
                    "same group will take its place.").format(ref=case.reference))
        if not ok:
            return
        with operation(self, title) as done:
            summary = self._services.samples.withdraw(case_id=case_id, reason=reason)
        if done.failed:
            return
        last = summary.history[-1]
        self.statusBar().showMessage(
            self.tr("{ref} withdrawn; {other} joins the sample from the reserve.").format(
                ref=case.reference, other=last.other_reference) if last.kind == "replaced"
            else self.tr("{ref} withdrawn; no reserve case of its group is left.").format(
                ref=case.reference), 15000)
        self.changes.announce(Change.CASES)

    def show_guide(self) -> None:
        """The guide beside the window (one, brought forward if it is open already)."""
        if self.guide is None:
            self.guide = HelpDialog(self)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()

    def about(self) -> None:
        """Works at any moment, also while the database is still opening."""
        if self._services is None:
            where = self.tr("Database: still opening")
        else:
            where = self.tr("Database: {path}<br>Signed in as: {user}<br>"
                            "This laptop's device id: {device}").format(
                path=self._services.database.path, user=self._services.user,
                device=self._services.database.device_id)
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("About ASPIRE Casework"),
                          self.tr("<b>ASPIRE Casework</b> {version}<br>Case assessment for "
                                  "inspections of probation and youth offending services."
                                  "<br><br>{where}").format(version=__version__, where=where),
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("about")
        run_modal(box)

    def save_typing(self) -> None:
        """Save the evidence or note being typed in the open case form, if any."""
        if self._services is not None:
            self.form_page.flush()

    def closeEvent(self, event) -> None:
        remember_window(self)
        self.save_typing()
        super().closeEvent(event)
        # the database must not be closed under running work; none starts after this
        self.tasks.shutdown()

"""The case form: ASPIRE stages and sections on the left, one section's questions on the right.

Every answer is saved through the case form service the moment it is given (choices at once,
typing after a short pause or when focus leaves the field); the save indicator says so. The
form itself, and the saving, are the page's ``CaseFormSession``; the page shows it.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.answers import AnswerInput
from app.core.dto import CaseForm
from app.core.frameworks import STAGE_LABELS, Section
from app.core.profile import GENDER, PHASE, PROVIDER, RISK_LEVEL, SENTENCE_TYPE
from app.core.queries import QUERY_STATE
from app.core.workflow import CASE_STATUS
from app.ui.dialogs.export_dialog import ExportOptionsDialog, show_exported
from app.ui.dialogs.practice_dialog import PracticeExamplesDialog
from app.ui.dialogs.problems_dialog import ProblemsDialog
from app.ui.errors import operation
from app.ui.modal import run_modal
from app.ui.tasks import TaskManager
from app.ui.theme import as_heading, notice_label
from app.ui.views.answer_undo import AnswerChange, record_change
from app.ui.views.case_form_session import CaseFormSession
from app.ui.views.review_panel import ReviewPanel
from app.ui.widgets.question_widget import QuestionWidget
from app.ui.widgets.save_indicator import SaveIndicator

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.case_forms import CaseFormService
    from app.services.practice import PracticeExampleService
    from app.services.review import ReviewService

SECTION_ROLE = Qt.ItemDataRole.UserRole


class CaseFormPage(QWidget):
    back_requested = Signal()
    edit_profile_requested = Signal(uuid.UUID)

    def __init__(self, forms: CaseFormService, review: ReviewService,
                 practice: PracticeExampleService | None, user: str, tasks: TaskManager,
                 parent=None, *, preview: bool = False):
        """With ``preview``, the form of a framework tried out (``FormPreview`` in place of
        the services): answered as any form, with no review, practice examples, profile
        or PDF, and a notice that nothing is kept."""
        super().__init__(parent)
        self.preview = preview
        self._review, self._practice = review, practice
        self._user = user
        self._tasks = tasks
        self.session = CaseFormSession(forms)
        self._widgets: dict[str, QuestionWidget] = {}
        self._pages: dict[str, QScrollArea] = {}
        self._picked_key: str | None = None
        self._current: QuestionWidget | None = None
        self._build()
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        self.toolbar = QToolBar(self.tr("Case form"))
        self.back_action = self._action(self.tr("← Back to cases"), "Alt+Left",
                                        self._go_back)
        self.next_action = self._action(self.tr("&Next unanswered"), "Ctrl+J",
                                        self.next_unanswered)
        self.check_action = self._action(self.tr("Check for &errors"), "Ctrl+E",
                                         self.check_for_errors)
        self.prev_section_action = self._action(self.tr("Previous section"), "Ctrl+PgUp",
                                                lambda: self._step_section(-1))
        self.next_section_action = self._action(self.tr("Next section"), "Ctrl+PgDown",
                                                lambda: self._step_section(1))
        self.examples_action = self._action(self.tr("&Practice examples…"), "Ctrl+Shift+X",
                                            self.open_practice_examples)
        self.profile_action = self._action(self.tr("Case &profile…"), "Ctrl+Shift+P",
                                           self._edit_profile)
        self.pdf_action = self._action(self.tr("Save as P&DF…"), "Ctrl+Shift+D",
                                       self.export_pdf)
        self.undo_stack = QUndoStack(self)
        self.undo_action = self._action(self.tr("&Undo answer"), "Ctrl+Z",
                                        lambda: self._step_history(-1))
        # Ctrl+Y as on Windows, Ctrl+Shift+Z as elsewhere
        self.redo_action = self._action(self.tr("&Redo answer"), "Ctrl+Y",
                                        lambda: self._step_history(1), "Ctrl+Shift+Z")
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        for action in (self.back_action, self.undo_action, self.redo_action, self.next_action,
                       self.check_action, self.examples_action, self.profile_action,
                       self.pdf_action):
            self.toolbar.addAction(action)

        self.title = QLabel()
        as_heading(self.title, 1.35)
        self.profile_line = QLabel()
        self.profile_line.setWordWrap(True)
        self.progress_label = QLabel()
        self.saved = SaveIndicator()
        self.locked_banner = QLabel()
        notice_label(self.locked_banner)  # its colours from the theme, as a notice
        self.locked_banner.hide()
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.profile_line)
        header.addLayout(titles, 1)
        status = QVBoxLayout()
        status.addWidget(self.saved, 0, Qt.AlignmentFlag.AlignRight)
        status.addWidget(self.progress_label, 0, Qt.AlignmentFlag.AlignRight)
        header.addLayout(status)

        self.nav = QTreeWidget()
        self.nav.setHeaderHidden(True)
        self.nav.setAccessibleName(self.tr("Sections of the case form"))
        self.nav.currentItemChanged.connect(lambda item, _old: self._show_item(item))
        self.nav.itemActivated.connect(lambda item, _col: self._enter_section(item))
        self.stack = QStackedWidget()
        self.review = ReviewPanel(self._review, self._user)
        self.review.current_question = self.question_in_view
        self.review.changed.connect(self.reload)
        self.review.go_to.connect(lambda key: self.show_question(key, take_focus=False))
        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.addWidget(self.review)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 820, 300])
        self.splitter = splitter
        # the side panels fold away for a narrow screen, from the keyboard too (or by
        # dragging their edge); the form takes their room
        self.sections_action = self._action(self.tr("Show the &sections list"),
                                            "F7",
                                            lambda: self._toggle_panel(self.nav))
        self.review_panel_action = self._action(self.tr("Show the &review panel"),
                                                "F8",
                                                lambda: self._toggle_panel(self.review))

        if self.preview:
            for action in (self.examples_action, self.profile_action, self.pdf_action,
                           self.review_panel_action):
                action.setVisible(False)
                action.setEnabled(False)
            self.review.hide()
            self.saved.hide()
            self.back_action.setText(self.tr("Close the preview"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.addWidget(self.toolbar)
        layout.addLayout(header)
        layout.addWidget(self.locked_banner)
        layout.addWidget(splitter, 1)

    def _toggle_panel(self, panel: QWidget) -> None:
        """Fold a side panel away, or bring it back at a third of the form's width."""
        sizes = self.splitter.sizes()
        index = self.splitter.indexOf(panel)
        total = sum(sizes)
        if sizes[index] > 0:
            sizes[1] += sizes[index]
            sizes[index] = 0
        else:
            sizes[index] = min(300, total // 4)
            sizes[1] = max(0, sizes[1] - sizes[index])
        self.splitter.setSizes(sizes)

    def _action(self, text: str, shortcut: str, slot, *also: str) -> QAction:
        """An action of the form's own, on ``shortcut`` (and any shortcuts ``also``)."""
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(key) for key in (shortcut, *also)])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{text.replace('&', '')} ({shortcut})")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- loading ------------------------------------------------------------------------
    @property
    def form(self) -> CaseForm | None:
        """The case form shown, as last read or saved (None before one is opened)."""
        return self.session.form

    def load(self, case_id: uuid.UUID) -> None:
        form = self.session.open(case_id)
        self._current = None
        self._picked_key = None
        self.undo_stack.clear()
        for page in self._pages.values():
            self.stack.removeWidget(page)
            page.deleteLater()
        self._pages.clear()
        self._widgets.clear()
        self._fill_header()
        self._fill_nav()
        self.review.load(form, self.session.numbers)
        self.saved.show_idle()
        first = self.nav.topLevelItem(0).child(0) if self.nav.topLevelItemCount() else None
        self.nav.setCurrentItem(first)

    def reload(self) -> None:
        """Read the case again (after a review move or a query), keeping the place."""
        key, picked = self.question_in_view(), self._picked_key
        self.load(self.form.case.id)
        if key is not None:
            self.show_question(key, take_focus=False)
            if picked == key:
                self._picked(key)

    def question_in_view(self) -> str | None:
        """The question being read: the one with the focus, else the one last clicked in the
        section shown, else the first whose text is in view."""
        key = self.current_question()
        if key is not None or self.form is None:
            return key
        item = self.nav.currentItem()
        section = item.data(0, SECTION_ROLE) if item is not None else None
        if section is None:
            return None
        keys = [q.key for q in self.form.framework.section(section).questions]
        if self._picked_key in keys:
            return self._picked_key
        page = self.stack.currentWidget()
        if isinstance(page, QScrollArea):
            top = page.verticalScrollBar().value()
            for key in keys:
                widget = self._widgets.get(key)
                if widget is not None and widget.isVisible() \
                        and widget.geometry().bottom() > top + widget.height() // 3:
                    return key
        return self.session.first_question(section)

    def _picked(self, key: str) -> None:
        """A question clicked: it is the one being read (and is tinted as such)."""
        self._picked_key = key
        widget = self._widgets.get(key)
        if widget is not None and widget is not self._current:
            for question, value in ((self._current, False), (widget, True)):
                if question is not None:
                    with contextlib.suppress(RuntimeError):
                        question.set_current(value)
            self._current = widget

    def _fill_header(self) -> None:
        case = self.form.case
        status = case.status
        p = case.profile
        self.title.setText(self.tr("Case {ref} — {inspection}").format(
            ref=case.reference, inspection=self.form.inspection_name))
        facts = [PROVIDER.label(p.provider), SENTENCE_TYPE.label(p.sentence_type),
                 PHASE.label(p.phase), GENDER.label(p.gender),
                 f"RoSH {RISK_LEVEL.label(p.rosh).lower()}" if p.rosh else "",
                 CASE_STATUS.label(status)]
        self.profile_line.setText(" · ".join(f for f in facts if f))
        self.locked_banner.setVisible(not self.form.editable or self.preview)
        self.profile_action.setEnabled(self.form.editable and not self.preview)
        if self.preview:
            self.locked_banner.setText(self.tr("A preview: answers are checked as on a case "
                                               "form, and nothing is kept."))
            self.title.setText(self.form.inspection_name)
        elif self.form.inspection_closed:
            self.locked_banner.setText(self.tr("The inspection is closed: this case form can "
                                               "be read but not changed."))
        elif self.form.reviewing:
            self.locked_banner.setText(self.tr("You review this case as its supervisor: its "
                                               "answers can be read, queried and returned, "
                                               "not changed."))
        else:
            self.locked_banner.setText(self.tr("This case is {status}: its answers can be read "
                                               "but not changed.").format(
                status=CASE_STATUS.label(status).lower()))
        self._update_progress()

    def _fill_nav(self) -> None:
        self.nav.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for section in self.form.framework.sections:
            group = groups.get(section.stage)
            if group is None:
                group = QTreeWidgetItem([STAGE_LABELS[section.stage]])
                group.setFlags(group.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                self.nav.addTopLevelItem(group)
                groups[section.stage] = group
            item = QTreeWidgetItem()
            item.setData(0, SECTION_ROLE, section.key)
            group.addChild(item)
        self.nav.expandAll()
        self._update_nav()

    def _nav_items(self) -> list[QTreeWidgetItem]:
        return [self.nav.topLevelItem(i).child(j) for i in range(self.nav.topLevelItemCount())
                for j in range(self.nav.topLevelItem(i).childCount())]

    def _update_nav(self) -> None:
        progress = {s.key: s for s in self.session.state.sections}
        for item in self._nav_items():
            key = item.data(0, SECTION_ROLE)
            s = progress[key]
            section = self.form.framework.section(key)
            if s.applicable == 0:
                mark, note = "–", self.tr("not applicable")
            elif s.complete:
                mark, note = "✓", self.tr("complete")
            elif s.started:
                mark, note = "●", self.tr("{n} to do").format(n=s.problems)
            else:
                mark, note = "○", self.tr("not started")
            item.setText(0, f"{mark} {_short_title(section)}  ({s.answered}/{s.applicable})")
            item.setToolTip(0, f"{section.title}: {note}")
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole,
                         f"{section.title}, {s.answered} of {s.applicable} answered, {note}")

    def _update_progress(self) -> None:
        state = self.session.state
        self.progress_label.setText(self.tr("{a} of {n} applicable questions answered "
                                            "({p}%)").format(
            a=state.answered_count, n=state.applicable_count, p=state.percent))

    # -- sections -----------------------------------------------------------------------
    def _show_item(self, item: QTreeWidgetItem | None) -> None:
        if item is None or item.data(0, SECTION_ROLE) is None:
            return
        self.stack.setCurrentWidget(self._page(item.data(0, SECTION_ROLE)))

    def _enter_section(self, item: QTreeWidgetItem) -> None:
        key = item.data(0, SECTION_ROLE)
        first = self.session.first_question(key) if key is not None else None
        if first is not None:
            self.go_to_question(first)

    def _page(self, section_key: str) -> QScrollArea:
        """The section's page, built the first time it is shown (opening stays fast)."""
        page = self._pages.get(section_key)
        if page is None:
            page = self._build_page(self.form.framework.section(section_key))
            self._pages[section_key] = page
            self.stack.addWidget(page)
        return page

    def _build_page(self, section: Section) -> QScrollArea:
        content = QWidget()
        layout = QVBoxLayout(content)
        heading = QLabel(f"<h2>{section.title}</h2>")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        if section.intro:
            intro = QLabel(section.intro)
            intro.setWordWrap(True)
            layout.addWidget(intro)
        for question in section.questions:
            widget = QuestionWidget(question, self.session.numbers[question.key])
            widget.set_record(self.form.answers.get(question.key))
            widget.changed.connect(self._save)
            widget.picked.connect(self._picked)
            self._widgets[question.key] = widget
            self._apply_status(widget)
            layout.addWidget(widget)
        layout.addStretch(1)
        page = QScrollArea()
        page.setWidgetResizable(True)
        page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page.setWidget(content)
        page.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return page

    def question_widget(self, key: str) -> QuestionWidget:
        """The widget for a question, building its section's page if need be."""
        if key not in self._widgets:
            self._page(self.form.framework.question(key).section_key)
        return self._widgets[key]

    def _step_section(self, step: int) -> None:
        self.flush()
        items = self._nav_items()
        current = self.nav.currentItem()
        index = items.index(current) if current in items else -1
        target = items[max(0, min(len(items) - 1, index + step))]
        self.nav.setCurrentItem(target)
        self._enter_section(target)

    # -- answers ------------------------------------------------------------------------
    def _apply_status(self, widget: QuestionWidget) -> None:
        key = widget.question.key
        status, why = self.session.status(key)
        widget.set_status(status, why, editable=self.form.editable,
                          show_missing=self.session.show_missing)
        thread = self.review.open_queries().get(key)
        widget.set_query(self.tr("{state} query from {who}: {text}").format(
            state=QUERY_STATE.label(thread.status), who=thread.raised_by,
            text=thread.messages[0].text) if thread is not None else "")

    def _apply_state(self) -> None:
        for widget in self._widgets.values():
            self._apply_status(widget)
        self._update_nav()
        self._update_progress()

    def _save(self, key: str) -> None:
        widget = self._widgets[key]
        try:
            given = widget.answer()
        except ValueError as exc:
            widget.show_error(str(exc))
            self.saved.show_failed(str(exc))
            return
        before = self.session.given(key)
        if self._record(key, given):
            after = self.session.given(key)
            if after != before:
                record_change(self.undo_stack, AnswerChange(
                    key, self.session.numbers[key], before, after, self._restore))

    def _record(self, key: str, given: AnswerInput) -> bool:
        """Save one answer and redraw what depends on it; False if it was not saved."""
        widget = self._widgets.get(key)
        self.saved.show_pending()

        def not_saved(exc) -> None:
            if widget is not None:
                widget.show_error(exc.problem)
            self.saved.show_failed(exc.problem)

        status = self.form.case.status
        with operation(self, on_error=not_saved) as done:
            saved = self.session.record(key, given)
        if done.failed:
            return False
        self.saved.show_saved(saved.saved_at)
        if saved.status != status:  # the first answer starts the case
            self.review.load(self.form, self.session.numbers)
        self._apply_state()
        self._fill_header()
        return True

    def _step_history(self, step: int) -> None:
        """Undo (-1) or redo (+1) one answer, saving any typing in progress first."""
        self.flush()
        index = self.undo_stack.index()
        target = index + step
        if not 0 <= target <= self.undo_stack.count():
            return
        command = self.undo_stack.command(index - 1 if step < 0 else index)
        self.undo_stack.setIndex(target)
        if command is not None and command.failed:
            # nothing changed on disk or on screen, so the history must not move either
            command.skip_redo = step < 0
            self.undo_stack.setIndex(index)

    def _restore(self, key: str, given: AnswerInput) -> bool:
        """Undo or redo: save an earlier answer again and show it."""
        if not self._record(key, given):
            return False
        widget = self.question_widget(key)
        widget.set_record(self.form.answers[key])
        self._apply_status(widget)
        focus = QApplication.focusWidget()
        self.show_question(key, take_focus=False)
        if focus is None or not focus.isVisible() or not self.isAncestorOf(focus):
            # the section changed under the focus: park it where a further Ctrl+Z still
            # undoes answers rather than the text of whatever field it would fall into
            self.nav.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def flush(self) -> None:
        """Save anything still waiting for a pause in typing (before leaving the form)."""
        for widget in list(self._widgets.values()):
            if widget.has_pending():
                widget.flush()

    def _on_focus_changed(self, _old, new) -> None:
        """Tint the question that holds the keyboard focus, so it is easy to follow."""
        widget = new
        while widget is not None and not isinstance(widget, QuestionWidget):
            widget = widget.parentWidget()
        if widget is self._current:
            return
        for question, value in ((self._current, False), (widget, True)):
            if question is not None:
                with contextlib.suppress(RuntimeError):  # gone with a reloaded form
                    question.set_current(value)
        self._current = widget

    # -- navigation commands ------------------------------------------------------------
    def current_question(self) -> str | None:
        focus = self.focusWidget()
        while focus is not None and not isinstance(focus, QuestionWidget):
            focus = focus.parentWidget()
        return focus.question.key if focus is not None else None

    def go_to_question(self, key: str) -> None:
        self.show_question(key, take_focus=True)

    def show_question(self, key: str, *, take_focus: bool) -> None:
        """Bring a question into view at the top of its section, and perhaps focus it."""
        question = self.form.framework.question(key)
        for item in self._nav_items():
            if item.data(0, SECTION_ROLE) == question.section_key:
                self.nav.setCurrentItem(item)
        page = self._page(question.section_key)
        self.stack.setCurrentWidget(page)
        widget = self.question_widget(key)
        if take_focus:
            widget.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
        # once the page is laid out, bring the question to the top of the view
        QTimer.singleShot(0, lambda: page.verticalScrollBar().setValue(max(0, widget.y() - 12)))

    def next_unanswered(self) -> None:
        self.flush()
        key = self.session.next_unanswered(self.current_question())
        if key is None:
            self.progress_label.setText(self.tr("✓ Every applicable question is answered, "
                                                "with its reasons and evidence"))
            return
        self.go_to_question(key)

    def check_for_errors(self) -> None:
        self.flush()
        problems = self.session.check_for_errors()
        self._apply_state()  # unanswered questions are flagged from now on
        dialog = ProblemsDialog(problems, self.form.framework, self.session.numbers, self)
        if run_modal(dialog) and dialog.chosen_key:
            self.go_to_question(dialog.chosen_key)

    def open_practice_examples(self) -> None:
        self.flush()
        run_modal(PracticeExamplesDialog(self._practice, self.form, self))

    def export_pdf(self) -> None:
        """The case form as a PDF for reading and filing."""
        self.flush()
        title = self.tr("Save as PDF")
        options = ExportOptionsDialog(title, self)
        if not run_modal(options):
            return
        pseudonymise = options.pseudonymised
        name = (self.tr("Case form (pseudonymised).pdf") if pseudonymise
                else f"Case {self.form.case.reference}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save case form as PDF"),
                                              str(Path.home() / name), self.tr("PDF (*.pdf)"))
        if not path:
            return
        case_id = self.form.case.id
        self._tasks.run_with_progress(
            self, title, self.tr("Writing {name}…").format(name=Path(path).name),
            lambda _report, _cancelled: self._review.export_pdf(
                case_id, Path(path), pseudonymise=pseudonymise),
            lambda pages: show_exported(self, title, self.tr(
                "Saved the case form ({pages} pages) to {path}.").format(pages=pages,
                                                                          path=path)),
            cancellable=False)

    def _edit_profile(self) -> None:
        self.flush()
        self.edit_profile_requested.emit(self.form.case.id)

    def _go_back(self) -> None:
        self.flush()
        self.back_requested.emit()


def _short_title(section: Section) -> str:
    """Inside a stage group the stage need not be repeated: 'Assessment — Risk of harm'."""
    for separator in (" — ", " - "):
        if separator in section.title:
            head, tail = section.title.split(separator, 1)
            if head.lower().startswith(STAGE_LABELS[section.stage].lower()[:6]):
                return tail
            if tail.lower().startswith(STAGE_LABELS[section.stage].lower()[:6]):
                return head
    return section.title

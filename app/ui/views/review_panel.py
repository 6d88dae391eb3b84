"""The review side of the case form: where the case stands, the moves the person may make
(submit, return, approve, unlock), the queries on its answers, and its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.case_events import CASE_EVENT, value_in_words
from app.core.dto import CaseForm, QueryThread
from app.core.queries import QUERY_KIND, QUERY_STATE, QueryKind, QueryState
from app.core.workflow import ACTION, CASE_STATUS, Action, Actor, note_missing
from app.ui.errors import operation
from app.ui.modal import run_modal
from app.ui.screens import fitted
from app.ui.theme import notice_label
from app.ui.widgets.tables import fill_table

if TYPE_CHECKING:
    from app.services.review import ReviewService

QUERY_ROLE = Qt.ItemDataRole.UserRole
WHERE_NEXT = {
    "not_started": "Not started.",
    "in_progress": "In progress: submit it for review once every question is answered.",
    "submitted": "Submitted: waiting for a supervisor to approve or return it.",
    "returned": "Returned by a supervisor: see the comment and any open queries, then "
                "submit it again.",
    "resubmitted": "Resubmitted: waiting for a supervisor.",
    "approved": "Approved and locked: read-only for everyone.",
}


class ReviewPanel(QWidget):
    """Emits ``changed`` after a move or a query (the form reloads), ``go_to(key)`` to show
    a question."""

    changed = Signal()
    go_to = Signal(str)

    def __init__(self, review: ReviewService, user: str, parent=None):
        super().__init__(parent)
        self._review, self._user = review, user
        self.form: CaseForm | None = None
        self.threads: list[QueryThread] = []
        self._numbers: dict[str, str] = {}
        self.current_question = lambda: None  # set by the form: the question in view
        self.setAccessibleName(self.tr("Review"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        heading = QLabel(self.tr("<b>Review</b>"))
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.last_comment = QLabel()
        self.last_comment.setWordWrap(True)
        # never squeezed below the lines its words take (the query list gives way instead)
        self.last_comment.setSizePolicy(QSizePolicy.Policy.Preferred,
                                        QSizePolicy.Policy.Minimum)
        notice_label(self.last_comment)
        self.buttons: dict[str, QPushButton] = {}
        moves = QVBoxLayout()
        for action, text in ((Action.SUBMIT, self.tr("&Submit for review")),
                             (Action.RETURN, self.tr("&Return to the inspector…")),
                             (Action.APPROVE, self.tr("&Approve and lock…")),
                             (Action.UNLOCK, self.tr("&Unlock…")),
                             (Action.TAKE_BACK, self.tr("&Take back from review"))):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, a=action: self.move(a))
            moves.addWidget(button)
            self.buttons[action] = button
        self.queries = QListWidget()
        self.queries.setAccessibleName(self.tr("Queries on this case's answers"))
        self.queries.setWordWrap(True)
        self.queries.itemActivated.connect(self._show_query)
        self.queries.currentItemChanged.connect(lambda *_: self._enable_query_buttons())
        self.raise_button = QPushButton(self.tr("&Query an answer…"))
        self.raise_button.clicked.connect(self.raise_query)
        self.reply_button = QPushButton(self.tr("Rep&ly…"))
        self.reply_button.clicked.connect(self.reply)
        self.close_button = QPushButton(self.tr("&Close query"))
        self.close_button.clicked.connect(self.close_query)
        query_buttons = QHBoxLayout()
        for button in (self.raise_button, self.reply_button, self.close_button):
            query_buttons.addWidget(button)
        self.history_button = QPushButton(self.tr("Case &history…"))
        self.history_button.clicked.connect(lambda: self.show_history(None))
        self.question_history_button = QPushButton(self.tr("History of the &question…"))
        self.question_history_button.clicked.connect(
            lambda: self.show_history(self.current_question()))
        layout.addWidget(heading)
        layout.addWidget(self.where)
        layout.addWidget(self.last_comment)
        layout.addLayout(moves)
        layout.addWidget(QLabel(self.tr("Queries")))
        layout.addWidget(self.queries, 1)
        layout.addLayout(query_buttons)
        history = QHBoxLayout()
        history.addWidget(self.history_button)
        history.addWidget(self.question_history_button)
        layout.addLayout(history)

    # -- showing ----------------------------------------------------------------------------
    def load(self, form: CaseForm, numbers: dict[str, str]) -> None:
        self.form, self._numbers = form, numbers
        state = self._review.state(form.case.id)
        self.actor = state.actor
        for action, button in self.buttons.items():
            button.setVisible(action in state.actions)
        self.where.setText(WHERE_NEXT.get(form.case.status, CASE_STATUS.label(
            form.case.status)))
        self.last_comment.setVisible(bool(state.returned_by))
        if state.returned_by:
            self.last_comment.setText(self.tr("{who}: “{note}”").format(
                who=state.returned_by, note=state.returned_note))
        self.threads = list(state.threads)
        self.queries.clear()
        for thread in sorted(self.threads, key=lambda t: (t.status == QueryState.CLOSED,
                                                          t.messages[0].at)):
            first, last = thread.messages[0], thread.messages[-1]
            text = (f"{self._numbers.get(thread.question_key, thread.question_key)} · "
                    f"{QUERY_STATE.label(thread.status)} · {first.by}: {first.text}")
            if len(thread.messages) > 1:
                text += f"\n   ↳ {last.by}: {last.text}" if last.text else ""
            item = QListWidgetItem(text)
            item.setData(QUERY_ROLE, thread.id)
            if thread.status != QueryState.CLOSED:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.queries.addItem(item)
        if self.queries.count():
            self.queries.setCurrentRow(0)  # the oldest query still open comes first
        self.raise_button.setVisible(self.actor == Actor.SUPERVISOR)
        self._enable_query_buttons()

    def open_queries(self) -> dict[str, QueryThread]:
        """Questions with a query not yet closed (the form highlights them)."""
        return {t.question_key: t for t in self.threads if t.status != QueryState.CLOSED}

    def _selected(self) -> QueryThread | None:
        item = self.queries.currentItem()
        if item is None:
            return None
        return next((t for t in self.threads if t.id == item.data(QUERY_ROLE)), None)

    def _enable_query_buttons(self) -> None:
        thread = self._selected()
        is_open = thread is not None and thread.status != QueryState.CLOSED
        self.reply_button.setVisible(self.actor == Actor.INSPECTOR)
        self.close_button.setVisible(self.actor == Actor.SUPERVISOR)
        self.reply_button.setEnabled(is_open)
        self.close_button.setEnabled(is_open)

    def _show_query(self, item: QListWidgetItem) -> None:
        thread = self._selected()
        if thread is not None:
            self.go_to.emit(thread.question_key)

    # -- moves ------------------------------------------------------------------------------
    def move(self, action: str) -> None:
        review, case_id = self._review, self.form.case.id
        label = ACTION.label(action)
        if action == Action.SUBMIT:
            if not self._submit_confirmed():
                return
            run = lambda: review.submit(case_id)  # noqa: E731
        elif action == Action.TAKE_BACK:
            run = lambda: review.take_back(case_id)  # noqa: E731
        elif action == Action.APPROVE:
            sign_off, ok = QInputDialog.getText(
                self, label, self.tr("To sign this case form off, type your login ({user}).")
                .format(user=self._user))
            if not ok:
                return
            run = lambda: review.approve(case_id, sign_off)  # noqa: E731
        else:
            prompt = (self.tr("What should the inspector look at again?")
                      if action == Action.RETURN
                      else self.tr("Why must the approved case form change? The approval "
                                   "is voided."))
            note = self._note_for(action, label, prompt)
            if note is None:
                return
            run = (lambda: review.return_case(case_id, note)) if action == Action.RETURN \
                else (lambda: review.unlock(case_id, note))
        self._run(run, label)

    def _submit_confirmed(self) -> bool:
        """Submitting locks the form until a supervisor acts on it: asked first."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Submit for review"),
                          self.tr("Submit case {ref} for review?").format(
                              ref=self.form.case.reference),
                          QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(self.tr(
            "A supervisor will approve it or return it to you. Until then its answers can be "
            "read but not changed; you can take it back from review until they act on it."))
        submit = box.addButton(self.tr("&Submit"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(submit)
        answered = box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        return clicked is submit or (clicked is None and answered == QDialog.DialogCode.Accepted)

    def _note_for(self, action: str, label: str, prompt: str) -> str | None:
        """The comment or reason a move needs, asked until it will do: left empty, it is
        asked for again, saying why, rather than the dialog closing and the move being
        refused afterwards. None if the person cancels."""
        note, missing = "", None
        while True:
            shown = prompt if missing is None else f"{missing[0]} {missing[1]}\n\n{prompt}"
            note, ok = QInputDialog.getMultiLineText(self, label, shown, note)
            if not ok:
                return None
            missing = note_missing(self.form.case.status, action, note)
            if missing is None:
                return note

    def raise_query(self) -> None:
        keys = [q.key for q in self.form.framework.questions()]
        choices = [f"{self._numbers[k]}  {self.form.framework.question(k).text}" for k in keys]
        current = self.current_question()
        start = keys.index(current) if current in keys else 0
        choice, ok = QInputDialog.getItem(self, self.tr("Query an answer"),
                                          self.tr("Which answer?"), choices, start, False)
        if not ok:
            return
        key = keys[choices.index(choice)]
        text, ok = QInputDialog.getMultiLineText(self, self.tr("Query an answer"),
                                                 self.tr("Your query:"))
        if ok:
            self._run(lambda: self._review.raise_query(
                case_id=self.form.case.id, question_key=key, text=text),
                self.tr("Query an answer"))

    def reply(self) -> None:
        thread = self._selected()
        if thread is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, self.tr("Reply to the query"),
            self.tr("{who} asked: {text}\n\nYour reply (change the answer itself on the form "
                    "if it needs changing):").format(who=thread.raised_by,
                                                    text=thread.messages[0].text))
        if ok:
            self._run(lambda: self._review.respond(thread.id, text),
                      self.tr("Reply to the query"))

    def close_query(self) -> None:
        thread = self._selected()
        if thread is not None:
            self._run(lambda: self._review.close_query(thread.id),
                      self.tr("Close query"))

    def _run(self, run, title: str) -> None:
        with operation(self, title) as done:
            run()
        if not done.failed:
            self.changed.emit()

    def show_history(self, question_key: str | None) -> None:
        run_modal(HistoryDialog(self._review, self.form, self._numbers, question_key,
                               self))


class HistoryDialog(QDialog):
    """The case's review history and its audit trail (whole case, or one question)."""

    def __init__(self, review: ReviewService, form: CaseForm, numbers: dict[str, str],
                 question_key: str | None, parent=None):
        super().__init__(parent)
        title = self.tr("History of case {ref}").format(ref=form.case.reference)
        if question_key is not None:
            title += " — " + self.tr("question {number}").format(
                number=numbers.get(question_key, question_key))
        self.setWindowTitle(title)
        rows = [(e.at, e.by, CASE_EVENT.label(e.action), "", e.note)
                for e in review.events(form.case.id)]
        for thread in review.queries(form.case.id):
            where = numbers.get(thread.question_key, thread.question_key)
            rows += [(m.at, m.by, self._did(m.kind), where, m.text) for m in thread.messages]
        for entry in review.audit(form.case.id):
            where = (f"{numbers.get(entry.question_key, entry.question_key)}"
                     if entry.question_key else self.tr("Case"))
            for field, (old, new) in entry.changes.items():
                said = [value_in_words(form.framework, entry.question_key, field, value)
                        for value in (old, new)]
                rows.append((entry.at, entry.by, self.tr("Changed {field}").format(
                    field=field.replace("_", " ")), where, " → ".join(said)))
        rows.sort(key=lambda r: r[0])
        self.table = QTableWidget()
        fill_table(self.table, [self.tr("When"), self.tr("Who"), self.tr("What"),
                                self.tr("Question"), self.tr("Detail")],
                   [[at.astimezone().strftime("%d/%m/%Y %H:%M"), by, what, where, detail]
                    for at, by, what, where, detail in rows])
        if question_key is not None:  # that question's changes and queries only
            number = numbers.get(question_key)
            for r in range(len(rows)):
                self.table.setRowHidden(r, self.table.item(r, 3).text() != number)
        note = QLabel(self.tr("The history is kept as it happened and cannot be changed."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(fitted(self, 900, 480))

    def _did(self, kind: str) -> str:
        """What a query message did, as the history says it."""
        return {QueryKind.RAISE: self.tr("Raised a query"),
                QueryKind.RESPOND: self.tr("Replied to a query"),
                QueryKind.CLOSE: self.tr("Closed a query")}.get(kind, QUERY_KIND.label(kind))


"""In the window: a supervisor raises a query and returns a case, the inspector sees both,
replies and resubmits, the supervisor approves and the case is locked."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from app.ui.dialogs.rating_decision_dialog import RatingDecisionDialog
from app.ui.dialogs.review_queue_dialog import ReviewQueueDialog
from app.ui.main_window import MainWindow
from tests.conftest import MINI_FRAMEWORKS, open_as
from tests.integration.helpers import make_case, make_inspection
from tests.integration.test_review import complete

SHOTS = os.environ.get("ASPIRE_SCREENSHOTS")  # a folder to keep the pictures in, if set


def answer_dialogs(monkeypatch, *, text: str = "", item_containing: str = "",
                   login: str = "") -> None:
    """What the person types into the next prompts."""
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: (text, True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (login, True))
    monkeypatch.setattr(QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (
        next(i for i in items if item_containing in i), True))


def answer_submit(choice: str = "Submit") -> None:
    """Click ``choice`` in the confirmation the next submit asks for."""
    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        next(b for b in box.buttons() if choice in b.text().replace("&", "")).click()

    QTimer.singleShot(0, click)


def shoot(widget, name: str) -> None:
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))


@pytest.fixture
def people(qtbot, db_path):
    inspector = open_as(db_path, "inspector.one", MINI_FRAMEWORKS)
    inspection = make_inspection(inspector)
    inspector.inspections.add_member(inspection_id=inspection.id, person="supervisor.sam",
                                     role="supervisor")
    case = make_case(inspector, "X1", inspection=inspection)
    complete(inspector, case.id)
    supervisor = open_as(db_path, "supervisor.sam", MINI_FRAMEWORKS)
    windows = []
    for services in (inspector, supervisor):
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
    yield windows, case
    for window, services in zip(windows, (inspector, supervisor), strict=True):
        window.close()
        services.close()


def test_query_return_reply_resubmit_approve(people, monkeypatch, qtbot):
    (mine, theirs), case = people
    mine.open_case(case.id)
    form = mine.form_page
    buttons = form.review.buttons
    assert [a for a, b in buttons.items() if b.isVisibleTo(form)] == ["submit"]
    answer_submit("Cancel")  # asked first: cancelled, nothing changes
    buttons["submit"].click()
    assert form.form.case.status == "in_progress" and form.form.editable
    answer_submit()
    buttons["submit"].click()
    assert [a for a, b in buttons.items() if b.isVisibleTo(form)] == ["take_back"]
    buttons["take_back"].click()  # submitted by mistake: taken back, answers open again
    assert form.form.case.status == "in_progress" and form.form.editable
    answer_submit()
    buttons["submit"].click()
    assert form.form.case.status == "submitted" and not form.form.editable
    assert form.locked_banner.isVisibleTo(form)

    # the supervisor finds it in the queue, queries one answer and returns the case
    queue = ReviewQueueDialog(theirs._services.review, None, theirs)
    qtbot.addWidget(queue)
    assert queue.model.rowCount() == 1
    queue.open_case.connect(theirs.open_case)
    queue._chosen(queue.table.model().index(0, 0))
    review = theirs.form_page.review
    assert [a for a, b in review.buttons.items() if b.isVisibleTo(review)] == [
        "return", "approve"]
    answer_dialogs(monkeypatch, text="Which record names the victim?",
                   item_containing="identifiable victim")
    review.raise_button.click()
    assert review.queries.count() == 1
    shoot(theirs, "supervisor-queries-an-answer")
    answer_dialogs(monkeypatch, text="Please evidence the victim question")
    review.buttons["return"].click()
    assert theirs.form_page.form.case.status == "returned"

    # the inspector sees the return, its comment and the query on the question
    mine.show_cases()
    status_column = 1
    row = mine.cases_page.case_table.model().index(0, status_column)
    assert row.data() == "Returned"
    mine.open_case(case.id)
    assert form.form.editable
    assert "Please evidence the victim question" in form.review.last_comment.text()
    victim = form.question_widget("victim")
    assert victim.query_label.isVisibleTo(victim)
    assert "Which record names the victim?" in victim.query_label.text()
    form.go_to_question("victim")
    shoot(mine, "inspector-sees-the-query")
    form.review.queries.setCurrentRow(0)
    answer_dialogs(monkeypatch, text="The police call-out log of 3 March")
    form.review.reply_button.click()
    assert form.review.threads[0].status == "responded"
    answer_submit()
    form.review.buttons["submit"].click()
    assert form.form.case.status == "resubmitted"

    # the supervisor closes the query and signs the case off
    theirs.open_case(case.id)
    review.queries.setCurrentRow(0)
    review.close_button.click()
    assert review.threads[0].status == "closed"
    answer_dialogs(monkeypatch, login="someone.else")
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    review.buttons["approve"].click()
    assert shown and "sign-off does not match" in shown[0]
    assert theirs.form_page.form.case.status == "resubmitted"
    answer_dialogs(monkeypatch, login="supervisor.sam")
    review.buttons["approve"].click()
    assert theirs.form_page.form.case.status == "approved"
    assert [a for a, b in review.buttons.items() if b.isVisibleTo(review)] == ["unlock"]

    mine.open_case(case.id)
    assert not form.form.editable and form.locked_banner.isVisibleTo(form)
    assert not any(b.isVisibleTo(form) for b in form.review.buttons.values())
    victim = form.question_widget("victim")
    assert not victim.query_label.isVisibleTo(victim)  # the query is closed
    shoot(mine, "approved-and-locked")


def test_an_empty_return_comment_is_asked_for_again_not_refused_afterwards(people, monkeypatch,
                                                                         qtbot):
    (mine, theirs), case = people
    mine._services.review.submit(case.id)
    theirs.open_case(case.id)
    replies, asked = ["   ", "Look again at the victim question."], []

    def answer(_parent, _title, prompt, text=""):
        asked.append((prompt, text))
        return replies.pop(0), True

    monkeypatch.setattr(QInputDialog, "getMultiLineText", answer)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    theirs.form_page.review.buttons["return"].click()
    assert len(asked) == 2 and "needs a comment" in asked[1][0] and shown == []
    assert mine._services.forms.open(case.id).case.status == "returned"
    assert theirs._services.review.events(case.id)[-1].note == "Look again at the victim question."


def test_the_queue_starts_with_the_case_form_waiting_longest(people, qtbot):
    (mine, theirs), first = people
    services = mine._services
    inspection_id = services.forms.open(first.id).case.inspection_id
    later = [make_case(services, ref, inspection=services.inspections.get(inspection_id))
             for ref in ("Z9", "A1")]
    for case in later:
        complete(services, case.id)
    for case in (first, *later):  # submitted X1, then Z9, then A1
        services.review.submit(case.id)
    queue = ReviewQueueDialog(theirs._services.review, None, theirs)
    qtbot.addWidget(queue)
    table = queue.table.model()
    shown = [table.index(r, 0).data() for r in range(table.rowCount())]
    assert shown == ["X1", "Z9", "A1"]  # as submitted, not by reference
    assert queue.table.currentIndex().row() == 0 and "oldest first" in queue.summary.text()


def test_history_of_the_case_and_of_one_question(people, monkeypatch, qtbot):
    from app.ui.views.review_panel import HistoryDialog
    (mine, _theirs), case = people
    services = mine._services
    services.forms.record_answer(case_id=case.id, question_key="victim", value="no",
                                 evidence="No victim named")
    services.review.submit(case.id)
    mine.open_case(case.id)
    form = mine.form_page

    def rows(dialog) -> list[list[str]]:
        table = dialog.table
        return [[table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())
                if not table.isRowHidden(r)]

    whole = HistoryDialog(services.review, form.form, form.session.numbers, None)
    qtbot.addWidget(whole)
    everything = rows(whole)
    assert any(r[2] == "Submit for review" for r in everything)
    # in the words the form uses, never the stored codes
    assert ["Changed status", "Case", "Not started → In progress"] in [r[2:] for r in everything]
    one = HistoryDialog(services.review, form.form, form.session.numbers, "victim")
    qtbot.addWidget(one)
    victim = rows(one)
    assert {r[3] for r in victim} == {form.session.numbers["victim"]}
    assert [r[4] for r in victim if r[2] == "Changed value"] == ["— → Yes", "Yes → No"]
    assert "question 1.1" in one.windowTitle()


def test_the_dashboard_updates_when_a_case_is_approved(people, monkeypatch, qtbot):
    (mine, theirs), case = people
    mine._services.review.submit(case.id)
    theirs.cases_page.reload()
    theirs.open_dashboard()
    dashboard = theirs.dashboard
    qtbot.waitUntil(lambda: dashboard.rated is not None, timeout=10000)
    assert dashboard.rated.cases == 0
    assert dashboard.counted.text() == "Rated from 0 approved case form(s) of 1 case(s)."
    assert "workbook and 'aspire ratings' rate the approved case forms too" in \
        dashboard.counted.toolTip()
    progress = [[dashboard.progress.item(0, c).text()
                 for c in range(dashboard.progress.columnCount())]]
    assert progress[0][0] == "All inspectors" and progress[0][-1] == "1"

    theirs.open_case(case.id)
    answer_dialogs(monkeypatch, login="supervisor.sam")
    theirs.form_page.review.buttons["approve"].click()
    qtbot.waitUntil(lambda: dashboard.rated.cases == 1, timeout=10000)
    assert dashboard.counted.text() == "Rated from 1 approved case form(s) of 1 case(s)."
    victim = next(q for q in dashboard.rated.questions if q.tally.total)
    # one approved form is fewer than the rules' minimum: shown, and too few to rate
    assert (victim.band, victim.shown_band) == (None, "Too few to rate")
    row = next(r for r in range(dashboard.key_table.rowCount())
               if dashboard.key_table.item(r, 3).text() == "1 / 1")
    assert dashboard.key_table.item(row, 6).text() == "Too few to rate"
    rows = dashboard.key_table.rowCount()
    assert rows == len(dashboard.rated.questions) > 0
    dashboard.tabs.setCurrentIndex(1)
    shoot(dashboard, "dashboard-key-questions")
    dashboard.tabs.setCurrentIndex(2)
    shoot(dashboard, "dashboard-breakdowns")


def test_the_lead_inspector_records_a_rating_from_the_dashboard(people, qtbot):
    """The lead inspector opens Record a rating, chooses the service overall, a rating and
    the reason, and the dashboard says it; the supervisor's attempt is refused in the
    dialog, which stays open with what was typed."""
    (mine, theirs), _case = people
    mine.open_dashboard()
    dashboard = mine.dashboard
    qtbot.waitUntil(lambda: dashboard.rated is not None, timeout=10000)
    assert dashboard.record.isEnabled()
    seen = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RatingDecisionDialog):
            QTimer.singleShot(10, fill)
            return
        seen.append(dialog.arithmetic.text())
        dialog.target.setCurrentIndex(dialog.target.findData("overall"))
        seen.append(dialog.arithmetic.text())
        dialog.rating.setCurrentIndex(dialog.rating.findData("Inadequate"))
        qtbot.keyClicks(dialog.reason, "Cases seen on the day were far weaker")
        assert not dialog.withdraw.isEnabled()
        shoot(dialog, "record-a-rating")
        dialog.accept()

    QTimer.singleShot(0, fill)
    dashboard.record.click()
    assert seen[1].startswith("Gives no rating:")
    qtbot.waitUntil(lambda: dashboard.rated.overall.decision is not None, timeout=10000)
    assert dashboard.rules_note.text().startswith(
        "Overall: Inadequate (recorded by inspector.one on ")

    theirs.open_dashboard()
    other = theirs.dashboard
    qtbot.waitUntil(lambda: other.rated is not None, timeout=10000)
    told = []

    def refused() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RatingDecisionDialog):
            QTimer.singleShot(10, refused)
            return
        dialog.target.setCurrentIndex(dialog.target.findData("overall"))
        # the rating recorded is shown, and may be withdrawn
        assert dialog.withdraw.isEnabled() and dialog.rating.currentData() == "Inadequate"
        dialog.reason.setPlainText("Supervisor's view")
        dialog.accept()
        told.append((dialog.isVisible(), dialog.error.text()))
        dialog.reject()

    QTimer.singleShot(0, refused)
    other.record.click()
    assert told and told[0][0] and "Only the lead inspector" in told[0][1]

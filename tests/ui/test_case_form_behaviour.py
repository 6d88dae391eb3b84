"""How the case form responds: applicability, saving, errors, practice examples, lists."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.dialogs.practice_dialog import PracticeExamplesDialog
from app.ui.models.case_columns import CASE_COLUMNS
from app.ui.models.tables import RecordTableModel
from tests.integration.helpers import make_case


def open_case(window, **profile):
    case = make_case(window._services, **profile)
    window.cases_page.reload()
    window.open_case(case.id)
    return case, window.form_page


def focused_answer(qtbot, page, key: str = "victim"):
    """The answer of question ``key``, holding the keyboard focus (as after a click)."""
    answer = page.question_widget(key).focus_target()
    answer.setFocus()
    qtbot.waitUntil(answer.hasFocus)
    return answer


def test_answering_saves_at_once_and_updates_applicability(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    follow_up = page.question_widget("victim_assessment")
    assert not follow_up.isEnabled() and "It applies when" in follow_up.status_label.text()
    page.question_widget("victim").control._buttons["yes"].click()
    assert page.saved.state == "saved"
    assert window._services.forms.open(case.id).answers["victim"].value == "yes"
    assert follow_up.isEnabled() and follow_up.status_label.text() == ""
    nav_text = page._nav_items()[0].text(0)
    assert "(1/2)" in nav_text and nav_text.startswith("●")


def test_a_no_reveals_reasons_and_typing_is_saved_after_a_pause(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    page.nav.setCurrentItem(page._nav_items()[1])
    widget = page.question_widget("rosh_assessment")
    assert widget.reasons_box is None  # built only when a "No" first needs it
    widget.control._buttons["no"].click()
    assert widget.reasons_box.isVisibleTo(widget)
    assert widget.status_label.text() == ("Choose at least one reason for the No · "
                                          "Add an evidence note")
    widget.reason_boxes["not_timely"].click()
    widget.evidence.setPlainText("Assessment completed eight weeks after allocation.")
    assert widget.has_pending()  # waiting for a pause in typing
    qtbot.waitUntil(lambda: not widget.has_pending(), timeout=3000)
    stored = window._services.forms.open(case.id).answers["rosh_assessment"]
    assert stored.reasons == ("not_timely",)
    assert stored.evidence == "Assessment completed eight weeks after allocation."
    assert widget.status_label.text() == ""


def test_unreadable_date_is_not_saved_and_says_why(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    widget = page.question_widget("seen_on")
    widget.control._edit.setText("31/02/2026")
    widget.flush()
    assert page.saved.state == "failed"
    assert "'31/02/2026' is not a date" in widget.status_label.text()
    assert "seen_on" not in window._services.forms.open(case.id).answers


def test_leaving_the_form_saves_pending_typing(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    page.question_widget("comment").control._edit.setPlainText("Seen at the office.")
    page._go_back()
    assert window._services.forms.open(case.id).answers["comment"].value == "Seen at the office."
    assert window.stack.currentWidget() is window.cases_page


def test_locked_case_is_read_only(qtbot, open_window, db):
    from app.db import models as m
    window = open_window()
    case = make_case(window._services)
    with db.write() as session:
        session.get(m.Case, case.id).status = "approved"
    window.cases_page.reload()
    window.open_case(case.id)
    page = window.form_page
    assert page.locked_banner.isVisibleTo(page)
    widgets = list(page._widgets.values())
    # nothing can be changed, yet the answers stay readable (not greyed out)
    assert widgets and not any(w.control.isEnabled() for w in widgets)
    assert all(w.evidence.isReadOnly() for w in widgets if w.evidence is not None)
    applicable = [w for w in widgets if w.state != "na"]
    assert applicable and all(w.isEnabled() for w in applicable)


def test_a_supervisor_reads_a_case_form_and_is_told_they_review_it(qtbot, open_window):
    window = open_window()
    case = make_case(window._services)
    window._services.inspections.add_member(inspection_id=case.inspection_id,
                                            person="inspector.one", role="supervisor")
    window.cases_page.reload()
    window.open_case(case.id)
    page = window.form_page
    assert page.locked_banner.isVisibleTo(page)
    assert "review this case as its supervisor" in page.locked_banner.text()
    widgets = list(page._widgets.values())
    assert widgets and not any(w.control.isEnabled() for w in widgets)


def test_practice_example_is_saved_as_it_is_written(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    dialog = PracticeExamplesDialog(window._services.practice, page.form, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.kind.set_code("quotation")
    dialog.speaker.set_code("service_user")
    dialog.cleared.setChecked(True)
    dialog.narrative.setPlainText("\"She listened to me.\"")
    qtbot.waitUntil(lambda: dialog.saved.state == "saved", timeout=3000)
    [example] = window._services.practice.list(case.id)
    assert (example.kind, example.speaker_role, example.cleared_for_publication) == (
        "quotation", "service_user", True)
    assert dialog.list.count() == 1 and "cleared" in dialog.list.item(0).text()


def test_case_list_filters_by_any_visible_column(qtbot, open_window):
    window = open_window()
    make_case(window._services, "X1", gender="female")
    make_case(window._services, "X2", gender="male")
    window.cases_page.reload()
    page = window.cases_page
    assert page._case_filter.rowCount() == 2
    page.filter_edit.setText("female")
    assert page._case_filter.rowCount() == 1
    assert page._case_filter.index(0, 0).data() == "X1"
    assert "1 of 2 cases shown" in page.count_label.text()


def test_record_table_model_is_a_well_behaved_qt_model(qtmodeltester, mini):
    model = RecordTableModel(CASE_COLUMNS)
    model.set_rows([make_case(mini, "X1"), make_case(mini, "X2")])
    qtmodeltester.check(model)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Reference"


def test_none_of_these_clears_the_other_ticks(qtbot, open_window):
    from app.config import frameworks_dir
    from tests.integration.helpers import make_inspection
    window = open_window(frameworks_dir())
    inspection = make_inspection(window._services, "adult-probation")
    case = make_case(window._services, inspection=inspection)
    window.cases_page.reload()
    window.open_case(case.id)
    control = window.form_page.question_widget("needs_identified").control
    control._boxes["accommodation"].click()
    control._boxes["drug_misuse"].click()
    control._boxes["none"].click()
    assert control.value() == ["none"]
    control._boxes["accommodation"].click()
    assert control.value() == ["accommodation"]
    stored = window._services.forms.open(case.id).answers["needs_identified"].value
    assert stored == ["accommodation"]


def test_undo_and_redo_an_answer_as_new_revisions(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    widget = page.question_widget("victim")
    widget.control._buttons["yes"].click()
    widget.control._buttons["no"].click()
    widget.control._buttons["yes"].click()  # merged with the change before: one undo step
    page.question_widget("officers").control._edit.setText("3")
    page.question_widget("officers").flush()
    assert page.undo_stack.count() == 2
    widget.focus_target().setFocus()
    qtbot.waitUntil(lambda: widget.focus_target().hasFocus())
    qtbot.keyClick(widget.focus_target(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    answers = window._services.forms.open(case.id).answers
    assert answers["officers"].value is None and answers["victim"].value is None
    assert answers["victim"].rev == 4  # yes, no, yes, then the undo: all kept as revisions
    assert widget.answer().value is None
    page.redo_action.trigger()
    assert window._services.forms.open(case.id).answers["victim"].value == "yes"
    assert widget.answer().value == "yes"


def test_choosing_another_example_while_typing_keeps_both(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    services = window._services
    first = services.practice.save(case_id=case.id, kind="good_practice",
                                   narrative="Joint visits with the housing worker.")
    dialog = PracticeExamplesDialog(services.practice, page.form, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._new()
    dialog.narrative.setPlainText("Risk to the partner was not assessed.")
    assert dialog._pause.isActive()  # not yet saved: the inspector clicks away first
    dialog.list.setCurrentRow(0)
    assert dialog.narrative.toPlainText() == "Joint visits with the housing worker."
    assert dialog.list.currentItem().data(Qt.ItemDataRole.UserRole).id == first.id
    narratives = sorted(e.narrative for e in services.practice.list(case.id))
    assert narratives == ["Joint visits with the housing worker.",
                          "Risk to the partner was not assessed."]
    assert dialog.list.count() == 2


def test_undo_saves_typing_in_progress_first(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    comment = page.question_widget("comment")
    comment.control._edit.setPlainText("Seen at the office.")
    comment.flush()
    comment.control._edit.setPlainText("Seen at the office and at home.")
    assert comment.has_pending()
    page.undo_action.trigger()  # from the toolbar: focus never left the field
    answers = window._services.forms.open(case.id).answers
    # the burst of typing on this question is undone as one step, but only after the text
    # in progress was saved (revision 2), so redo brings all of it back
    assert answers["comment"].value is None and answers["comment"].rev == 3
    assert comment.answer().value == ""
    page.redo_action.trigger()
    assert window._services.forms.open(case.id).answers["comment"].value == (
        "Seen at the office and at home.")


def test_an_undo_that_cannot_be_saved_leaves_the_history_where_it_was(qtbot, open_window, db):
    from app.db import models as m
    window = open_window()
    case, page = open_case(window)
    page.question_widget("victim").control._buttons["yes"].click()
    with db.write() as session:
        session.get(m.Case, case.id).status = "approved"  # locked elsewhere meanwhile
    page.undo_action.trigger()
    assert page.saved.state == "failed"
    assert page.undo_stack.index() == 1 and page.undo_action.isEnabled()
    assert window._services.forms.open(case.id).answers["victim"].value == "yes"


def test_later_changes_to_the_same_question_are_separate_undo_steps(qtbot):
    """Changes moments apart to one question undo together; later ones, or another
    question's, are steps of their own. A change folded in leaves nothing behind in memory,
    nor does any change once the history is cleared (as when another case is opened)."""
    import weakref

    from PySide6.QtGui import QUndoStack

    from app.core.answers import AnswerInput
    from app.ui.views.answer_undo import MERGE_SECONDS, AnswerChange, record_change

    stack, made = QUndoStack(), []

    def change(key, before, after, at):
        command = AnswerChange(key, "1.1", AnswerInput(before), AnswerInput(after),
                               lambda *_: True)
        command.changed_at = at
        made.append(weakref.ref(command))
        record_change(stack, command)

    change("victim", None, "yes", 100.0)
    change("victim", "yes", "no", 100.0 + MERGE_SECONDS / 2)
    assert stack.count() == 1 and stack.command(0).after.value == "no"
    change("victim", "no", "yes", 100.0 + MERGE_SECONDS * 3)
    change("needs", None, ["x"], 100.0 + MERGE_SECONDS * 3)
    assert stack.count() == 3
    assert made[1]() is None  # folded into the first, and let go
    stack.clear()
    assert [ref() for ref in made] == [None] * 4


def test_logging_off_saves_pending_typing_and_is_not_taken_for_a_crash(qtbot, open_window,
                                                                       tmp_path):
    """Windows ends the process soon after asking the app to save its data: what is being
    typed is saved then, and the run counts as ended cleanly."""
    from app.ui.app import session_ending
    from app.ui.run_marker import RunMarker

    window = open_window()
    case, page = open_case(window)
    page.question_widget("comment").control._edit.setPlainText("Seen at the office.")
    marker = RunMarker.start(tmp_path / "logs")
    session_ending(window, marker)
    assert window._services.forms.open(case.id).answers["comment"].value == "Seen at the office."
    assert list((tmp_path / "logs").glob("running-*")) == []
    next_start = RunMarker.start(tmp_path / "logs")
    next_start.finish()
    assert not next_start.closed_unexpectedly_before


def _luminance(colour) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green())
            + 0.0722 * channel(colour.blue()))


def test_the_read_only_banner_stays_readable_in_a_dark_theme(qtbot, open_window):
    """Its pale background is its own, so its text colour must be too: measured on the
    banner as drawn, under a dark palette."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette()
    dark = QPalette(before)
    for role, colour in ((QPalette.ColorRole.Window, "#202020"),
                         (QPalette.ColorRole.WindowText, "#eeeeee"),
                         (QPalette.ColorRole.Text, "#eeeeee")):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    try:
        window = open_window()
        case = make_case(window._services)
        window._services.inspections.add_member(inspection_id=case.inspection_id,
                                                person="inspector.one", role="supervisor")
        window.cases_page.reload()
        window.open_case(case.id)
        image = window.form_page.locked_banner.grab().toImage()
    finally:
        app.setPalette(before)
    shades = [_luminance(image.pixelColor(x, y)) for x in range(0, image.width(), 2)
              for y in range(image.height())]
    lightest, darkest = max(shades), min(shades)
    assert (lightest + 0.05) / (darkest + 0.05) >= 4.5


def test_wording_written_afresh_is_a_marker_whose_tooltip_says_so_and_where_from(
        qtbot, open_window):
    from PySide6.QtWidgets import QLabel

    from app.ui.widgets.question_widget import RECONSTRUCTED_MARK, RECONSTRUCTED_NOTE

    window = open_window()
    _case, page = open_case(window)
    page.go_to_question("custody_planning")
    written = page.question_widget("custody_planning")
    marks = [w for w in written.findChildren(QLabel) if w.text() == RECONSTRUCTED_MARK]
    assert len(marks) == 1 and marks[0].toolTip().startswith(RECONSTRUCTED_NOTE)
    assert marks[0].accessibleName() == RECONSTRUCTED_NOTE
    assert not any("reconstructed" in w.text().lower() for w in written.findChildren(QLabel))
    verbatim = page.question_widget("victim_assessment")
    assert not [w for w in verbatim.findChildren(QLabel) if w.text() == RECONSTRUCTED_MARK]

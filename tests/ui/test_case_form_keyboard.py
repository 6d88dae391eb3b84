"""An inspector creates an inspection and a case, and answers a whole form by keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
)

from app.ui.dialogs.case_dialog import CaseDialog
from app.ui.dialogs.inspection_dialog import InspectionDialog
from app.ui.dialogs.problems_dialog import ProblemsDialog
from app.ui.widgets.question_widget import QuestionWidget
from tests.ui.conftest import focused


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.waitUntil(lambda: focused() is not None)
    qtbot.keyClick(focused(), key, modifier)


def type_text(qtbot, text: str):
    qtbot.keyClicks(focused(), text)


def question_of(widget) -> QuestionWidget:
    while not isinstance(widget, QuestionWidget):
        widget = widget.parentWidget()
    return widget


def create_inspection_by_keyboard(qtbot, window):
    dialog = InspectionDialog(window._services.inspections, window._services.frameworks, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: focused() is dialog.name)
    type_text(qtbot, "Northshire probation")
    press(qtbot, Qt.Key.Key_Tab)  # programme: adult probation is the default
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Northshire CRC")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Northshire")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "07/09/2026")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "18/09/2026")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.created is not None)
    return dialog.created


def add_case_by_keyboard(qtbot, window, inspection):
    dialog = CaseDialog(window._services.cases, inspection_id=inspection.id,
                        programme=inspection.programme, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: focused() is dialog.reference)
    type_text(qtbot, "X123456")
    press(qtbot, Qt.Key.Key_Tab)  # provider
    type_text(qtbot, "C")  # jumps to "Community Rehabilitation Company (CRC)"
    press(qtbot, Qt.Key.Key_Tab)  # sentence
    press(qtbot, Qt.Key.Key_Tab)  # phase
    type_text(qtbot, "Com")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.saved is not None)
    return dialog.saved


def answer_focused_question(qtbot, page) -> str:
    """Answer whatever question has the focus, as a person at the keyboard would."""
    widget = focused()
    question = question_of(widget)
    key = question.question.key
    if key == "rosh_assessment":  # a "No", with a reason and an evidence note
        press(qtbot, Qt.Key.Key_Right)
        press(qtbot, Qt.Key.Key_Space)
        press(qtbot, Qt.Key.Key_Tab)
        assert isinstance(focused(), QCheckBox)
        press(qtbot, Qt.Key.Key_Space)
        press(qtbot, Qt.Key.Key_Tab)
        press(qtbot, Qt.Key.Key_Tab)
        press(qtbot, Qt.Key.Key_Tab)
        assert isinstance(focused(), QPlainTextEdit)
        type_text(qtbot, "No risk assessment on file.")
        press(qtbot, Qt.Key.Key_Tab)  # leaving the field saves it
    elif isinstance(widget, QRadioButton | QCheckBox):
        press(qtbot, Qt.Key.Key_Space)
    elif isinstance(widget, QLineEdit):
        type_text(qtbot, "12/01/2026" if key == "seen_on" else "2")
        press(qtbot, Qt.Key.Key_Tab)
    else:
        raise AssertionError(f"no keyboard recipe for {type(widget).__name__} in {key}")
    return key


def test_whole_form_by_keyboard_survives_a_restart(qtbot, open_window):
    window = open_window()
    inspection = create_inspection_by_keyboard(qtbot, window)
    window.cases_page.reload(select=inspection.id)
    case = add_case_by_keyboard(qtbot, window, inspection)
    window.cases_page.reload(select=inspection.id)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.cases_page.case_table.setFocus()
    qtbot.waitUntil(lambda: focused() is window.cases_page.case_table)
    press(qtbot, Qt.Key.Key_Return)  # open the selected case
    page = window.form_page
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page)

    answered = []
    for _ in range(30):
        press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)  # next unanswered
        if page.form.state.next_unanswered() is None:
            break
        qtbot.waitUntil(lambda: isinstance(focused(), QRadioButton | QCheckBox | QLineEdit))
        answered.append(answer_focused_question(qtbot, page))
    assert page.form.state.problems() == []
    assert page.saved.state == "saved"
    # the victim follow-up appeared once "Yes" was given; the custody one never (community)
    assert "victim_assessment" in answered
    assert answered.index("victim_assessment") > answered.index("victim")
    assert "custody_planning" not in answered
    assert not page.form.state.questions["custody_planning"].applicable

    form = window._services.forms.open(case.id)
    stored = {k: (r.value, r.reasons, r.evidence) for k, r in form.answers.items()}
    window.close()

    reopened = open_window()
    again = reopened._services.forms.open(case.id)
    assert {k: (r.value, r.reasons, r.evidence) for k, r in again.answers.items()} == stored
    assert stored["rosh_assessment"] == ("no", ("not_done",), "No risk assessment on file.")
    assert stored["officers"][0] == 2 and stored["seen_on"][0] == "2026-01-12"
    assert again.state.percent == 100
    reopened.open_case(case.id)
    assert reopened.form_page.question_widget("victim").answer().value == "yes"  # shown again
    assert reopened._services.cases.get(case.id).percent == 100


def test_check_for_errors_lists_exactly_the_unanswered_applicable_questions(qtbot,
                                                                             open_window):
    window = open_window()
    from tests.integration.helpers import make_case
    case = make_case(window._services, phase="licence")
    services = window._services
    services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    services.forms.record_answer(case_id=case.id, question_key="officers", value=1)
    window.cases_page.reload()
    window.open_case(case.id)
    qtbot.waitUntil(lambda: focused() is window.form_page.nav)
    seen = {}

    def read_dialog():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ProblemsDialog)
        seen["keys"] = [dialog.list.item(i).data(Qt.ItemDataRole.UserRole)
                        for i in range(dialog.list.count())]
        dialog.reject()

    QTimer.singleShot(0, read_dialog)
    press(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "keys" in seen)
    assert seen["keys"] == ["needs", "rosh_assessment", "victim_assessment", "custody_planning",
                            "barriers", "workload", "seen_on"]
    # and the form now flags them on the page too
    assert window.form_page.question_widget("needs").status_label.text() == "Not answered"

"""In the window: a supervisor chooses cases for second marking, a colleague judges them
blind, and the agreement shows."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox

from app.config import frameworks_dir
from app.ui.dialogs.moderation_dialog import CASE_ROLE, ModerationDialog
from app.ui.main_window import MainWindow
from tests.conftest import open_as
from tests.integration.helpers import make_case, make_inspection

KEY = "rosh_assessment"


@pytest.fixture
def people(db_path):
    first = open_as(db_path, "inspector.one", frameworks_dir())
    inspection = make_inspection(first, framework="adult-probation")
    for person, role in (("supervisor.sam", "supervisor"), ("inspector.two", "inspector")):
        first.inspections.add_member(inspection_id=inspection.id, person=person, role=role)
    for i, value in enumerate(("yes", "yes", "no", "no")):
        case = make_case(first, f"X{i}", inspection=inspection)
        first.forms.record_answer(case_id=case.id, question_key=KEY, value=value)
    others = [open_as(db_path, u, frameworks_dir())
              for u in ("supervisor.sam", "inspector.two")]
    yield first, *others, inspection
    for services in (first, *others):
        services.close()


def test_second_marking_blind_in_the_window(people, qtbot, monkeypatch):
    first, supervisor, second, inspection = people
    chooser = ModerationDialog(supervisor.moderation, supervisor.review, inspection.id)
    qtbot.addWidget(chooser)
    assert chooser.choose_button.isVisibleTo(chooser)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (100, True))
    chooser.choose_button.click()

    marker = ModerationDialog(second.moderation, second.review, inspection.id)
    qtbot.addWidget(marker)
    assert not marker.choose_button.isVisibleTo(marker)
    assert marker.cases.count() == 4
    for row, value in enumerate(("yes", "no", "no", "no")):
        marker.cases.setCurrentRow(row)
        choice, _note = marker.judgements[KEY]
        assert choice.currentData() == ""  # nothing of the first judgement is shown
        choice.setCurrentIndex(choice.findData(value))
        marker.save_button.click()
    assert "(1 judged)" in marker.cases.item(0).text()
    marker.cases.setCurrentRow(1)  # the second marker sees their own judgement again
    assert marker.judgements[KEY][0].currentData() == "no"
    marker.save_button.click()  # nothing changed: nothing recorded twice
    from app.db import repositories as repo
    with second._db.read() as session:
        case_id = marker.cases.item(1).data(0x0100)
        assert len(repo.second_marks(session, [case_id], "mark")) == 1
    table = marker.by_question
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 5)]
            for r in range(table.rowCount())}
    # first yes yes no no; second yes no no no: 3 of 4; p_e = (2*1 + 2*3)/16 = 0.5 -> 0.50
    assert rows[KEY] == ["4", "3", "75%", "0.50"]
    if os.environ.get("ASPIRE_SCREENSHOTS"):
        marker.grab().save(os.path.join(os.environ["ASPIRE_SCREENSHOTS"], "moderation.png"))
        marker.tabs.setCurrentIndex(1)
        marker.grab().save(os.path.join(os.environ["ASPIRE_SCREENSHOTS"], "agreement.png"))

    own = ModerationDialog(first.moderation, first.review, inspection.id)
    qtbot.addWidget(own)
    assert own.cases.count() == 0 and not own.save_button.isEnabled()

    # the supervisor records what the two markers agreed; an inspector has no such tab
    assert [marker.tabs.tabText(i) for i in range(marker.tabs.count())] == [
        "&Second marking", "&Agreement"]
    agreeing = ModerationDialog(supervisor.moderation, supervisor.review, inspection.id)
    qtbot.addWidget(agreeing)
    assert agreeing.tabs.tabText(1) == "Agreed &judgements"
    # on a laptop's screen (1366 wide at 125%) the tab fits, its guidance wrapped, not clipped
    agreeing.resize(int(1366 / 1.25) - 60, 560)
    agreeing.tabs.setCurrentIndex(1)
    agreeing.show()
    assert agreeing.width() <= int(1366 / 1.25)
    assert agreeing.to_agree.count() == 4 and "(1 to agree)" in agreeing.to_agree.item(1).text()
    agreeing.to_agree.setCurrentRow(1)  # X1: first yes, second no
    choice, note = agreeing.agreed[KEY]
    shown = agreeing.agree_area.widget().findChildren(QLabel)
    assert any("First: Yes · Second: No" in label.text() for label in shown)
    choice.setCurrentIndex(choice.findData("yes"))
    errors = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: errors.append(box.text()) or 0)
    agreeing.agree_button.click()  # without saying how it was agreed
    assert errors and "Say how the judgement was agreed" in errors[0]
    assert agreeing.to_agree.count() == 4
    agreeing.to_agree.setCurrentRow(1)
    choice, note = agreeing.agreed[KEY]
    choice.setCurrentIndex(choice.findData("yes"))
    note.setText("Discussed: the assessment was on time")
    agreeing.agree_button.click()
    assert agreeing.to_agree.count() == 3
    assert supervisor.moderation.judgements(case_id)[KEY]["agreed"] == "yes"


def test_a_second_marker_cannot_open_the_case_form_until_second_marking_is_finished(
        people, qtbot, monkeypatch):
    _first, supervisor, second, inspection = people
    chooser = ModerationDialog(supervisor.moderation, supervisor.review, inspection.id)
    qtbot.addWidget(chooser)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (100, True))
    chooser.choose_button.click()  # the supervisor asks for every case to be second marked

    window = MainWindow(second)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec",
                        lambda box: shown.append((box.text(), box.informativeText())) or 0)
    case = next(c for c in second.cases.list(inspection.id) if c.reference == "X2")
    cases = window.cases_page
    cases.reload(select=inspection.id)
    cases.select_case(case.id)
    cases.open_button.click()
    assert shown == [("You are second marking this case: its first marker's answers stay "
                      "hidden until second marking is finished.",
                      "Use Moderation to record your own judgements.")]
    assert window.stack.currentWidget() is cases and window.form_page.form is None

    # judges it blind instead
    marker = ModerationDialog(second.moderation, second.review, inspection.id)
    qtbot.addWidget(marker)
    marker.cases.setCurrentRow(2)
    assert marker.cases.currentItem().data(CASE_ROLE) == case.id
    choice, _note = marker.judgements[KEY]
    choice.setCurrentIndex(choice.findData("yes"))
    marker.save_button.click()
    cases.open_button.click()
    assert len(shown) == 2 and window.form_page.form is None  # judged, not yet agreed

    supervisor.moderation.agree(case_id=case.id, question_key=KEY, value="no",
                                note="Discussed with both markers")
    cases.open_button.click()
    assert len(shown) == 2 and window.stack.currentWidget() is window.form_page
    assert window.form_page.form.answers[KEY].value == "no"  # the first judgement, now shown
    window.close()

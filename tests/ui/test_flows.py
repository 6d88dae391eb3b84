"""Flows as people meet them: the keys they press and the words they read."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.ui.dialogs.team_dialog import TeamDialog
from app.ui.views.review_panel import HistoryDialog
from tests.integration.helpers import make_case, make_inspection
from tests.ui.test_case_form_behaviour import focused_answer, open_case
from tests.ui.test_review_ui import shoot


def test_enter_in_the_team_dialog_adds_the_person_typed_and_removes_nobody(qtbot, open_window):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    dialog = TeamDialog(services.inspections, inspection.id, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.list.setCurrentRow(0)  # the lead inspector, selected
    dialog.person.setFocus()
    qtbot.keyClicks(dialog.person, "inspector.two")
    qtbot.keyClick(dialog.person, Qt.Key.Key_Return)
    assert {(m.person, m.role) for m in services.inspections.team(inspection.id)} == {
        ("inspector.one", "lead_inspector"), ("inspector.two", "inspector")}
    assert dialog.isVisible() and dialog.person.text() == ""  # still open for the next name
    assert dialog.list.count() == 2


@pytest.mark.parametrize("modifiers, key", [
    (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Y),  # as on Windows
    (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_Z)])
def test_redo_an_answer_from_the_keyboard(qtbot, open_window, modifiers, key):
    window = open_window()
    case, page = open_case(window)
    widget = page.question_widget("victim")
    widget.control._buttons["yes"].click()
    page.undo_action.trigger()
    assert window._services.forms.open(case.id).answers["victim"].value is None
    widget.focus_target().setFocus()
    qtbot.waitUntil(lambda: widget.focus_target().hasFocus())
    qtbot.keyClick(widget.focus_target(), key, modifiers)
    assert window._services.forms.open(case.id).answers["victim"].value == "yes"
    assert "Ctrl+Y" in page.redo_action.toolTip()


def test_asking_for_second_marking_is_called_that_in_the_case_history(qtbot, open_window):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    services.inspections.add_member(inspection_id=inspection.id, person="inspector.one",
                                    role="supervisor")
    case = make_case(services, "S1", inspection=inspection)
    services.moderation.request([case.id])
    form = services.forms.open(case.id)
    dialog = HistoryDialog(services.review, form, {}, None, window)
    qtbot.addWidget(dialog)
    said = [dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())]
    assert "Asked for second marking" in said and "Marked for dip sampling" not in said


def test_an_ampersand_in_a_frameworks_wording_is_shown_not_made_a_shortcut(qtbot):
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QAbstractButton

    from app.config import frameworks_dir
    from app.core.framework_loader import load_frameworks
    from app.ui.widgets.answer_controls import ButtonWords, make_control

    adult = next(f for f in load_frameworks(frameworks_dir()) if f.id == "adult-probation")
    worded = [q for q in adult.questions() if any("&" in o.label for o in q.options)]
    assert worded  # "Thinking & behaviour", "Lifestyle & associates"
    for question in worded:
        control = make_control(question)
        qtbot.addWidget(control)
        buttons = [b.text() for b in control.findChildren(QAbstractButton) if "&" in b.text()]
        for text in buttons:
            assert QKeySequence.mnemonic(text).isEmpty(), text  # no Alt+letter taken from it
            assert text.replace("&&", "&") in {o.label for o in question.options}
        words = [w for w in control.findChildren(ButtonWords) if "&" in w.text()]
        for label in words:  # words beside a box: plain text, no buddy to take a letter for
            assert label.textFormat() == Qt.TextFormat.PlainText and label.buddy() is None
            assert label.text() in {o.label for o in question.options}
        assert buttons or words


def test_an_end_date_before_the_start_is_said_once_in_plain_words(qtbot, open_window):
    from app.ui.dialogs.inspection_dialog import InspectionDialog

    window = open_window()
    dialog = InspectionDialog(window._services.inspections, window._services.frameworks, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("Northshire probation")
    dialog.organisation.setText("Northshire CRC")
    dialog.start.setText("18/09/2026")
    dialog.end.setText("07/09/2026")
    dialog.accept()
    said = dialog.error.text()
    assert said.count("the end date 07/09/2026 is before the start date 18/09/2026") == 1
    assert "dates:" not in said and dialog.isVisible() and dialog.created is None
    assert window._services.inspections.list() == []


def test_a_lead_sets_what_pooling_reads_when_creating_and_again_later(qtbot, open_window,
                                                                        monkeypatch):
    from app.core.dto import PoolingDetails
    from app.ui.dialogs.inspection_dialog import InspectionDetailsDialog, InspectionDialog

    window = open_window()
    earlier = make_inspection(window._services)
    dialog = InspectionDialog(window._services.inspections, window._services.frameworks, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("Northshire 2021")
    dialog.organisation.setText("Northshire CRC")
    assert dialog.pooling.year.text() == "The start date's year"  # nothing given yet
    dialog.pooling.year.setValue(2021)
    dialog.pooling.organisation_type.set_code("crc")
    dialog.pooling.region.set_code("north_east")
    dialog.pooling.sample.set_code("targeted")
    dialog.pooling.reinspects.setCurrentIndex(dialog.pooling.reinspects.findData(str(earlier.id)))
    dialog.accept()
    assert dialog.created is not None, dialog.error.text()
    assert window._services.inspections.get(dialog.created.id).details == PoolingDetails(
        2021, "crc", "north_east", "targeted", earlier.id)
    # later, from the Inspection menu, with what it says shown to change
    window.cases_page.reload(select=dialog.created.id)
    shown = []
    monkeypatch.setattr("app.ui.main_window.run_modal",
                        lambda d: shown.append(d) or _change_and_save(d))
    window.details_action.trigger()
    [details] = shown
    assert isinstance(details, InspectionDetailsDialog)
    assert window._services.inspections.get(dialog.created.id).details == PoolingDetails(
        None, "crc", "north_east", "random", None)


def _change_and_save(dialog) -> bool:
    assert dialog.pooling.year.value() == 2021 and dialog.pooling.region.code() == "north_east"
    dialog.pooling.year.setValue(dialog.pooling.year.minimum())  # back to the start date's
    dialog.pooling.sample.set_code("random")
    dialog.pooling.reinspects.setCurrentIndex(0)
    dialog.accept()
    return dialog.changed is not None


def test_enter_in_the_filter_opens_the_one_case_left(qtbot, open_window):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    for reference in ("X100", "X200", "Y300"):
        make_case(services, reference, inspection=inspection)
    window.cases_page.reload()
    page = window.cases_page
    page.filter_edit.setFocus()
    qtbot.keyClicks(page.filter_edit, "X")
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Return)  # two left: into the list, no case
    assert window.centralWidget().currentWidget() is page
    assert page.current_case().reference == "X100"
    page.filter_edit.clear()
    qtbot.keyClicks(page.filter_edit, "Y3")
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Return)
    assert window.form_page.form.case.reference == "Y300"
    assert window.centralWidget().currentWidget() is window.form_page


def test_the_window_says_who_is_signed_in(qtbot, open_window):
    window = open_window()
    assert window.signed_in.text() == "Signed in as inspector.one"
    assert window.signed_in.isVisible()


def test_a_query_starts_at_the_answer_the_supervisor_clicked(qtbot, monkeypatch, db_path,
                                                              open_window):
    from PySide6.QtWidgets import QInputDialog

    from tests.integration.test_review import complete

    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    case = make_case(services, "X1", inspection=inspection)
    complete(services, case.id)
    services.review.submit(case.id)  # locked: nothing on it takes the keyboard focus
    case_page = window.open_case(case.id) or window.form_page
    assert not case_page.form.editable
    widget = case_page.question_widget("needs")
    qtbot.mouseClick(widget.control, Qt.MouseButton.LeftButton)  # on the locked answer
    offered = {}

    def ask(_parent, _title, _label, items, current, _editable):
        offered["at"] = items[current]
        return "", False

    monkeypatch.setattr(QInputDialog, "getItem", ask)
    case_page.review.raise_button.click()
    assert offered["at"].endswith(case_page.form.framework.question("needs").text)
    assert widget.current  # and it is tinted as the one being read


def test_work_hidden_by_the_sample_filter_is_said_with_a_way_to_see_it(qtbot, open_window):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    for n in range(40):
        make_case(services, f"X{n:03}", inspection=inspection)
    services.samples.draw(inspection_id=inspection.id, seed=1)
    left_out = next(c for c in services.cases.list(inspection.id)
                    if c.sample_status == "not_selected")
    services.forms.record_answer(case_id=left_out.id, question_key="victim", value="yes")
    page = window.cases_page
    page.reload(select=inspection.id)
    assert page.sample_filter.currentData() == "in_sample"  # the sample, once drawn
    assert page.hidden_work.isVisible()
    assert left_out.reference in page.hidden_work.text()
    from app.ui.theme import tones

    # the link in the notice's own ink, which reads on its tint, not the theme's link blue
    assert f"color: {tones().notice.name()}" in page.hidden_work.text()
    page.hidden_work.linkActivated.emit("all")
    assert page.sample_filter.currentData() is None and not page.hidden_work.isVisible()
    shown = {page._case_filter.index(r, 0).data() for r in range(page._case_filter.rowCount())}
    assert left_out.reference in shown


def test_the_dashboard_reads_like_a_report_page_on_a_laptop(qtbot, open_window):
    from app.config import frameworks_dir
    from app.core.frameworks import short_title
    from app.ui.theme import LEAST_CONTRAST, contrast

    window = open_window(frameworks_dir())
    window.resize(1093, 614)
    services = window._services
    inspection = services.demo.create(cases=40, seed=2)
    window.cases_page.reload(select=inspection.id)
    window.open_dashboard()
    dashboard = window.dashboard
    qtbot.waitUntil(lambda: dashboard.rated is not None, timeout=20000)
    assert dashboard.width() <= 1093 and dashboard.height() <= 614
    assert dashboard.rated.cases > 0
    table = dashboard.key_table
    rated = [q for s in dashboard.rated.standards for q in s.questions]
    for row, q in enumerate(rated):
        assert table.item(row, 2).text().lstrip("▶ ") == short_title(q.text)
        assert table.item(row, 2).toolTip() == q.text
        band = table.item(row, 6)
        if q.band:  # a chip: its colour behind, its words readable on it
            assert contrast(band.foreground().color(), band.background().color()) \
                >= LEAST_CONTRAST
    dashboard.tabs.setCurrentIndex(1)
    shoot(dashboard, "dashboard-laptop-key-questions")
    dashboard.tabs.setCurrentIndex(2)
    shoot(dashboard, "dashboard-laptop-breakdowns")
    for index in range(dashboard.by.count()):
        dashboard.by.setCurrentIndex(index)
        qtbot.wait(10)
        bar = dashboard.breakdown.horizontalScrollBar()
        assert bar.maximum() == 0, dashboard.by.currentText()  # no scrolling sideways
    dashboard.close()


def test_clicking_a_reasons_words_ticks_it(qtbot, open_window):
    window = open_window()
    case, page = open_case(window)
    widget = page.question_widget("rosh_assessment")
    widget.control._buttons["no"].click()
    box = widget.reason_boxes["not_timely"]
    words = next(w for w in widget.findChildren(QWidget) if getattr(w, "button", None) is box)
    qtbot.mouseClick(words, Qt.MouseButton.LeftButton)
    assert box.isChecked()
    qtbot.waitUntil(lambda: "not_timely" in window._services.forms.open(
        case.id).answers["rosh_assessment"].reasons)


def test_an_empty_window_offers_a_demonstration_in_the_window(qtbot, open_window):
    from app.config import frameworks_dir

    window = open_window(frameworks_dir())
    page = window.cases_page
    assert page.empty_hint.isVisible() and "aspire demo" not in page.empty_hint.text()
    page.empty_hint.linkActivated.emit("demo")
    qtbot.waitUntil(lambda: page.current_inspection() is not None, timeout=30000)
    assert page.current_inspection().name.startswith("Demonstration")
    assert page._cases.rowCount() == 30 and not page.empty_hint.isVisible()


def test_the_side_panels_fold_away_from_the_keyboard(qtbot, open_window):
    window = open_window()
    _case, page = open_case(window)
    answer = focused_answer(qtbot, page)
    before = page.stack.width()
    for key in (Qt.Key.Key_F7, Qt.Key.Key_F8):
        qtbot.keyClick(answer, key)
    qtbot.wait(20)
    assert page.nav.width() == 0 and page.review.width() == 0
    assert page.stack.width() > before  # the form has their room
    page.sections_action.trigger()
    page.review_panel_action.trigger()
    qtbot.wait(20)
    assert page.nav.width() > 0 and page.review.width() > 0

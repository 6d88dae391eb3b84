"""Nothing cut off on a laptop: the window and every section of both shipped frameworks'
case forms, and the main dialogs, at 1366×768 with 125% scaling (1093×614 to Qt) and at
1366×768 with 150% text. A label or button whose words do not fit the room it is given
(cut mid-word, or a line missing) fails, naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QScrollArea, QWidget

from app.bootstrap import build_services
from app.config import frameworks_dir
from app.core.profile import Programme
from app.ui.main_window import MainWindow
from tests.conftest import new_database
from tests.ui import dialog_tour
from tests.ui.dialog_tour import pump

#: (width, height, text scale): 125% scaling of 1366×768; 150% text on it unscaled
LAPTOPS = {"125% scaling": (1093, 614, 1.0), "150% text": (1366, 728, 1.5)}


def cut(top: QWidget) -> list[str]:
    """The visible labels and buttons under ``top`` whose text does not fit."""
    found = []
    for widget in [top, *top.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() <= 0:
            continue
        text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
        if not text.strip():
            continue
        beyond = _beyond_view(widget)
        if beyond:
            found.append(f"{type(widget).__name__} {text[:60]!r}: {beyond} px beyond the "
                         "view, which does not scroll sideways")
        elif isinstance(widget, QLabel) and widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if widget.height() + 1 < needed:
                found.append(f"{type(widget).__name__} {text[:60]!r}: {widget.height()} px "
                             f"high for {needed}")
        elif widget.width() + 1 < widget.sizeHint().width():
            found.append(f"{type(widget).__name__} {text[:60]!r}: {widget.width()} px wide "
                         f"for {widget.sizeHint().width()}")
    return found


def _beyond_view(widget: QWidget) -> int:
    """How far ``widget`` reaches past the right edge of a view that does not scroll
    sideways (the case form's), where it cannot be seen at all."""
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    if area is None or area.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff:
        return 0
    right = widget.mapTo(area.viewport(), QPoint(widget.width(), 0)).x()
    return max(0, right - area.viewport().width() - 1)


@pytest.fixture(params=list(LAPTOPS))
def laptop(request, qapp):
    width, height, scale = LAPTOPS[request.param]
    before = QGuiApplication.font()
    font = QFont(before)
    font.setPointSizeF(before.pointSizeF() * scale)
    QApplication.setFont(font)
    yield request.param, width, height
    QApplication.setFont(before)


@pytest.fixture
def window(qtbot, db_path, laptop):
    services = build_services(new_database(db_path), frameworks_dir())
    shown = MainWindow(services)
    qtbot.addWidget(shown)
    _name, width, height = laptop
    shown.resize(width, height)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown, services
    shown.close()
    services.close()


@pytest.mark.parametrize("programme", [Programme.ADULT_PROBATION, Programme.YOUTH_OFFENDING])
def test_every_section_of_the_case_form_fits(window, laptop, programme):
    shown, services = window
    inspection = services.demo.create(cases=2, seed=5, programme=programme)
    shown.cases_page.reload()
    pump(timeout=0.1)
    assert shown.width() <= laptop[1] and shown.height() <= laptop[2]
    problems = [f"case list: {p}" for p in cut(shown)]
    case = services.cases.list(inspection.id)[0]
    shown.open_case(case.id)
    page = shown.form_page
    for section in page.form.framework.sections:
        page.go_to_question(section.questions[0].key)
        pump(timeout=0.05)
        problems += [f"{section.title}: {p}" for p in cut(shown)]
    assert not problems, f"{laptop[0]}, {programme}:\n" + "\n".join(problems[:40]) + (
        f"\n… and {len(problems) - 40} more" if len(problems) > 40 else "")


def test_every_dialog_fits(window, laptop, tmp_path):
    shown, services = window
    services.demo.create(cases=3, seed=5)
    shown.cases_page.reload()
    case_list = tmp_path / "cases.csv"
    case_list.write_text("CRN,Sex,Offender manager,Notes\nX2,M,D. Campbell,Seen at home\n")
    _name, width, height = laptop
    problems: list[str] = []

    def inspect(dialog) -> None:
        pump(timeout=0.05)
        name = type(dialog).__name__
        if dialog.width() > width or dialog.height() > height:
            problems.append(f"{name}: {dialog.width()}×{dialog.height()} is larger than "
                            f"the screen")
        problems.extend(f"{name}: {p}" for p in cut(dialog))

    dialog_tour.looking_at.append(inspect)
    try:
        met = dialog_tour.visit_every_dialog(shown, case_list)
    finally:
        dialog_tour.looking_at.remove(inspect)
    assert len(met) >= 15
    assert not problems, f"{laptop[0]}:\n" + "\n".join(problems)


def test_on_a_laptop_screen_the_window_opens_within_it_and_where_it_was_left(tmp_path):
    screens = Path(__file__).parents[1] / "fixtures" / "screens"
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.laptop_window", str(tmp_path)],
        cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=300,
        env={**os.environ,
             "QT_QPA_PLATFORM": f"offscreen:configfile={screens / 'laptop-125.json'}"})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    sx, sy, sw, sh = seen["screen"]
    assert (sw, sh) == (1093, 614)
    x, y, w, h = seen["first"]  # the whole frame on the screen, not 1280×820 off its edge
    assert sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh, seen
    assert seen["cut"] == []
    assert seen["reopened"] == seen["left"]  # remembered


def test_a_wrong_passphrase_is_said_whole(qtbot, laptop):
    from app.db.keys import DatabaseKey, KeySource, wrong_key_error
    from app.ui.dialogs.passphrase_dialog import PassphraseDialog

    dialog = PassphraseDialog(None, new=False)
    qtbot.addWidget(dialog)
    dialog.show()
    key = DatabaseKey(b"\0" * 32, KeySource.PASSPHRASE)
    dialog.show_problem(wrong_key_error(Path("C:/Users/ruth/casework.db"), key).message)
    pump(timeout=0.05)
    assert dialog.problem.isVisible()
    assert "--db" not in dialog.problem.text()
    assert not cut(dialog), cut(dialog)


def test_a_refused_new_inspection_says_why_whole(window, laptop):
    from app.errors import ValidationError
    from app.ui.dialogs.inspection_dialog import InspectionDialog

    shown, services = window
    dialog = InspectionDialog(services.inspections, services.frameworks, shown)
    dialog.show()
    dialog.show_problem(ValidationError(
        "The inspection cannot be created: its end date, 01/09/2026, is before its start "
        "date, 07/09/2026, and an inspection ends on or after the day it starts.",
        "Change the start or the end date so that the end comes on or after the start, "
        "then create the inspection again."))
    pump(timeout=0.05)
    assert dialog.error.isVisible()
    assert not cut(dialog), cut(dialog)
    dialog.close()


def test_the_frameworks_dialog_with_problems_and_a_preview_fit(window, laptop, tmp_path):
    from openpyxl import load_workbook

    from app.ui.dialogs.frameworks_dialog import FormPreviewDialog, FrameworksDialog

    shown, services = window
    _name, width, height = laptop
    workbook = services.frameworks.export_workbook("youth-offending", None,
                                                   tmp_path / "youth.xlsx")
    edited = load_workbook(workbook)
    edited["settings"]["B3"].value = "2.0"
    for row in edited["questions"].iter_rows(min_row=2, max_row=6):
        row[4].value = "yes-no"  # five rows with a type no framework has
    edited.save(workbook)
    problems: list[str] = []
    dialog = FrameworksDialog(services.frameworks, services.user, shown.tasks, shown)
    dialog.show()
    assert pump(lambda: not dialog.listing, 10)
    dialog.import_workbook(path=workbook)
    assert pump(lambda: not dialog.working, 10)
    assert dialog.problems.rowCount() == 5
    preview = FormPreviewDialog(services.frameworks.framework("youth-offending"),
                                services.user, shown.tasks, shown)
    preview.show()
    try:
        for each in (dialog, preview):
            pump(timeout=0.05)
            if each.width() > width or each.height() > height:
                problems.append(f"{type(each).__name__}: {each.width()}×{each.height()} is "
                                "larger than the screen")
            problems += [f"{type(each).__name__}: {p}" for p in cut(each)]
        page = preview.page
        for section in page.form.framework.sections:
            page.go_to_question(section.questions[0].key)
            pump(timeout=0.05)
            problems += [f"preview, {section.title}: {p}" for p in cut(preview)]
    finally:
        preview.close()
        dialog.close()
    assert not problems, f"{laptop[0]}:\n" + "\n".join(problems)


def test_the_pooled_findings_fit_a_laptop(window, laptop):
    """The analysts' pooled findings, every tab, on a laptop's screen and at 150% text."""
    from app.core.pooling import Count, PoolingChoice, pooled_findings
    from app.ui.dialogs.analysis_dialog import AnalysisDialog

    shown, _services = window
    _name, width, height = laptop
    shown.analysis_action.trigger()
    dialog = shown.findChild(AnalysisDialog)
    choice = PoolingChoice(family="adult-case-supervision-2018")
    questions = {"engaging": "Does the person on probation engage with the sentence?",
                 "desistance": "Does the planning focus on supporting desistance?"}
    counts = [Count(key, None, "", 40, 60) for key in questions]
    counts += [Count(key, "ethnicity_group", group, n, 2 * n) for key in questions
               for group, n in (("Asian or Asian British", 4), ("Black, Black British, "
                                "Caribbean or African", 12), ("White", 14))]
    dialog.show_findings(pooled_findings(choice, counts, questions, inspections=4, cases=60))
    problems = []
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        dialog.dimension.setCurrentIndex(dialog.dimension.findData("ethnicity_group"))
        pump(timeout=0.05)
        if dialog.width() > width or dialog.height() > height:
            problems.append(f"{dialog.width()}×{dialog.height()} is larger than the screen")
        problems += [f"tab {tab}: {p}" for p in cut(dialog)]
    assert not problems, f"{laptop[0]}: {problems}"
    dialog.close()

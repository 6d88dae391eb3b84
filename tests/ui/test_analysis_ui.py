"""Tools → Pooled findings: an analyst signs in to the central service from the window, reads
the key questions pooled across inspections with their intervals, splits them by a sub-group
and saves them; drawn in a light and a dark theme."""

from __future__ import annotations

import openpyxl
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLabel

from app.sync.central import add_user
from app.ui.dialogs.analysis_dialog import AnalysisDialog
from app.ui.theme import LEAST_CONTRAST, contrast
from app.ui.widgets.interval_chart import bar_colour
from tests.integration.pooled_store import KEYS, fill, make_cases
from tests.integration.sync_fixtures import PASSWORD
from tests.service import in_thread
from tests.ui.test_contrast import measured
from tests.ui.test_review_ui import shoot

#: WCAG 2's least contrast for parts of a graphic
LEAST_GRAPHIC_CONTRAST = 3.0


def test_an_analyst_reads_saves_and_splits_pooled_findings_in_the_window(
        qtbot, open_window, central, tmp_path, monkeypatch, theme):
    fill(central, make_cases())
    add_user(central, login="ann.analyst", name="Ann Analyst", role="analyst",
             password=PASSWORD)
    window = open_window()
    window.analysis_action.trigger()
    dialog = window.findChild(AnalysisDialog)
    assert dialog is not None and dialog.isVisible()
    # every Alt+letter of the dialog leads to one place
    texts = [w.text() for w in dialog.findChildren(QLabel) + dialog.findChildren(
        QAbstractButton)] + [dialog.tabs.tabText(n) for n in range(dialog.tabs.count())]
    letters = [QKeySequence.mnemonic(t).toString() for t in texts if "&" in t]
    assert len(letters) == len(set(letters)) > 10, letters
    dialog.address.setText(in_thread(central).base)
    dialog.login.setText("ann.analyst")
    dialog.password.setText(PASSWORD)
    dialog.family.setText("pooled")
    dialog.show_button.click()
    qtbot.waitUntil(lambda: dialog.findings is not None, timeout=20000)
    findings = dialog.findings
    assert dialog.key_table.rowCount() == len(KEYS)
    assert [r.label for r in dialog.key_chart.rows] == [
        f.question for f in findings.figures if f.dimension is None]
    assert "random samples only" in dialog.choices.text()
    # each key question year by year, in the framework's order
    by_year = [f for f in findings.figures if f.dimension == "year"]
    assert [r.label for r in dialog.year_chart.rows] == [f"{f.group} · {f.question}"
                                                         for f in by_year] and by_year
    assert "Aireshire 2019" in dialog.choices.text()  # what was left out, and why
    # split by gender: a row per group, with its difference from the rest
    dialog.dimension.setCurrentIndex(dialog.dimension.findData("gender"))
    groups = [f for f in findings.figures if f.dimension == "gender"
              and f.question_key == dialog.question.currentData()]
    assert dialog.group_table.rowCount() == len(groups) > 1
    assert [r.label for r in dialog.group_chart.rows] == [f.group for f in groups]
    suppressed = [r for r, f in zip(dialog.group_chart.rows, groups, strict=True)
                  if f.suppressed]
    assert all(r.share is None and "suppressed" in r.instead for r in suppressed)
    # the chart's bars and the words about the choices read in this theme
    palette = dialog.palette()
    assert contrast(bar_colour(palette), palette.color(QPalette.ColorRole.Base)) >= \
        LEAST_GRAPHIC_CONTRAST
    dialog.resize(1093, 614)
    dialog.tabs.setCurrentIndex(1)
    shoot(dialog, f"pooled-findings-years-{theme}")
    dialog.tabs.setCurrentIndex(3)
    qtbot.wait(20)
    assert measured(dialog, dialog.choices) >= LEAST_CONTRAST
    shoot(dialog, f"pooled-findings-choices-{theme}")
    dialog.tabs.setCurrentIndex(2)
    shoot(dialog, f"pooled-findings-groups-{theme}")
    dialog.tabs.setCurrentIndex(0)
    shoot(dialog, f"pooled-findings-{theme}")
    # saved for Excel, as the central service gave them
    target = tmp_path / "pooled.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), ""))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "Saved" in dialog.said.text(), timeout=20000)
    workbook = openpyxl.load_workbook(target, read_only=True)
    try:
        rows = list(workbook["Findings"].iter_rows(min_row=2, values_only=True))
    finally:
        workbook.close()
    assert len(rows) == len(findings.figures)
    # a wrong password is said, and the dialog stays ready
    shown = []
    monkeypatch.setattr("app.ui.dialogs.analysis_dialog.show_error",
                        lambda _parent, exc, _title="": shown.append(exc))
    dialog.password.setText("not the password at all")
    dialog.show_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "login and password" in shown[0].problem and dialog.show_button.isEnabled()

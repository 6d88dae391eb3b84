"""Text that reads in a light and a dark theme, measured on the window as drawn: each state a
person must read (the question being answered, a problem, a saved answer, the answer of a
submitted form, guidance, the locked notice, a supervisor's return comment and query) is
rendered, and the contrast between its text and the background behind it is at least
4.5:1, WCAG 2's ratio for text."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QLabel,
    QRadioButton,
    QStyle,
    QStyleFactory,
    QWidget,
)

from app.ui.main_window import MainWindow
from app.ui.theme import LEAST_CONTRAST, contrast, tones
from tests.conftest import MINI_FRAMEWORKS, open_as
from tests.integration.helpers import make_case, make_inspection
from tests.integration.test_review import complete
from tests.ui.test_review_ui import answer_dialogs, answer_submit, shoot


def light() -> QPalette:
    return QStyleFactory.create("Fusion").standardPalette()


def dark() -> QPalette:
    """A dark theme as Windows and common Linux desktops give one."""
    palette = QPalette()
    for role, colour in (("Window", "#202020"), ("WindowText", "#ffffff"),
                         ("Base", "#1c1c1c"), ("AlternateBase", "#2b2b2b"),
                         ("Text", "#ffffff"), ("Button", "#2d2d2d"),
                         ("ButtonText", "#ffffff"), ("Highlight", "#4cc2ff"),
                         ("HighlightedText", "#000000"), ("PlaceholderText", "#a0a0a0"),
                         ("ToolTipBase", "#2b2b2b"), ("ToolTipText", "#ffffff")):
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("WindowText", "Text", "ButtonText"):
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role),
                         QColor("#7a7a7a"))
    return palette



def measured(owner: QWidget, part: QWidget, rect: QRect | None = None) -> float:
    """The contrast of ``part``'s text as ``owner`` (it, or a widget it is in) draws it: the
    commonest colour in its area is the background, the colour furthest from it the text."""
    area = rect if rect is not None else part.rect()
    if part is not owner:
        area = QRect(part.mapTo(owner, area.topLeft()), area.size())
    image = owner.grab(area).toImage()
    pixels = Counter(image.pixel(x, y) for y in range(image.height())
                     for x in range(image.width()))
    background = QColor.fromRgb(pixels.most_common(1)[0][0])
    return max(contrast(QColor.fromRgb(p), background) for p in pixels)


def text_of(button: QRadioButton) -> QRect:
    """A radio button's words, without the round indicator beside them."""
    style = button.style()
    skip = (style.pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth, None, button)
            + style.pixelMetric(QStyle.PixelMetric.PM_RadioButtonLabelSpacing, None, button))
    return QRect(skip, 0, button.width() - skip, button.height())


@pytest.fixture
def people(qtbot, db_path, theme):
    inspector = open_as(db_path, "inspector.one", MINI_FRAMEWORKS)
    inspection = make_inspection(inspector)
    inspector.inspections.add_member(inspection_id=inspection.id, person="supervisor.sam",
                                     role="supervisor")
    case = make_case(inspector, "X1", inspection=inspection)
    supervisor = open_as(db_path, "supervisor.sam", MINI_FRAMEWORKS)
    windows = []
    for services in (inspector, supervisor):
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.resize(1280, 900)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
    yield windows, case, inspector
    for window, services in zip(windows, (inspector, supervisor), strict=True):
        window.close()
        services.close()


def test_every_state_a_person_reads_stands_out_from_its_background(people, monkeypatch,
                                                                   qtbot, theme):
    (mine, theirs), case, inspector = people
    mine.open_case(case.id)
    form = mine.form_page
    seen: dict[str, float] = {}

    # the question being answered, its guidance, a problem, a saved answer
    victim = form.question_widget("victim")
    form.go_to_question("victim")
    victim.set_current(True)
    title = next(label for label in victim.findChildren(QLabel)
                 if label.text() == victim.question.text)
    seen["question being answered"] = measured(victim, title)
    rosh = form.question_widget("rosh_assessment")
    guidance = next(label for label in rosh.findChildren(QLabel)
                    if label.text() == "Look at the assessment.")
    seen["guidance"] = measured(rosh, guidance)
    inspector.forms.record_answer(case_id=case.id, question_key="rosh_assessment",
                                  value="no")  # a No without its reasons
    mine.open_case(case.id)
    monkeypatch.setattr("app.ui.views.case_form_page.run_modal", lambda dialog: 0)
    form.check_action.trigger()  # (its list of problems closed at once)
    rosh = form.question_widget("rosh_assessment")
    assert rosh.state == "problem" and rosh.status_label.isVisibleTo(rosh)
    seen["problem"] = measured(rosh, rosh.status_label)
    form.saved.show_saved(dt.datetime.now().astimezone())
    seen["saved"] = measured(form, form.saved)

    # submitted: locked, its answers read as answers, not greyed out
    complete(inspector, case.id)
    mine.open_case(case.id)
    answer_submit()
    form.review.buttons["submit"].click()
    assert not form.form.editable and form.locked_banner.isVisibleTo(form)
    seen["locked notice"] = measured(form, form.locked_banner)
    shoot(mine, f"submitted-form-{theme}")
    answered = form.question_widget("rosh_assessment")
    chosen = next(b for b in answered.control.findChildren(QRadioButton) if b.isChecked())
    seen["answer of a submitted form"] = measured(chosen, chosen, text_of(chosen))

    # returned with a comment and a query on one answer
    theirs.open_case(case.id)
    answer_dialogs(monkeypatch, text="Which record names the victim?",
                   item_containing="identifiable victim")
    theirs.form_page.review.raise_button.click()
    answer_dialogs(monkeypatch, text="Please evidence the victim question")
    theirs.form_page.review.buttons["return"].click()
    mine.open_case(case.id)
    qtbot.wait(20)  # the panel laid out again for the comment, as the event loop does
    seen["return comment"] = measured(form.review, form.review.last_comment)
    assert form.review.last_comment.height() >= form.review.last_comment.heightForWidth(
        form.review.last_comment.width())  # every line of it shown
    victim = form.question_widget("victim")
    assert victim.query_label.isVisibleTo(victim)
    seen["query on an answer"] = measured(victim, victim.query_label)
    shoot(mine, f"returned-form-{theme}")

    weak = {state: round(ratio, 2) for state, ratio in seen.items()
            if ratio < LEAST_CONTRAST}
    assert not weak, f"{theme} theme: {weak}"


@pytest.mark.parametrize("palette", [light, dark])
def test_the_theme_makes_every_colour_read(palette):
    """The colours themselves, for a light, a dark and a high-contrast palette."""
    high_contrast = QPalette()
    for role, colour in (("Window", "#000000"), ("WindowText", "#ffff00"),
                         ("Base", "#000000"), ("Text", "#ffff00")):
        high_contrast.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for shown in (palette(), high_contrast):
        t = tones(shown)
        window = shown.color(QPalette.ColorRole.Window)
        for name, ink, ground in (("problem", t.problem, t.base), ("done", t.done, t.base),
                                  ("quiet", t.quiet, window),
                                  ("returned", t.returned, t.base),
                                  ("submitted", t.submitted, t.base),
                                  ("text on current", t.text, t.current_background),
                                  ("notice", t.notice, t.notice_background),
                                  ("query", t.query, t.query_background)):
            assert contrast(ink, ground) >= LEAST_CONTRAST, (palette.__name__, name)


@pytest.mark.parametrize("palette", [light, dark])
def test_the_dashboards_bars_stand_out_from_the_chart(palette):
    from app.ui.dialogs.dashboard import BAND_COLOURS, LEAST_GRAPHIC_CONTRAST, bar_colour

    shown = palette()
    for band in [*BAND_COLOURS, None]:
        ratio = contrast(bar_colour(band, shown), shown.color(QPalette.ColorRole.Base))
        assert ratio >= LEAST_GRAPHIC_CONTRAST, (palette.__name__, band, round(ratio, 2))


def test_a_preview_and_its_marks_read_in_either_theme(qtbot, open_window, theme):
    """The preview's notice that nothing is kept, the † beside wording written afresh, and
    the frameworks dialog's problem table, as drawn in a light and a dark theme."""
    from app.config import frameworks_dir
    from app.ui.dialogs.frameworks_dialog import FormPreviewDialog, FrameworksDialog
    from app.ui.widgets.question_widget import RECONSTRUCTED_MARK

    window = open_window(frameworks_dir())
    services = window._services
    preview = FormPreviewDialog(services.frameworks.framework("through-the-gate"),
                                services.user, window.tasks, window)
    qtbot.addWidget(preview)
    preview.resize(1093, 614)
    preview.show()
    page = preview.page
    page.go_to_question("plan_sufficient")
    qtbot.wait(20)
    seen = {"preview notice": measured(page, page.locked_banner)}
    written = page.question_widget("plan_sufficient")
    mark = next(label for label in written.findChildren(QLabel)
                if label.text() == RECONSTRUCTED_MARK)
    seen["written-afresh mark"] = measured(mark, mark)
    shoot(preview, f"framework-preview-{theme}")
    dialog = FrameworksDialog(services.frameworks, services.user, window.tasks, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.listing  # drawn before the list, read off the window's thread, comes back
    seen["reading notice"] = measured(dialog, dialog.listing_label)
    shoot(dialog, f"frameworks-dialog-reading-{theme}")
    qtbot.waitUntil(lambda: not dialog.listing and dialog.table.rowCount() > 0,
                    timeout=10000)
    seen["frameworks list"] = measured(dialog.table, dialog.table.viewport())
    shoot(dialog, f"frameworks-dialog-{theme}")
    weak = {what: round(ratio, 2) for what, ratio in seen.items() if ratio < LEAST_CONTRAST}
    assert not weak, f"{theme} theme: {weak}"

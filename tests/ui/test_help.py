"""The guide: F1 opens it from anywhere, it reads as a guide, and it lists every shortcut the
window has (a shortcut added without a word in the guide fails here)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from app.ui.dialogs.help_dialog import guide_text
from tests.ui.test_case_form_behaviour import focused_answer, open_case
from tests.ui.test_review_ui import shoot


def shortcuts_of(window) -> dict[str, str]:
    """Every shortcut in the window, with what it does."""
    found = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            found[key.toString(QKeySequence.SequenceFormat.PortableText)] = action.text()
    for shortcut in window.findChildren(QShortcut):
        found[shortcut.key().toString(QKeySequence.SequenceFormat.PortableText)] = "shortcut"
    return {key: what for key, what in found.items() if key}


def test_f1_opens_the_guide_from_the_case_form(qtbot, open_window):
    window = open_window()
    _case, page = open_case(window)
    answer = focused_answer(qtbot, page)
    qtbot.keyClick(answer, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.guide is not None and window.guide.isVisible())
    shoot(window.guide, "guide")
    shown = window.guide.text.toPlainText()
    assert "Submit for review" in shown and "Ctrl+Shift+R" in shown
    assert "#" not in shown.splitlines()[0]  # drawn from its Markdown, not shown as it
    window.guide_action.trigger()  # once more: the same guide, brought forward
    assert len([c for c in window.children() if type(c).__name__ == "HelpDialog"]) == 1
    assert window.guide_action.shortcut().toString() == "F1"


def test_the_guide_lists_every_shortcut(qtbot, open_window):
    window = open_window()
    open_case(window)  # the case form's own shortcuts too
    guide = guide_text()
    missing = {key: what for key, what in shortcuts_of(window).items() if key not in guide}
    assert len(shortcuts_of(window)) >= 20
    assert not missing, f"shortcuts the guide does not mention: {missing}"

"""Tells the inspector, at every moment, whether their last answer is on disk."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel

from app.ui.theme import paint_text, tones


class SaveIndicator(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Save status")
        bold = QFont(self.font())
        bold.setBold(True)
        self.setFont(bold)
        self._meaning = "quiet"
        self.state = "idle"
        self.show_idle()

    def show_idle(self) -> None:
        self._show("idle", "All changes saved", "quiet")

    def show_pending(self) -> None:
        self._show("pending", "Saving…", "quiet")

    def show_saved(self, when: dt.datetime) -> None:
        local = when.astimezone().strftime("%H:%M:%S")
        self._show("saved", f"✓ Saved at {local}", "done")

    def show_failed(self, message: str) -> None:
        self._show("failed", f"Not saved: {message}", "problem")

    def _show(self, state: str, text: str, meaning: str) -> None:
        """``meaning``: the theme's colour to say it in (quiet, done, problem)."""
        self.state = state
        self.setText(text)
        self._meaning = meaning
        paint_text(self, getattr(tones(), meaning))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            paint_text(self, getattr(tones(), self._meaning))
        super().changeEvent(event)

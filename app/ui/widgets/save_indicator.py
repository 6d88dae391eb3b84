"""Tells the inspector, at every moment, whether their last answer is on disk."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QLabel


class SaveIndicator(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Save status")
        self.state = "idle"
        self.show_idle()

    def show_idle(self) -> None:
        self._show("idle", "All changes saved", "#505a5f")

    def show_pending(self) -> None:
        self._show("pending", "Saving…", "#505a5f")

    def show_saved(self, when: dt.datetime) -> None:
        local = when.astimezone().strftime("%H:%M:%S")
        self._show("saved", f"✓ Saved at {local}", "#0b6a0b")

    def show_failed(self, message: str) -> None:
        self._show("failed", f"Not saved: {message}", "#a4262c")

    def _show(self, state: str, text: str, colour: str) -> None:
        self.state = state
        self.setText(text)
        self.setStyleSheet(f"color: {colour}; font-weight: 600;")

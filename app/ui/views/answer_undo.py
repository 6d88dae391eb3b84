"""Undo and redo of answers on the case form.

Every answer is already on disk, so undoing one saves the earlier answer again as a new
revision: nothing is erased, and the history stays complete. Consecutive changes to the
same question within a few seconds (a burst of typing, a change of mind) undo together.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core.answers import AnswerInput

Restore = Callable[[str, AnswerInput], bool]
MERGE_SECONDS = 3.0


class AnswerChange(QUndoCommand):
    """One question's answer, from ``before`` to ``after``; ``restore`` saves either."""

    def __init__(self, key: str, label: str, before: AnswerInput, after: AnswerInput,
                 restore: Restore):
        super().__init__(f"answer to {label}")
        self.key = key
        self.before = before
        self.after = after
        self._restore = restore
        self.skip_redo = True  # pushed after the save itself: the first redo has nothing to do
        self.failed = False
        self.changed_at = time.monotonic()

    def continues(self, earlier: QUndoCommand | None) -> bool:
        """Whether this change carries on ``earlier`` (same question, moments later)."""
        return (isinstance(earlier, AnswerChange) and earlier.key == self.key
                and self.changed_at - earlier.changed_at <= MERGE_SECONDS)

    def undo(self) -> None:
        self.failed = not self._restore(self.key, self.before)

    def redo(self) -> None:
        if self.skip_redo:
            self.skip_redo = False
            self.failed = False
            return
        self.failed = not self._restore(self.key, self.after)


def record_change(stack: QUndoStack, change: AnswerChange) -> None:
    """Put ``change`` on the stack, or fold it into the change on top when it carries that on.

    The folding is done here rather than by ``QUndoStack``'s own merging: a command merged
    away is deleted by Qt, and PySide6 then never lets go of its Python side, so every
    merged change (with the answers it held) would stay in memory for the rest of the day.
    """
    index = stack.index()
    top = stack.command(index - 1) if index and index == stack.count() else None
    if change.continues(top):
        top.after, top.changed_at = change.after, change.changed_at
        return
    stack.push(change)

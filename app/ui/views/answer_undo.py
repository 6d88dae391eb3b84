"""Undo and redo of answers on the case form.

Every answer is already on disk, so undoing one saves the earlier answer again as a new
revision: nothing is erased, and the history stays complete. Consecutive changes to the
same question within a few seconds (a burst of typing, a change of mind) undo together.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from app.core.answers import AnswerInput, AnswerRecord

Restore = Callable[[str, AnswerInput], bool]
MERGE_SECONDS = 3.0


def as_input(record: AnswerRecord | None) -> AnswerInput:
    if record is None:
        return AnswerInput()
    return AnswerInput(record.value, tuple(record.reasons), record.evidence)


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

    def id(self) -> int:
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, AnswerChange) or other.key != self.key
                or other.changed_at - self.changed_at > MERGE_SECONDS):
            return False
        self.after = other.after
        self.changed_at = other.changed_at
        return True

    def undo(self) -> None:
        self.failed = not self._restore(self.key, self.before)

    def redo(self) -> None:
        if self.skip_redo:
            self.skip_redo = False
            self.failed = False
            return
        self.failed = not self._restore(self.key, self.after)

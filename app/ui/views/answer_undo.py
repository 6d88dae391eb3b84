"""Undo and redo of answers on the case form.

Every answer is already on disk, so undoing one saves the earlier answer again as a new
revision: nothing is erased, and the history stays complete. Consecutive changes to the
same question (a burst of typing, say) undo together.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from app.core.answers import AnswerInput, AnswerRecord

Restore = Callable[[str, AnswerInput], bool]


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
        self._done = True  # pushed after the save itself: the first redo has nothing to do

    def id(self) -> int:
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, AnswerChange) or other.key != self.key:
            return False
        self.after = other.after
        return True

    def undo(self) -> None:
        if not self._restore(self.key, self.before):
            self.setObsolete(False)

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._restore(self.key, self.after)

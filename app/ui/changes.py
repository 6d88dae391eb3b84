"""What an operation changed, announced once to every screen that shows it.

In the manner of Anki's ``operation_did_execute``: the window says what an operation it ran
changed (cases, an inspection, review, what is waiting to sync), and each screen decides for
itself whether that is something it shows and refreshes, instead of the window refreshing
each screen by hand after each operation.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, Signal


class Change(StrEnum):
    #: inspections came, went, or changed (their details, status or team)
    INSPECTIONS = "inspections"
    #: cases or their answers, status, inspector or place in the sample
    CASES = "cases"
    #: a case form's review moved on, or a query was raised, answered or closed
    REVIEW = "review"
    #: what waits to sync, or the conflicts to resolve
    SYNC = "sync"


class Changes(QObject):
    """Carries what each operation changed (a frozenset of ``Change``) to the screens."""

    changed = Signal(object)

    def announce(self, *what: Change) -> None:
        if what:
            self.changed.emit(frozenset(what))
